import { isAcceptableNotificationEndpoint, type Client, type ClientRegistry } from '../clients/registry.js'
import type { ProviderEventBus } from '../events.js'
import type { Settings } from '../settings.js'
import type { Sealer } from '../storage/sealing.js'
import type { CibaStorage, DeliveryRecord } from '../storage/types.js'
import { backoffDelayMs } from './backoff.js'
import { createNotificationClient, type NotificationClient } from './http-client.js'

/** What one {@link DeliveryRunner.runOnce} did. */
export interface DeliveryRunSummary {
  /** Notifications claimed from the outbox. */
  readonly claimed: number
  readonly delivered: number
  /** Attempts that failed and were rescheduled. */
  readonly retried: number
  /** Notifications given up (4xx, attempts or time exhausted, endpoint refused). */
  readonly failed: number
  /** Expiry notifications that were no longer needed, or not yet due. */
  readonly skipped: number
}

/**
 * The outbox worker (CIBA §10.2, §10.3): claims due notifications from storage under a lease,
 * sends them, and removes or reschedules them. Several OP processes may run one over the same
 * storage; a crashed process's notifications are picked up when its lease lapses.
 */
export interface DeliveryRunner {
  /**
   * Sends every notification due now (in batches) and resolves when they, and any already in
   * flight in this process, are settled. For job runners and tests; works with the worker off.
   */
  runOnce(): Promise<DeliveryRunSummary>
  /** Looks for due notifications now, in the background (coalesced). No-op unless started. */
  kick(): void
  /** Starts polling the outbox every `delivery.pollIntervalMs` (an unref'd timer). */
  start(): void
  /** Stops polling, aborts attempts in flight (their lease lapses; another run retries them). */
  stop(): Promise<void>
}

/** What the worker depends on. */
export interface DeliveryWorkerDeps {
  readonly settings: Settings
  readonly storage: CibaStorage
  readonly clients: ClientRegistry
  readonly events: ProviderEventBus
  /** Opens the sealed notification token and payload just before sending. */
  readonly sealer: Sealer
}

/** Does a push payload carry tokens (rather than an error)? */
function carriesTokens(payload: string): boolean {
  try {
    return typeof (JSON.parse(payload) as { access_token?: unknown }).access_token === 'string'
  } catch {
    return false
  }
}

/**
 * Where the client wants notifications now. Not `record.endpoint`: a registered client may have
 * changed its endpoint (RFC 7592 PUT) since the notification was queued, and a notification, tokens
 * above all, never goes to an endpoint the client no longer has. A client that switched to poll
 * has none (CIBA §4: the endpoint belongs to ping and push).
 */
function currentEndpoint(client: Client): string | undefined {
  return client.deliveryMode === 'ping' || client.deliveryMode === 'push' ? client.metadata.backchannel_client_notification_endpoint : undefined
}

type Outcome = 'delivered' | 'retried' | 'failed' | 'skipped' | 'aborted' | 'error'

/** Creates the outbox worker. Not started: {@link DeliveryRunner.start} or `runOnce()`. */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryRunner {
  const { settings, storage, clients, events, sealer } = deps
  const openOrUndefined = (sealed: string): Promise<string | undefined> => sealer.open(sealed).catch(() => undefined)
  const ds = settings.delivery
  const http: NotificationClient = createNotificationClient(ds)
  const inFlight = new Set<Promise<Outcome>>()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let claiming = false
  let again = false

  const report = (error: unknown): void => events.emit('server_error', { endpoint: 'delivery', error })

  const claim = (limit: number): Promise<DeliveryRecord[]> => {
    const now = ds.clock()
    return storage.claimDeliveries(now, limit, now + ds.leaseSeconds)
  }

  const track = (work: Promise<Outcome>): Promise<Outcome> => {
    const tracked: Promise<Outcome> = work.finally(() => {
      inFlight.delete(tracked)
      if (again) {
        again = false
        kick()
      }
    })
    inFlight.add(tracked)
    return tracked
  }

  function kick(): void {
    if (stopped || timer === undefined) return
    const slots = ds.concurrency - inFlight.size
    if (claiming || slots <= 0) {
      again = true
      return
    }
    claiming = true
    let full = false
    claim(slots)
      .then((batch) => {
        full = batch.length === slots
        for (const record of batch) void track(process(record))
      })
      .catch(report)
      .finally(() => {
        claiming = false
        if (full || again) {
          again = false
          setImmediate(kick)
        }
      })
  }

  async function giveUp(record: DeliveryRecord, attempts: number, reason: string): Promise<Outcome> {
    await storage.removeDelivery(record.id)
    // Pushed tokens that never reached the client must not stay usable by anyone who saw them
    // (an unreadable payload may have carried tokens: revoke to be safe).
    const payload = record.kind === 'push' ? await openOrUndefined(record.payload) : undefined
    if (record.kind === 'push' && (payload === undefined || carriesTokens(payload))) {
      await storage.revokeGrant(record.authReqId, settings.clock() + settings.refreshTokenTtl)
    }
    events.emit('delivery.failed', { deliveryId: record.id, authReqId: record.authReqId, clientId: record.clientId, kind: record.kind, attempts, reason })
    return 'failed'
  }

  /** Expiry notifications: still wanted? Moves a pending, expired request to `expired` first. */
  async function expiryWanted(record: DeliveryRecord, now: number): Promise<boolean | number> {
    const request = await storage.getAuthRequest(record.authReqId)
    if (request === undefined) return false
    if (request.status === 'expired') return true
    if (request.status !== 'pending') return false
    if (now < request.expiresAt) return request.expiresAt // another process's clock ran ahead: wait
    const moved = await storage.transitionAuthRequest(record.authReqId, ['pending'], {
      status: 'expired',
      clientNotificationToken: undefined,
      updatedAt: settings.clock(),
    })
    if (moved !== undefined) return true
    return (await storage.getAuthRequest(record.authReqId))?.status === 'expired'
  }

  async function attempt(record: DeliveryRecord): Promise<Outcome> {
    const now = ds.clock()
    if (record.kind === 'expiry') {
      const wanted = await expiryWanted(record, now)
      if (wanted === false) {
        await storage.removeDelivery(record.id)
        return 'skipped'
      }
      if (typeof wanted === 'number') {
        await storage.rescheduleDelivery(record.id, { attempts: record.attempts, nextAttemptAt: wanted })
        return 'skipped'
      }
    }
    if (now > record.deadline) return giveUp(record, record.attempts, record.lastError ?? 'deadline_passed')
    // Re-checked at send time: the client may be gone, or the policy stricter than when enqueued.
    const client = await clients.find(record.clientId)
    if (client === undefined) return giveUp(record, record.attempts, 'client_unknown')
    const endpoint = currentEndpoint(client)
    if (endpoint === undefined) return giveUp(record, record.attempts, 'endpoint_removed')
    if (!isAcceptableNotificationEndpoint(endpoint, settings.allowHttpNotificationEndpoints)) {
      return giveUp(record, record.attempts, 'endpoint_not_acceptable')
    }
    // Sealed at rest (storage/sealing.ts): opened only here, for the request that carries them.
    const [token, payload] = await Promise.all([openOrUndefined(record.notificationToken), openOrUndefined(record.payload)])
    if (token === undefined || payload === undefined) return giveUp(record, record.attempts, 'unsealable')
    const guarded = ds.blockPrivateAddresses === true || (ds.blockPrivateAddresses === 'registered' && client.source === 'registered')
    const result = await http.send(endpoint, token, payload, guarded)
    const attempts = record.attempts + 1
    const base = { deliveryId: record.id, authReqId: record.authReqId, clientId: record.clientId, kind: record.kind, attempts }
    switch (result.outcome) {
      case 'aborted':
        return 'aborted'
      case 'delivered':
        await storage.removeDelivery(record.id)
        events.emit('delivery.delivered', base)
        return 'delivered'
      case 'failed':
        return giveUp(record, attempts, result.reason)
      case 'retry': {
        const nextAttemptAt = ds.clock() + backoffDelayMs(attempts, ds.backoff, ds.random, result.retryAfterMs) / 1000
        if (attempts >= ds.maxAttempts || nextAttemptAt > record.deadline) return giveUp(record, attempts, result.reason)
        await storage.rescheduleDelivery(record.id, { attempts, nextAttemptAt, lastError: result.reason })
        events.emit('delivery.retried', { ...base, reason: result.reason, nextAttemptAt })
        return 'retried'
      }
    }
  }

  async function process(record: DeliveryRecord): Promise<Outcome> {
    try {
      return await attempt(record)
    } catch (error) {
      // Storage fault: leave the record leased; it is retried when the lease lapses.
      report(error)
      return 'error'
    }
  }

  return {
    async runOnce() {
      const counts = { claimed: 0, delivered: 0, retried: 0, failed: 0, skipped: 0 }
      while (!stopped) {
        const batch = await claim(ds.concurrency)
        counts.claimed += batch.length
        for (const outcome of await Promise.all(batch.map((record) => track(process(record))))) {
          if (outcome !== 'aborted' && outcome !== 'error') counts[outcome]++
        }
        if (batch.length < ds.concurrency) break
      }
      await Promise.allSettled([...inFlight])
      return counts
    },
    kick,
    start() {
      if (stopped || timer !== undefined) return
      timer = setInterval(kick, ds.pollIntervalMs)
      timer.unref()
      kick()
    },
    async stop() {
      stopped = true
      if (timer !== undefined) clearInterval(timer)
      http.close()
      await Promise.allSettled([...inFlight])
    },
  }
}

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import {
  type AuthenticationStarted,
  type OAuthFailure,
  type OpMetadata,
  DemoClientError,
  asFailure,
  fetchUserinfo,
  requestCibaToken,
  verifyIdToken,
} from './client-oauth.js'
import type { DemoClientCredentials, DemoDeliveryMode } from './demo-config.js'

/** One event of a flow, as the `/client` page receives it over server-sent events. */
export interface FlowEvent {
  readonly event: 'started' | 'poll' | 'notification' | 'tokens' | 'failed'
  readonly data: Readonly<Record<string, unknown>>
}

/** A running CIBA flow of the demo client. */
export interface Flow {
  readonly id: string
  readonly mode: DemoDeliveryMode
  readonly authReqId: string
  readonly creds: DemoClientCredentials
  readonly op: OpMetadata
  readonly events: FlowEvent[]
  readonly subscribers: Set<ServerResponse>
  /** SHA-256 of the client_notification_token (ping/push), compared in constant time. */
  readonly notificationTokenHash?: Buffer
  interval: number
  polls: number
  done: boolean
  timer?: NodeJS.Timeout
}

const MAX_FLOWS = 500
const KEEP_DONE_MS = 10 * 60_000

/** Creates a fresh client_notification_token (CIBA Core §7.1, 256 bits). */
export function newNotificationToken(): string {
  return randomBytes(32).toString('base64url')
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * Holds the demo client's flows and drives them: polls the token endpoint every `interval`
 * seconds (growing by 5 on `slow_down`, CIBA Core §7.3), or waits for a ping/push notification.
 */
export class FlowRegistry {
  readonly #flows = new Map<string, Flow>()
  readonly #byAuthReqId = new Map<string, Flow>()

  /** Registers a flow the OP just accepted and starts driving it. */
  start(
    op: OpMetadata,
    mode: DemoDeliveryMode,
    creds: DemoClientCredentials,
    started: AuthenticationStarted,
    notificationToken?: string,
  ): Flow {
    this.#evict()
    const flow: Flow = {
      id: randomUUID(),
      mode,
      authReqId: started.auth_req_id,
      creds,
      op,
      events: [],
      subscribers: new Set(),
      ...(notificationToken === undefined ? {} : { notificationTokenHash: sha256(notificationToken) }),
      interval: started.interval ?? 5, // CIBA Core §7.3: 5 s when the OP gives none
      polls: 0,
      done: false,
    }
    this.#flows.set(flow.id, flow)
    this.#byAuthReqId.set(flow.authReqId, flow)
    this.emit(flow, {
      event: 'started',
      data: { auth_req_id: started.auth_req_id, expires_in: started.expires_in, interval: flow.interval, mode, client_id: creds.clientId },
    })
    if (mode === 'poll') {
      this.#schedulePoll(flow)
    } else {
      // Ping/push: nothing to do until the OP calls us; give up a little after expiry.
      flow.timer = setTimeout(() => {
        this.#fail(flow, { error: 'expired_token', error_description: `no ${mode} notification arrived before the request expired` })
      }, (started.expires_in + 5) * 1000)
      flow.timer.unref()
    }
    return flow
  }

  get(id: string): Flow | undefined {
    return this.#flows.get(id)
  }

  /** Appends an event and sends it to every page following the flow. */
  emit(flow: Flow, e: FlowEvent): void {
    flow.events.push(e)
    const index = flow.events.length
    for (const res of flow.subscribers) writeEvent(res, index, e)
    if (e.event === 'tokens' || e.event === 'failed') {
      flow.done = true
      if (flow.timer !== undefined) clearTimeout(flow.timer)
      for (const res of flow.subscribers) res.end()
      flow.subscribers.clear()
      const t = setTimeout(() => this.#forget(flow), KEEP_DONE_MS)
      t.unref()
    }
  }

  /** Follows a flow: replays events after `lastEventId`, then live ones. */
  subscribe(flow: Flow, res: ServerResponse, lastEventId: number): void {
    flow.events.forEach((e, i) => {
      if (i + 1 > lastEventId) writeEvent(res, i + 1, e)
    })
    if (flow.done) {
      res.end()
      return
    }
    flow.subscribers.add(res)
    res.on('close', () => flow.subscribers.delete(res))
  }

  /**
   * A ping or push notification arrived at the notification endpoint. Returns the HTTP status to
   * answer: 204 when accepted, 401 for a wrong bearer, 404 for an unknown `auth_req_id`.
   * @see CIBA Core §10.2 (ping), §10.3 (push)
   */
  notify(bearer: string | undefined, body: Record<string, unknown>): 204 | 400 | 401 | 404 {
    const authReqId = body.auth_req_id
    if (typeof authReqId !== 'string') return 400
    const flow = this.#byAuthReqId.get(authReqId)
    if (flow === undefined || flow.notificationTokenHash === undefined) return 404
    // CIBA §10.2: the bearer is the client_notification_token this client sent; compare hashes
    // so the comparison takes the same time whatever the input.
    if (bearer === undefined || !timingSafeEqual(sha256(bearer), flow.notificationTokenHash)) return 401
    if (flow.done) return 204
    if (flow.mode === 'ping') {
      this.emit(flow, { event: 'notification', data: { kind: 'ping', note: 'the OP says the result is ready; fetching it from the token endpoint' } })
      void this.#redeem(flow)
    } else {
      const payloadKind = typeof body.error === 'string' ? 'error' : 'tokens'
      this.emit(flow, { event: 'notification', data: { kind: 'push', note: `the OP pushed the ${payloadKind} to the notification endpoint` } })
      if (typeof body.error === 'string') this.#fail(flow, asFailure(body))
      else void this.#finish(flow, body)
    }
    return 204
  }

  /** Ends every stream and timer (server shutdown). */
  close(): void {
    for (const flow of this.#flows.values()) {
      if (flow.timer !== undefined) clearTimeout(flow.timer)
      for (const res of flow.subscribers) res.end()
      flow.subscribers.clear()
    }
    this.#flows.clear()
    this.#byAuthReqId.clear()
  }

  #schedulePoll(flow: Flow): void {
    flow.timer = setTimeout(() => void this.#poll(flow), flow.interval * 1000)
    flow.timer.unref()
  }

  async #poll(flow: Flow): Promise<void> {
    if (flow.done) return
    flow.polls += 1
    try {
      const result = await requestCibaToken(flow.op, flow.creds, flow.authReqId)
      if (result.ok) return await this.#finish(flow, result.tokens)
      const { error } = result.failure
      if (error === 'authorization_pending' || error === 'slow_down') {
        if (error === 'slow_down') flow.interval += 5 // CIBA Core §11
        this.emit(flow, { event: 'poll', data: { n: flow.polls, result: error, next_in: flow.interval } })
        this.#schedulePoll(flow)
        return
      }
      this.#fail(flow, result.failure)
    } catch (err) {
      this.#fail(flow, failureOf(err))
    }
  }

  /** Ping: the result is ready, fetch it once at the token endpoint. */
  async #redeem(flow: Flow): Promise<void> {
    try {
      const result = await requestCibaToken(flow.op, flow.creds, flow.authReqId)
      if (result.ok) await this.#finish(flow, result.tokens)
      else this.#fail(flow, result.failure)
    } catch (err) {
      this.#fail(flow, failureOf(err))
    }
  }

  /** Tokens arrived (token endpoint or push): verify the ID token, call userinfo, show both. */
  async #finish(flow: Flow, tokens: Record<string, unknown>): Promise<void> {
    if (flow.done) return
    try {
      const { access_token: accessToken, id_token: idToken, refresh_token: refreshToken } = tokens
      if (typeof accessToken !== 'string' || typeof idToken !== 'string') {
        throw new DemoClientError({ error: 'invalid_response', error_description: 'token response lacks access_token or id_token' })
      }
      const push = flow.mode === 'push' ? { authReqId: flow.authReqId, accessToken, ...(typeof refreshToken === 'string' ? { refreshToken } : {}) } : undefined
      const idTokenResult = await verifyIdToken(flow.op, flow.creds.clientId, idToken, push)
      let userinfo: Record<string, unknown>
      try {
        userinfo = await fetchUserinfo(flow.op, accessToken)
      } catch (err) {
        userinfo = { ...failureOf(err) }
      }
      this.emit(flow, {
        event: 'tokens',
        data: {
          token_type: tokens.token_type,
          expires_in: tokens.expires_in,
          scope: tokens.scope ?? null,
          refresh_token_received: typeof refreshToken === 'string',
          id_token_verified: true,
          id_token_header: idTokenResult.header,
          id_token_claims: idTokenResult.claims,
          userinfo,
        },
      })
    } catch (err) {
      this.#fail(flow, failureOf(err))
    }
  }

  #fail(flow: Flow, failure: OAuthFailure): void {
    if (!flow.done) this.emit(flow, { event: 'failed', data: { ...failure } })
  }

  #forget(flow: Flow): void {
    this.#flows.delete(flow.id)
    this.#byAuthReqId.delete(flow.authReqId)
  }

  /** Keeps memory bounded: drop the oldest finished flows, then the oldest ones. */
  #evict(): void {
    if (this.#flows.size < MAX_FLOWS) return
    const victim = [...this.#flows.values()].find((f) => f.done) ?? this.#flows.values().next().value
    if (victim === undefined) return
    if (victim.timer !== undefined) clearTimeout(victim.timer)
    for (const res of victim.subscribers) res.end()
    victim.done = true
    this.#forget(victim)
  }
}

function writeEvent(res: ServerResponse, index: number, e: FlowEvent): void {
  res.write(`id: ${index}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
}

function failureOf(err: unknown): OAuthFailure {
  if (err instanceof DemoClientError) return err.failure
  return { error: 'client_error', error_description: err instanceof Error ? err.message : String(err) }
}

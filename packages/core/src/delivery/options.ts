import { ConfigurationError } from '../errors/oauth-error.js'

/**
 * Ping and push delivery (CIBA Core §10.2, §10.3): how the outbox worker sends notifications.
 * Every member is optional.
 *
 * @example
 * createProvider({ ...config, deliveryModes: ['poll', 'ping', 'push'],
 *   delivery: { maxAttempts: 6, timeoutMs: 3000, blockPrivateAddresses: true } })
 */
export interface DeliveryOptions {
  /**
   * Run the outbox worker in this process (default `true`). With `false`, nothing is sent unless
   * something calls `provider.deliveries.runOnce()` (e.g. a job runner in another process).
   */
  readonly worker?: boolean
  /** How often the worker looks for due notifications, ms. Default 1000. */
  readonly pollIntervalMs?: number
  /** Attempts per notification, the first included. Default 8. */
  readonly maxAttempts?: number
  /** Seconds after enqueueing after which a notification is given up. Default 600. */
  readonly maxTotalSeconds?: number
  /** Per-attempt timeout (connect, request, response), ms. Default 5000. */
  readonly timeoutMs?: number
  /** Exponential back-off with jitter between attempts. Default base 1000 ms, max 60000 ms. */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number }
  /** Extra trusted CA certificates (PEM) for notification endpoints, added to Node's roots. */
  readonly ca?: string | readonly string[]
  /**
   * Refuse endpoints that are, or resolve to, private, loopback or link-local addresses (no
   * request forged into an internal network): `true` for every client; `'registered'` for the
   * clients that registered themselves (RFC 7591), so that the operator's own clients may still be
   * reached on a private network; `false` for none. Default `'registered'`, or `false` in
   * development mode (`development.allowHttpNotificationEndpoints`).
   */
  readonly blockPrivateAddresses?: boolean | 'registered'
  /** Response body bytes read at most (the body is ignored). Default 4096. */
  readonly maxResponseBytes?: number
  /** Notifications in flight at once in this process. Default 16. */
  readonly concurrency?: number
  /** Random number in [0, 1) for jitter. Injectable for tests. */
  readonly random?: () => number
  /**
   * Current time in epoch seconds, fractional allowed, for scheduling. Default: the provider's
   * `clock` when one is given, else the system time with millisecond precision.
   */
  readonly clock?: () => number
}

/** {@link DeliveryOptions} with every default applied. */
export interface DeliverySettings {
  readonly worker: boolean
  readonly pollIntervalMs: number
  readonly maxAttempts: number
  readonly maxTotalSeconds: number
  readonly timeoutMs: number
  readonly backoff: { readonly baseMs: number; readonly maxMs: number }
  readonly ca: readonly string[]
  readonly blockPrivateAddresses: boolean | 'registered'
  readonly maxResponseBytes: number
  readonly concurrency: number
  /** How long a claimed notification is leased to this process, seconds (> one attempt). */
  readonly leaseSeconds: number
  readonly random: () => number
  readonly clock: () => number
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ConfigurationError(`delivery.${name} must be a positive integer, got ${String(v)}`)
  }
  return v
}

/** Validates {@link DeliveryOptions} and applies defaults. @throws ConfigurationError */
export function resolveDeliverySettings(options: DeliveryOptions | undefined, providerClock: (() => number) | undefined, development = false): DeliverySettings {
  const o = options ?? {}
  const blockPrivateAddresses = o.blockPrivateAddresses ?? (development ? false : 'registered')
  if (blockPrivateAddresses !== true && blockPrivateAddresses !== false && blockPrivateAddresses !== 'registered') {
    throw new ConfigurationError(`delivery.blockPrivateAddresses must be true, false or 'registered', got ${String(blockPrivateAddresses)}`)
  }
  const ca = o.ca === undefined ? [] : typeof o.ca === 'string' ? [o.ca] : [...o.ca]
  if (ca.some((pem) => typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----'))) {
    throw new ConfigurationError('delivery.ca must be PEM certificate(s)')
  }
  const backoff = {
    baseMs: positive(o.backoff?.baseMs, 1000, 'backoff.baseMs'),
    maxMs: positive(o.backoff?.maxMs, 60_000, 'backoff.maxMs'),
  }
  if (backoff.baseMs > backoff.maxMs) throw new ConfigurationError('delivery.backoff.baseMs must not exceed delivery.backoff.maxMs')
  const timeoutMs = positive(o.timeoutMs, 5000, 'timeoutMs')
  return Object.freeze({
    worker: o.worker ?? true,
    pollIntervalMs: positive(o.pollIntervalMs, 1000, 'pollIntervalMs'),
    maxAttempts: positive(o.maxAttempts, 8, 'maxAttempts'),
    maxTotalSeconds: positive(o.maxTotalSeconds, 600, 'maxTotalSeconds'),
    timeoutMs,
    backoff: Object.freeze(backoff),
    ca: Object.freeze(ca),
    blockPrivateAddresses,
    maxResponseBytes: positive(o.maxResponseBytes, 4096, 'maxResponseBytes'),
    concurrency: positive(o.concurrency, 16, 'concurrency'),
    // Twice the attempt timeout plus a margin for storage writes: a live worker never loses its lease.
    leaseSeconds: Math.ceil((2 * timeoutMs) / 1000) + 10,
    random: o.random ?? Math.random,
    clock: o.clock ?? providerClock ?? (() => Date.now() / 1000),
  })
}

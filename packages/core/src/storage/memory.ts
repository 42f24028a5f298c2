import { ExpiryHeap } from './expiry-heap.js'
import { ShardedMap } from './sharded-map.js'
import type {
  AuthRequestPatch,
  AuthRequestRecord,
  AuthRequestStatus,
  CibaStorage,
  ClientRecord,
  DeliveryRecord,
  RefreshTokenUse,
  TokenRecord,
  TransitionEffects,
} from './types.js'

/** Options for {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /** Current time in epoch seconds; injectable for tests. Defaults to the system clock. */
  readonly clock?: () => number
  /** How many expired records a write sweeps at most (amortised, never an O(n) pause). Default 32. */
  readonly sweepBatch?: number
}

/**
 * A stored authentication request: the record's members and the time it may be removed, in one
 * private, mutable object. A poll writes `lastPolledAt` in place (a new record per poll would, at a
 * million pending requests, be promoted into the old generation, to be marked and swept by major
 * GCs), and one object per request (not a record and a wrapper around it) is what a major GC marks
 * and what a poll reads from memory. Callers only ever get snapshots.
 */
class StoredAuthRequest {
  id: string
  clientId: string
  status: AuthRequestStatus
  sub: string
  scope: string
  deliveryMode: AuthRequestRecord['deliveryMode']
  acrValues: AuthRequestRecord['acrValues']
  bindingMessage: string | undefined
  clientNotificationToken: string | undefined
  claimsRequest: AuthRequestRecord['claimsRequest']
  createdAt: number
  expiresAt: number
  interval: number
  lastPolledAt: number | undefined
  approval: AuthRequestRecord['approval']
  denial: AuthRequestRecord['denial']
  updatedAt: number | undefined

  constructor(record: AuthRequestRecord, readonly removeAt: number) {
    // Every member, always in this order: one shape for every stored request, all fields in-object.
    this.id = record.id
    this.clientId = record.clientId
    this.status = record.status
    this.sub = record.sub
    this.scope = record.scope
    this.deliveryMode = record.deliveryMode
    this.acrValues = copy(record.acrValues)
    this.bindingMessage = record.bindingMessage
    this.clientNotificationToken = record.clientNotificationToken
    this.claimsRequest = copy(record.claimsRequest)
    this.createdAt = record.createdAt
    this.expiresAt = record.expiresAt
    this.interval = record.interval
    this.lastPolledAt = record.lastPolledAt
    this.approval = copy(record.approval)
    this.denial = copy(record.denial)
    this.updatedAt = record.updatedAt
  }

  /**
   * The record as it is now: a fresh object with the members that are set (the caller's own, not
   * frozen: changing it changes nothing stored; the nested values it shares are frozen).
   */
  snapshot(): AuthRequestRecord {
    // Member by member (not a loop over RECORD_KEYS): named loads and stores the JIT keeps
    // monomorphic, where a loop's keyed ones go megamorphic. The testkit's round trips of a
    // record with every member set hold this list to RECORD_KEYS.
    const out: { -readonly [K in keyof AuthRequestRecord]: AuthRequestRecord[K] } = {
      id: this.id,
      clientId: this.clientId,
      status: this.status,
      sub: this.sub,
      scope: this.scope,
      deliveryMode: this.deliveryMode,
      createdAt: this.createdAt,
      expiresAt: this.expiresAt,
      interval: this.interval,
    }
    if (this.acrValues !== undefined) out.acrValues = this.acrValues
    if (this.bindingMessage !== undefined) out.bindingMessage = this.bindingMessage
    if (this.clientNotificationToken !== undefined) out.clientNotificationToken = this.clientNotificationToken
    if (this.claimsRequest !== undefined) out.claimsRequest = this.claimsRequest
    if (this.lastPolledAt !== undefined) out.lastPolledAt = this.lastPolledAt
    if (this.approval !== undefined) out.approval = this.approval
    if (this.denial !== undefined) out.denial = this.denial
    if (this.updatedAt !== undefined) out.updatedAt = this.updatedAt
    return out
  }
}

/**
 * The members of a stored request, checked by the compiler in both directions: a member added to
 * {@link AuthRequestRecord} and not stored here (or the reverse) is a type error, never a member
 * silently dropped.
 */
const RECORD_KEYS = [
  'id', 'clientId', 'status', 'sub', 'scope', 'deliveryMode', 'acrValues', 'bindingMessage', 'clientNotificationToken',
  'claimsRequest', 'createdAt', 'expiresAt', 'interval', 'lastPolledAt', 'approval', 'denial', 'updatedAt',
] as const satisfies readonly (keyof AuthRequestRecord)[]
type Exhaustive<Listed, All> = [Exclude<All, Listed>] extends [never] ? ([Exclude<Listed, keyof StoredAuthRequest>] extends [never] ? true : never) : never
const RECORD_KEYS_COMPLETE: Exhaustive<(typeof RECORD_KEYS)[number], keyof AuthRequestRecord> = true
void RECORD_KEYS_COMPLETE

const systemClock = (): number => Math.floor(Date.now() / 1000)

/** What an expiry-schedule entry names (ExpiryHeap kinds). */
const AUTH_REQUEST = 0
const TOKEN = 1
const ONCE = 2
const REVOKED_GRANT = 3

/**
 * A frozen deep copy of a plain JSON record, so callers can neither mutate what is stored nor be
 * affected by later changes to what they passed in; a value that is already deeply frozen (one this
 * storage copied before, carried into a new version of a record) is kept as it is. (Hand-rolled:
 * records are small plain JSON, and this is several times cheaper than `structuredClone` on the
 * request path.)
 */
function copy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (isDeepFrozen(value)) return value // nobody can change it: shared, not copied
  if (Array.isArray(value)) return Object.freeze(value.map(copy)) as T
  const out: Record<string, unknown> = {}
  for (const key in value) {
    const nested = (value as Record<string, unknown>)[key]
    if (nested !== undefined) out[key] = copy(nested)
  }
  return Object.freeze(out) as T
}

/** Is this object frozen, and every object inside it too? (Then sharing it is as safe as a copy.) */
function isDeepFrozen(value: object): boolean {
  if (!Object.isFrozen(value)) return false
  for (const key in value) {
    const nested = (value as Record<string, unknown>)[key]
    if (nested !== null && typeof nested === 'object' && !isDeepFrozen(nested)) return false
  }
  return true
}

/**
 * The embedded, single-process storage (the default). O(1) per operation; expired records are
 * swept incrementally from an expiry heap on every write, so memory does not grow without bound
 * and no request pays for an O(n) sweep.
 *
 * @example
 * const provider = createProvider({ ...config, storage: new MemoryStorage() })
 */
export class MemoryStorage implements CibaStorage {
  readonly #clock: () => number
  readonly #sweepBatch: number
  // The two collections that reach millions of entries: sharded, so that no insert pays for
  // rehashing all of them at once.
  readonly #authRequests = new ShardedMap<StoredAuthRequest>()
  /** Token records by id; a token is removed at its own `expiresAt`. */
  readonly #tokens = new ShardedMap<TokenRecord>()
  /** The ids of each grant's tokens (a handful: a small array is a third of a Set's memory). */
  readonly #tokensByGrant = new Map<string, string[]>()
  readonly #revokedGrants = new Map<string, number>()
  readonly #once = new Map<string, number>()
  readonly #clients = new Map<string, ClientRecord>()
  readonly #deliveries = new Map<string, DeliveryRecord>()
  /** Due times of deliveries (entries go stale when a record is rescheduled or removed: skipped). */
  readonly #due = new ExpiryHeap()
  readonly #expiry = new ExpiryHeap()

  constructor(options: MemoryStorageOptions = {}) {
    this.#clock = options.clock ?? systemClock
    this.#sweepBatch = options.sweepBatch ?? 32
  }

  /** Number of live records of each kind (for tests and benchmarks). */
  get size(): { authRequests: number; tokens: number; once: number; deliveries: number; scheduled: number } {
    return {
      authRequests: this.#authRequests.size,
      tokens: this.#tokens.size,
      once: this.#once.size,
      deliveries: this.#deliveries.size,
      scheduled: this.#expiry.size,
    }
  }

  async createAuthRequest(record: AuthRequestRecord, retainSeconds: number): Promise<boolean> {
    this.#sweep()
    if (this.#liveAuthRequest(record.id) !== undefined) return false
    const removeAt = record.expiresAt + Math.max(0, retainSeconds)
    this.#authRequests.set(record.id, new StoredAuthRequest(record, removeAt))
    this.#expiry.push(removeAt, record.id, AUTH_REQUEST)
    return true
  }

  async getAuthRequest(id: string): Promise<AuthRequestRecord | undefined> {
    return this.#liveAuthRequest(id)?.snapshot()
  }

  async recordPoll(id: string, polledAt: number): Promise<AuthRequestRecord | undefined> {
    this.#sweep()
    const entry = this.#liveAuthRequest(id)
    if (entry === undefined) return undefined
    const before = entry.snapshot()
    entry.lastPolledAt = polledAt
    return before
  }

  async transitionAuthRequest(
    id: string,
    from: readonly AuthRequestStatus[],
    patch: AuthRequestPatch,
    effects?: TransitionEffects,
  ): Promise<AuthRequestRecord | undefined> {
    this.#sweep()
    const entry = this.#liveAuthRequest(id)
    if (entry === undefined || !from.includes(entry.status)) return undefined
    const next = entry.snapshot() as unknown as Record<string, unknown>
    for (const key in patch) {
      const value = (patch as Record<string, unknown>)[key]
      if (value === undefined) delete next[key]
      else next[key] = value
    }
    const record = next as unknown as AuthRequestRecord
    // The stored request copies the patch's nested values; `record` is the caller's own.
    this.#authRequests.set(id, new StoredAuthRequest(record, entry.removeAt))
    if (effects?.tokens !== undefined) this.#saveTokens(effects.tokens)
    if (effects?.delivery !== undefined) this.#putDelivery(copy(effects.delivery))
    return record
  }

  async saveTokens(records: readonly TokenRecord[]): Promise<void> {
    this.#sweep()
    this.#saveTokens(records)
  }

  async findToken(id: string): Promise<TokenRecord | undefined> {
    return this.#liveToken(id)
  }

  async useRefreshToken(id: string, usedAt: number, replacements: readonly TokenRecord[]): Promise<RefreshTokenUse> {
    this.#sweep()
    const current = this.#liveToken(id)
    if (current === undefined || current.kind !== 'refresh_token') return { outcome: 'missing' }
    if (current.usedAt !== undefined) {
      this.#revoke(current.grantId, current.expiresAt)
      return { outcome: 'reused', record: current }
    }
    const record = Object.freeze({ ...current, usedAt })
    this.#tokens.set(id, record)
    this.#saveTokens(replacements)
    return { outcome: 'used', record }
  }

  async revokeGrant(grantId: string, until: number): Promise<void> {
    this.#sweep()
    this.#revoke(grantId, until)
  }

  async markOnce(key: string, expiresAt: number): Promise<boolean> {
    this.#sweep()
    const existing = this.#once.get(key)
    if (existing !== undefined && existing > this.#clock()) return false
    this.#once.set(key, expiresAt)
    this.#expiry.push(expiresAt, key, ONCE)
    return true
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.#clients.get(clientId)
  }

  async createClient(record: ClientRecord): Promise<boolean> {
    if (this.#clients.has(record.clientId)) return false
    this.#clients.set(record.clientId, copy(record))
    return true
  }

  async updateClient(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const stored = this.#clients.get(record.clientId)
    if (stored === undefined || (stored.revision ?? 0) !== expectedRevision) return false
    this.#clients.set(record.clientId, copy(record))
    return true
  }

  async deleteClient(clientId: string): Promise<boolean> {
    return this.#clients.delete(clientId)
  }

  async enqueueDelivery(record: DeliveryRecord): Promise<void> {
    this.#putDelivery(copy(record))
  }

  async claimDeliveries(now: number, limit: number, leaseUntil: number): Promise<DeliveryRecord[]> {
    // O(k log n) in the k entries taken from the due-time heap, never a pass over the outbox.
    const claimed: DeliveryRecord[] = []
    const due = this.#due
    while (claimed.length < limit && due.peekTime() <= now) {
      const time = due.peekTime()
      const id = due.pop()
      const record = this.#deliveries.get(id)
      if (record === undefined || record.nextAttemptAt !== time) continue // removed or rescheduled
      this.#putDelivery(Object.freeze({ ...record, nextAttemptAt: leaseUntil }))
      claimed.push(record)
    }
    return claimed
  }

  async rescheduleDelivery(
    id: string,
    patch: Pick<DeliveryRecord, 'attempts' | 'nextAttemptAt'> & { readonly lastError?: string },
  ): Promise<void> {
    const record = this.#deliveries.get(id)
    if (record !== undefined) this.#putDelivery(Object.freeze({ ...record, ...patch }))
  }

  async removeDelivery(id: string): Promise<void> {
    this.#deliveries.delete(id)
  }

  async close(): Promise<void> {}

  #putDelivery(record: DeliveryRecord): void {
    this.#deliveries.set(record.id, record)
    this.#due.push(record.nextAttemptAt, record.id)
  }

  #liveAuthRequest(id: string): StoredAuthRequest | undefined {
    const entry = this.#authRequests.get(id)
    if (entry === undefined) return undefined
    if (entry.removeAt <= this.#clock()) {
      this.#authRequests.delete(id)
      return undefined
    }
    return entry
  }

  #liveToken(id: string): TokenRecord | undefined {
    const record = this.#tokens.get(id)
    if (record === undefined) return undefined
    if (record.expiresAt <= this.#clock() || this.#isRevoked(record.grantId)) return undefined
    return record
  }

  #isRevoked(grantId: string): boolean {
    const until = this.#revokedGrants.get(grantId)
    return until !== undefined && until > this.#clock()
  }

  #saveTokens(records: readonly TokenRecord[]): void {
    for (const record of records) {
      if (this.#isRevoked(record.grantId)) continue
      this.#tokens.set(record.id, copy(record))
      const ids = this.#tokensByGrant.get(record.grantId)
      if (ids === undefined) this.#tokensByGrant.set(record.grantId, [record.id])
      // A new exact-size array: push would grow a 1-element array to 17 slots.
      else if (!ids.includes(record.id)) this.#tokensByGrant.set(record.grantId, ids.concat(record.id))
      this.#expiry.push(record.expiresAt, record.id, TOKEN)
    }
  }

  #revoke(grantId: string, until: number): void {
    const current = this.#revokedGrants.get(grantId) ?? 0
    if (until > current) {
      this.#revokedGrants.set(grantId, until)
      this.#expiry.push(until, grantId, REVOKED_GRANT)
    }
    for (const tokenId of this.#tokensByGrant.get(grantId) ?? []) this.#tokens.delete(tokenId)
    this.#tokensByGrant.delete(grantId)
  }

  /** Removes up to `sweepBatch` records whose time has come. */
  #sweep(): void {
    const now = this.#clock()
    const heap = this.#expiry
    for (let i = 0; i < this.#sweepBatch && heap.peekTime() <= now; i++) {
      const kind = heap.peekKind()
      const key = heap.pop()
      switch (kind) {
        case AUTH_REQUEST: {
          const entry = this.#authRequests.get(key)
          if (entry !== undefined && entry.removeAt <= now) this.#authRequests.delete(key)
          break
        }
        case TOKEN: {
          const record = this.#tokens.get(key)
          if (record !== undefined && record.expiresAt <= now) {
            this.#tokens.delete(key)
            const ids = this.#tokensByGrant.get(record.grantId)
            if (ids !== undefined) {
              const at = ids.indexOf(key)
              if (at !== -1) ids.splice(at, 1)
              if (ids.length === 0) this.#tokensByGrant.delete(record.grantId)
            }
          }
          break
        }
        case ONCE: {
          const expiresAt = this.#once.get(key)
          if (expiresAt !== undefined && expiresAt <= now) this.#once.delete(key)
          break
        }
        case REVOKED_GRANT: {
          const until = this.#revokedGrants.get(key)
          if (until !== undefined && until <= now) this.#revokedGrants.delete(key)
          break
        }
      }
    }
  }
}

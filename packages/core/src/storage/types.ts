/**
 * The storage contract. Integrators implement {@link CibaStorage} for their own database;
 * `@ciba-kit/storage-testkit` proves an implementation right, including under concurrency.
 *
 * Rules every implementation follows:
 * - Records are plain readonly JSON. Times are epoch seconds. Store them as given, return them
 *   as given (a deep-equal copy; never a live reference the caller could mutate).
 * - Every record carries `expiresAt`/a TTL: after it the record may disappear (it must, eventually:
 *   storage does not grow without bound). Before it, it must not.
 * - Every method marked "atomic" is one indivisible step: of two concurrent calls that race on
 *   the same record, exactly one observes the old state.
 * - No operation on the request path may be O(n) in the number of stored records.
 * - A backend fault (network, timeout) is reported by rejecting with
 *   `StorageUnavailableError` (exported by `@ciba-kit/core`), never by returning a wrong answer.
 */

/** Status of a backchannel authentication request. CIBA Core §7.3, §11. */
export type AuthRequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed'

/** Token delivery modes, CIBA Core §5. */
export type DeliveryMode = 'poll' | 'ping' | 'push'

/** What the user's approval established (OIDC Core §2 ID token claims). */
export interface ApprovalRecord {
  readonly sub: string
  /** Epoch seconds of the user's authentication. */
  readonly authTime: number
  readonly acr?: string
  readonly amr?: readonly string[]
  /** Extra claims the approval wants in the ID token. */
  readonly claims?: Readonly<Record<string, unknown>>
}

/** Why a request was denied or failed (CIBA §11 / §10.3.1 error code). */
export interface DenialRecord {
  readonly error: 'access_denied' | 'transaction_failed' | 'expired_token'
  readonly description?: string
}

/** A backchannel authentication request (`auth_req_id`) and its grant state. */
export interface AuthRequestRecord {
  /** The `auth_req_id` itself (≥128 bits of entropy, base64url). */
  readonly id: string
  readonly clientId: string
  readonly status: AuthRequestStatus
  /** The user named by the hint. */
  readonly sub: string
  /** Requested scope, space separated, always containing `openid`. */
  readonly scope: string
  readonly deliveryMode: DeliveryMode
  readonly acrValues?: readonly string[]
  readonly bindingMessage?: string
  /** Ping/push only: the bearer the OP sends to the client. Removed once no delivery needs it. */
  readonly clientNotificationToken?: string
  /** OIDC `claims` request parameter, if any (already validated JSON). */
  readonly claimsRequest?: Readonly<Record<string, unknown>>
  readonly createdAt: number
  /** When the request expires (`expires_in` after `createdAt`). */
  readonly expiresAt: number
  /** The minimum poll interval in seconds; grows by 5 on every `slow_down` (CIBA §7.3). */
  readonly interval: number
  /** When the client last polled the token endpoint for this request. */
  readonly lastPolledAt?: number
  /** Set on the `pending -> approved` transition. */
  readonly approval?: ApprovalRecord
  /** Set on the `pending -> denied | expired` transition. */
  readonly denial?: DenialRecord
  /** When the request reached its current status. */
  readonly updatedAt?: number
}

/** An issued access or refresh token. The token value itself is never stored: `id` is its hash. */
export interface TokenRecord {
  /** base64url(SHA-256(token value)). */
  readonly id: string
  readonly kind: 'access_token' | 'refresh_token'
  /** The grant this token belongs to (the originating `auth_req_id`). */
  readonly grantId: string
  readonly clientId: string
  readonly sub: string
  readonly scope: string
  readonly issuedAt: number
  readonly expiresAt: number
  /** Carried so a refreshed ID token can repeat them (OIDC Core §12.2). */
  readonly authTime?: number
  readonly acr?: string
  readonly amr?: readonly string[]
  /** Refresh tokens: set when this token was exchanged (rotation); a second use is reuse. */
  readonly usedAt?: number
}

/** A registered client (RFC 7591) as stored. Static clients from configuration are never stored. */
export interface ClientRecord {
  readonly clientId: string
  /** Client metadata with wire (snake_case) names, defaults filled in, as answered by registration. */
  readonly metadata: Readonly<Record<string, unknown>>
  /** `client_secret`, when the auth method needs one (client_secret_jwt needs the value itself). */
  readonly clientSecret?: string
  /** base64url(SHA-256(registration_access_token)), RFC 7592. */
  readonly registrationAccessTokenHash?: string
  readonly createdAt: number
  readonly updatedAt?: number
  /**
   * Counts the updates of this registration (absent: 0, as in a new one). The compare-and-set key
   * of {@link CibaStorage.updateClient}: an update is stored only over the revision it was made from.
   */
  readonly revision?: number
}

/** A ping or push notification waiting to be delivered (the outbox), CIBA §10. */
export interface DeliveryRecord {
  readonly id: string
  readonly authReqId: string
  readonly clientId: string
  readonly kind: 'ping' | 'push' | 'expiry'
  /**
   * The `backchannel_client_notification_endpoint` when the delivery was queued. The worker sends to
   * the client's endpoint at send time instead (a registered client may change or remove it).
   */
  readonly endpoint: string
  /** Bearer for the `Authorization` header (the client_notification_token). */
  readonly notificationToken: string
  /** Serialised JSON body to POST. */
  readonly payload: string
  readonly attempts: number
  /** Epoch seconds at which the next attempt is due. */
  readonly nextAttemptAt: number
  readonly createdAt: number
  /** After this, no further attempt is made (the delivery fails). */
  readonly deadline: number
  readonly lastError?: string
}

/** Side effects applied in the same atomic step as an auth request transition. */
export interface TransitionEffects {
  /** Tokens to create (e.g. `approved -> consumed` issues them). */
  readonly tokens?: readonly TokenRecord[]
  /** A delivery to enqueue (ping/push). */
  readonly delivery?: DeliveryRecord
}

/**
 * The change {@link CibaStorage.transitionAuthRequest} merges into a record. A key given with the
 * value `undefined` is removed from the record (e.g. the `clientNotificationToken` once no delivery
 * needs it).
 */
export type AuthRequestPatch = {
  readonly [K in keyof Omit<AuthRequestRecord, 'id' | 'clientId'>]?: AuthRequestRecord[K] | undefined
}

/** Result of {@link CibaStorage.useRefreshToken}. */
export type RefreshTokenUse =
  | { readonly outcome: 'used'; readonly record: TokenRecord }
  | { readonly outcome: 'reused'; readonly record: TokenRecord }
  | { readonly outcome: 'missing' }

/**
 * Persistence for ciba-kit. {@link MemoryStorage} is the embedded default;
 * `@ciba-kit/storage-redis` shares state between OP processes.
 *
 * @see `@ciba-kit/storage-testkit` for the executable version of this contract.
 */
export interface CibaStorage {
  // ---- backchannel authentication requests ------------------------------------------------

  /**
   * Atomic create-if-absent. Keep the record until `expiresAt + retainSeconds` (so a late poll is
   * answered `expired_token`, not `invalid_grant`). Returns `false` if the id already exists.
   */
  createAuthRequest(record: AuthRequestRecord, retainSeconds: number): Promise<boolean>

  /** The record, or `undefined` when unknown or removed. */
  getAuthRequest(id: string): Promise<AuthRequestRecord | undefined>

  /**
   * Atomic: set `lastPolledAt = polledAt` and return the record as it was *before* the update
   * (so the caller sees the previous poll time). `undefined` when unknown. The TTL is unchanged.
   */
  recordPoll(id: string, polledAt: number): Promise<AuthRequestRecord | undefined>

  /**
   * Atomic compare-and-set: if the record exists and its status is one of `from`, shallow-merge
   * `patch` into it (keys whose value is `undefined` are removed), apply `effects`, and return
   * the new record. Otherwise change nothing and return `undefined`. The TTL is unchanged.
   */
  transitionAuthRequest(
    id: string,
    from: readonly AuthRequestStatus[],
    patch: AuthRequestPatch,
    effects?: TransitionEffects,
  ): Promise<AuthRequestRecord | undefined>

  // ---- tokens -----------------------------------------------------------------------------

  /** Store tokens (kept until each one's `expiresAt`). Ignored for a revoked grant. */
  saveTokens(records: readonly TokenRecord[]): Promise<void>

  /** A token by id, or `undefined` when unknown, expired or its grant was revoked. */
  findToken(id: string): Promise<TokenRecord | undefined>

  /**
   * Atomic consume-once for refresh-token rotation: if unused, mark `usedAt = usedAt` and create
   * `replacements` (outcome `used`). If it was already used, revoke its whole grant (outcome
   * `reused`, replacements not stored). Unknown, expired or revoked: `missing`.
   */
  useRefreshToken(id: string, usedAt: number, replacements: readonly TokenRecord[]): Promise<RefreshTokenUse>

  /**
   * Revoke every token of a grant, now and in future: afterwards `findToken` returns `undefined`
   * for them and `saveTokens` ignores new ones. Keep the revocation mark until `until`.
   */
  revokeGrant(grantId: string, until: number): Promise<void>

  // ---- one-time identifiers ---------------------------------------------------------------

  /**
   * Atomic: record `key` (a `jti`, namespaced by the caller) until `expiresAt`. Returns `true` the
   * first time, `false` if it is already recorded (a replay).
   */
  markOnce(key: string, expiresAt: number): Promise<boolean>

  // ---- registered clients -----------------------------------------------------------------

  /** The registered client, or `undefined` when unknown or deleted. */
  getClient(clientId: string): Promise<ClientRecord | undefined>

  /**
   * Atomic create-if-absent (RFC 7591 registration). Returns `false`, storing nothing, if a client
   * with this `clientId` exists: a new registration never replaces another one.
   */
  createClient(record: ClientRecord): Promise<boolean>

  /**
   * Atomic compare-and-set (RFC 7592 §2.2 update): replace the stored client with `record` only if a
   * client with `record.clientId` exists and its `revision` (absent: 0) is `expectedRevision`.
   * Otherwise change nothing and return `false`: the client was deleted, or updated by someone else,
   * since it was read. Never creates a client (an update racing a delete must not bring it back).
   */
  updateClient(record: ClientRecord, expectedRevision: number): Promise<boolean>

  /** Returns `false` when there was no such client. */
  deleteClient(clientId: string): Promise<boolean>

  // ---- notification outbox (ping / push) --------------------------------------------------

  /** Add a delivery (usually through {@link TransitionEffects}). */
  enqueueDelivery(record: DeliveryRecord): Promise<void>

  /**
   * Atomic lease: return up to `limit` deliveries with `nextAttemptAt <= now`, and set their
   * `nextAttemptAt` to `leaseUntil` in the same step, so that a concurrent claimer (another OP
   * process) does not get them until the lease lapses (a crashed claimer's work is retried).
   */
  claimDeliveries(now: number, limit: number, leaseUntil: number): Promise<DeliveryRecord[]>

  /** Update a delivery after a failed attempt (attempts, nextAttemptAt, lastError). */
  rescheduleDelivery(id: string, patch: Pick<DeliveryRecord, 'attempts' | 'nextAttemptAt'> & { readonly lastError?: string }): Promise<void>

  /** Remove a delivery (delivered, or given up). */
  removeDelivery(id: string): Promise<void>

  // ---- lifecycle --------------------------------------------------------------------------

  /** Release timers/connections the storage itself owns. Optional. */
  close?(): Promise<void>
}

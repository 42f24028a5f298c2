import type { JWK } from 'jose'
import type { Notifier } from './notifier/types.js'
import type { CibaStorage, DeliveryMode } from './storage/types.js'
import type { ClientMetadata } from './clients/metadata.js'
import type { ProviderEvents } from './events.js'
import type { RegistrationConfig } from './clients/registration-config.js'
import type { DeliveryOptions } from './delivery/options.js'

/** The CIBA grant type (CIBA Core §4, §10.1). */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba'

/** Context handed to integrator hooks: who is asking, and the raw request parameters. */
export interface RequestContext {
  /** The client's metadata, without its `client_secret`. */
  readonly client: Readonly<ClientMetadata> & { readonly client_id: string }
  /**
   * The validated authentication request parameters (wire names), without the credentials among
   * them (`client_secret`, `client_assertion`, `client_assertion_type`, `client_notification_token`).
   */
  readonly params: Readonly<Record<string, string>>
  /**
   * The verified claims of a signed authentication request (CIBA §7.1.1), when the client sent one:
   * also the non-string extension claims that are not `params` (e.g. FAPI-CIBA `request_context`).
   * Without `client_notification_token`, as `params`.
   */
  readonly requestObject?: Readonly<Record<string, unknown>>
}

/** A user the OP knows. */
export interface ResolvedUser {
  readonly sub: string
}

/**
 * Finds the user a backchannel authentication request names (CIBA Core §7.1).
 *
 * @example
 * const users: UserResolver = {
 *   findByLoginHint: (hint) => db.users.byEmailOrName(hint),   // -> { sub } | undefined
 *   claims: (sub, scope) => ({ sub, email: db.users.get(sub).email }),
 * }
 */
export interface UserResolver {
  /** `login_hint`: return `undefined` for nobody (answered `unknown_user_id`). */
  findByLoginHint(hint: string, ctx: RequestContext): ResolvedUser | undefined | Promise<ResolvedUser | undefined>
  /**
   * `login_hint_token` (CIBA §7.1): verify the token as your deployment defines it. Throw
   * `ExpiredLoginHintToken` when it expired; return `undefined` for nobody. Omit to reject the parameter.
   */
  findByLoginHintToken?(token: string, ctx: RequestContext): ResolvedUser | undefined | Promise<ResolvedUser | undefined>
  /** Claims for userinfo (OIDC Core §5.3) given the granted scope. `sub` is always set by the OP. */
  claims(sub: string, scope: readonly string[], ctx: { readonly clientId: string }): Record<string, unknown> | Promise<Record<string, unknown>>
}

/** Integrator policy hooks for the backchannel authentication request (CIBA Core §7.1). */
export interface PolicyHooks {
  /** Replace the default `binding_message` policy; throw `InvalidBindingMessage` to reject. */
  validateBindingMessage?(message: string, ctx: RequestContext): void | Promise<void>
  /** Verify a `user_code` (CIBA §7.1); return `false` (or throw `InvalidUserCode`) to reject. */
  verifyUserCode?(userCode: string, user: ResolvedUser, ctx: RequestContext): boolean | Promise<boolean>
  /** Any further risk check; throw an `OAuthError` with any CIBA §13 code to reject. */
  validateRequestContext?(ctx: RequestContext & { readonly user: ResolvedUser }): void | Promise<void>
}

/**
 * Checks a client secret presented with `client_secret_basic` / `client_secret_post` against what
 * the host stores (a bcrypt/scrypt/argon2 hash, an HSM...). Must compare in constant time and
 * resolve `true` only for the right secret. Never log its argument.
 */
export type SecretVerifier = (secret: string) => boolean | Promise<boolean>

/**
 * A client from the host's own registry: the same metadata as a static client (wire names), where
 * the plaintext `client_secret` may be replaced by {@link HostClient.verifySecret}.
 */
export interface HostClient extends ClientMetadata {
  /**
   * Verifies presented secrets instead of a plaintext `client_secret` (give one or the other).
   * Serves `client_secret_basic` and `client_secret_post`; `client_secret_jwt` needs the plaintext
   * secret as its HMAC key.
   */
  readonly verifySecret?: SecretVerifier
}

/**
 * Finds clients in the integrator's own registry (a database table, an existing OAuth server's
 * client store), so they can use CIBA without being copied into ciba-kit.
 *
 * Precedence: static `clients` first, then this hook, then clients registered through ciba-kit's
 * dynamic registration (in storage). Operator-controlled sources come first, so a self-registered
 * client can never shadow a client the operator configured. The hook is called per request that
 * authenticates a client: cache in it if your registry is slow.
 *
 * @see RFC 7591 §2 (client metadata), CIBA Core §4 (CIBA client metadata)
 * @example
 * const clientLookup: ClientLookup = {
 *   async find(clientId) {
 *     const row = await db.clients.get(clientId)
 *     if (row === undefined || !row.cibaEnabled) return undefined
 *     return {
 *       client_id: row.id,
 *       client_name: row.name,
 *       verifySecret: (secret) => scryptVerify(secret, row.secretHash),
 *       grant_types: ['urn:openid:params:grant-type:ciba'],
 *       backchannel_token_delivery_mode: 'poll',
 *     }
 *   },
 * }
 */
export interface ClientLookup {
  /**
   * The client with this `client_id`, or `undefined` for none. Its `client_id` must equal the
   * argument. Metadata that fails validation, or a throw, is answered as `server_error` and
   * reported through the `server_error` event.
   */
  find(clientId: string): HostClient | undefined | Promise<HostClient | undefined>
}

/** Configuration of {@link createProvider}. Validated at start-up; never mutated. */
export interface ProviderConfig {
  /** The OP's issuer identifier: `https` URL (or `http` on loopback), no query or fragment. */
  readonly issuer: string
  /**
   * Private signing JWKs (RSA, EC P-256/384/521, Ed25519). `kid` is taken from the JWK or derived
   * from its RFC 7638 thumbprint. The first key of each algorithm signs; all are published.
   */
  readonly signingKeys: readonly JWK[]
  /** Where state lives. Default: a new {@link MemoryStorage}. */
  readonly storage?: CibaStorage
  /** Static clients (RFC 7591 metadata with wire names). */
  readonly clients?: readonly ClientMetadata[]
  /** Clients from the host's own registry, consulted after static `clients` (see {@link ClientLookup}). */
  readonly clientLookup?: ClientLookup
  readonly users: UserResolver
  readonly notifier: Notifier
  readonly hooks?: PolicyHooks
  /** `scopes_supported`. Default `openid profile email address phone offline_access`. */
  readonly scopes?: readonly string[]
  /** `claims_supported`. Default: the OIDC standard claims of the default scopes. */
  readonly claims?: readonly string[]
  /** `acr_values_supported`; when set, `acr_values` outside it are rejected. */
  readonly acrValues?: readonly string[]
  /** Delivery modes the OP enables. Default `['poll']`. */
  readonly deliveryModes?: readonly DeliveryMode[]
  /** Support for the `user_code` parameter (CIBA §7.1, discovery flag). Default `false`. */
  readonly userCodeSupported?: boolean
  readonly polling?: {
    /** Minimum seconds between polls, returned as `interval` (CIBA §7.3). Default 5. */
    readonly interval?: number
  }
  readonly requestedExpiry?: {
    /** `expires_in` when the client sends no `requested_expiry`. Default 300. */
    readonly default?: number
    /** Lower bound. Default 10. */
    readonly min?: number
    /** Upper bound. Default 3600. */
    readonly max?: number
    /** Out-of-range `requested_expiry`: clamp into bounds (default) or reject with `invalid_request`. */
    readonly outOfRange?: 'clamp' | 'reject'
  }
  /** Seconds an expired or finished request is kept to answer `expired_token`/`invalid_grant`. Default 600. */
  readonly expiredRetention?: number
  readonly tokens?: {
    /** Access token lifetime in seconds. Default 3600. */
    readonly accessTokenTtl?: number
    /** Refresh token lifetime in seconds. Default 14 days. */
    readonly refreshTokenTtl?: number
    /** ID token lifetime in seconds. Default 3600. */
    readonly idTokenTtl?: number
  }
  /** Dynamic Client Registration (RFC 7591) and management (RFC 7592). Default: disabled. */
  readonly registration?: RegistrationConfig
  /**
   * The host's own token endpoint also issues refresh tokens: hand refresh requests whose token
   * ciba-kit does not know (issued by the host, or expired/revoked here) to the host as "not mine".
   * Default `false`: ciba-kit answers every `refresh_token` grant (`invalid_grant` when unknown).
   * @see RFC 6749 §6
   */
  readonly passUnknownRefreshTokens?: boolean
  /**
   * Token requests whose `grant_type` ciba-kit does not own: `'pass'` (default) hands them to the
   * host (`next()` in the adapters, `undefined` from `handlers.token`); `'reject'` answers
   * `400 unsupported_grant_type` (RFC 6749 §5.2), for an OP that has no other token endpoint.
   */
  readonly otherGrantTypes?: 'pass' | 'reject'
  /**
   * 256-bit keys that seal the secrets storage must hold in readable form (ping/push
   * `client_notification_token`s, push token responses waiting in the outbox) as JWE. The first
   * seals, all open. Default: derived from `signingKeys` (HKDF), so every process sharing the
   * signing keys can open them. Set it to rotate signing keys independently of waiting deliveries.
   */
  readonly sealingKeys?: readonly Uint8Array[]
  /** Endpoint paths relative to the mount point (and to the issuer, for discovery). */
  readonly routes?: Partial<Routes>
  /** Request body limit in bytes for adapters that read the body. Default 64 KiB. */
  readonly bodyLimit?: number
  /**
   * Seconds a client may take to send a request body, for adapters that read the body: a slower
   * one is answered `408` and its connection closed. Default 10.
   */
  readonly bodyTimeout?: number
  /**
   * Fetching client keys from `jwks_uri` (`private_key_jwt`, signed authentication requests).
   * Documents are fetched without redirects, with a time and size limit, and cached.
   */
  readonly clientJwks?: {
    /** Outbound `fetch` for `jwks_uri`. Default: the global `fetch`. */
    readonly fetch?: typeof fetch
    /** Milliseconds a fetch may take. Default 3000. */
    readonly timeoutMs?: number
    /** Largest accepted JWK Set, bytes. Default 65536. */
    readonly maxBytes?: number
    /** Seconds a fetched set is used before it is fetched again. Default 300. */
    readonly cacheTtl?: number
    /** Minimum seconds between refetches caused by an unknown `kid`. Default 30. */
    readonly refetchCooldown?: number
  }
  /** Signed authentication requests (CIBA Core §7.1.1). */
  readonly requestObjects?: {
    /**
     * Longest accepted validity, seconds: `exp - nbf` may not exceed it, and `nbf` may not lie
     * further in the past. Default 3600 (60 minutes).
     */
    readonly maxLifetime?: number
  }
  /** JWT client assertions (RFC 7523 §3, OIDC Core §9). */
  readonly clientAssertions?: {
    /** How far ahead of now `exp` may lie, seconds. Default 600. */
    readonly maxLifetime?: number
  }
  /** Clock skew tolerated on JWT time claims, seconds (an integer, 0 to 300). Default 30. */
  readonly clockSkew?: number
  /** Current time in epoch seconds. Injectable for tests. */
  readonly clock?: () => number
  /** Generates `auth_req_id`s and tokens (≥128 bits of entropy, URL-safe). Injectable for tests. */
  readonly generateId?: () => string
  /** Ping and push notification delivery: retries, timeouts, TLS trust, address guard (CIBA §10.2, §10.3). */
  readonly delivery?: DeliveryOptions
  /** Options that are only safe in development. */
  readonly development?: {
    /** Allow `http` notification endpoints on loopback hosts (CIBA requires https otherwise). */
    readonly allowHttpNotificationEndpoints?: boolean
    /** Accept `http` client `jwks_uri` on loopback hosts (production requires https). */
    readonly allowHttpJwksUri?: boolean
  }
  /** Subscribe to provider events at creation (also possible later via `provider.on`). */
  readonly on?: Partial<{ [E in keyof ProviderEvents]: (payload: ProviderEvents[E]) => void }>
}

/** Endpoint paths. */
export interface Routes {
  readonly discovery: string
  readonly jwks: string
  readonly backchannelAuthentication: string
  readonly token: string
  readonly userinfo: string
  readonly registration: string
}

/** Default endpoint paths. */
export const DEFAULT_ROUTES: Routes = Object.freeze({
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  backchannelAuthentication: '/backchannel-authentication',
  token: '/token',
  userinfo: '/userinfo',
  registration: '/register',
})

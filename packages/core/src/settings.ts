import { ConfigurationError } from './errors/oauth-error.js'
import { DEFAULT_ROUTES, type PolicyHooks, type ProviderConfig, type Routes, type UserResolver } from './config.js'
import { assertSigningKey, supportedAlgorithms, ASYMMETRIC_ALGS } from './keys/signing-keys.js'
import type { DeliveryMode } from './storage/types.js'
import type { Notifier } from './notifier/types.js'
import { randomId } from './tokens/hashes.js'
import { resolveRegistrationSettings, type RegistrationSettings } from './clients/registration-config.js'
import { resolveDeliverySettings, type DeliverySettings } from './delivery/options.js'
import { isLoopbackHttp } from './http/outbound-url.js'

/** The configuration with every default applied; what the endpoints read. Frozen. */
export interface Settings {
  readonly issuer: string
  readonly routes: Routes
  /** Absolute endpoint URLs (issuer + route). */
  readonly urls: Readonly<Record<keyof Routes, string>>
  readonly users: UserResolver
  readonly notifier: Notifier
  readonly hooks: PolicyHooks
  readonly scopes: readonly string[]
  readonly claims: readonly string[]
  readonly acrValues: readonly string[] | undefined
  readonly deliveryModes: readonly DeliveryMode[]
  readonly userCodeSupported: boolean
  readonly interval: number
  readonly expiry: { readonly default: number; readonly min: number; readonly max: number; readonly outOfRange: 'clamp' | 'reject' }
  readonly expiredRetention: number
  readonly accessTokenTtl: number
  readonly refreshTokenTtl: number
  readonly idTokenTtl: number
  readonly bodyLimit: number
  readonly bodyTimeout: number
  readonly clockSkew: number
  readonly idTokenAlgs: readonly string[]
  readonly requestObjectAlgs: readonly string[]
  readonly allowHttpNotificationEndpoints: boolean
  /** `jwks_uri` fetching (see `ProviderConfig.clientJwks`). */
  readonly clientJwks: {
    readonly fetch: typeof fetch | undefined
    readonly timeoutMs: number
    readonly maxBytes: number
    readonly cacheTtl: number
    readonly refetchCooldown: number
    readonly allowHttpLoopback: boolean
  }
  /** CIBA §7.1.1: bound on `exp - nbf` and on the age of `nbf`, seconds. */
  readonly requestObjectMaxLifetime: number
  /** RFC 7523: how far ahead `exp` of a client assertion may lie, seconds. */
  readonly clientAssertionMaxLifetime: number
  /** Ping/push delivery (the outbox worker). */
  readonly delivery: DeliverySettings
  readonly passUnknownRefreshTokens: boolean
  readonly otherGrantTypes: 'pass' | 'reject'
  readonly clock: () => number
  readonly generateId: () => string
  /** Dynamic registration; `undefined` when disabled. */
  readonly registration: RegistrationSettings | undefined
}

const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access']
const DEFAULT_CLAIMS = [
  'sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
  'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at', 'email', 'email_verified',
  'address', 'phone_number', 'phone_number_verified', 'auth_time', 'acr', 'amr',
]

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive integer (seconds), got ${String(value)}`)
  }
  return value
}

/** Largest clock skew accepted: more would keep expired JWTs valid, and their jti remembered, for longer. */
const MAX_CLOCK_SKEW = 300

function clockSkew(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_CLOCK_SKEW) {
    throw new ConfigurationError(`clockSkew must be an integer from 0 to ${MAX_CLOCK_SKEW} (seconds), got ${String(value)}`)
  }
  return value
}

function checkIssuer(issuer: unknown): string {
  if (typeof issuer !== 'string' || issuer === '') throw new ConfigurationError('issuer is required')
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw new ConfigurationError(`issuer must be a URL, got "${issuer}"`)
  }
  if (url.search !== '' || url.hash !== '') throw new ConfigurationError('issuer must not have a query or fragment (OIDC Discovery §3)')
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new ConfigurationError('issuer must use https (http is allowed only on localhost/loopback)')
  }
  return issuer.endsWith('/') ? issuer.slice(0, -1) : issuer
}

/** Validates the configuration and applies defaults. @throws ConfigurationError */
export function resolveSettings(config: ProviderConfig): Settings {
  if (config === null || typeof config !== 'object') throw new ConfigurationError('configuration object is required')
  const issuer = checkIssuer(config.issuer)
  if (!Array.isArray(config.signingKeys) || config.signingKeys.length === 0) {
    throw new ConfigurationError('signingKeys must hold at least one private JWK')
  }
  config.signingKeys.forEach(assertSigningKey)
  if (config.users === undefined || typeof config.users.findByLoginHint !== 'function' || typeof config.users.claims !== 'function') {
    throw new ConfigurationError('users must implement findByLoginHint(hint, ctx) and claims(sub, scope, ctx)')
  }
  if (config.notifier === undefined || typeof config.notifier.notify !== 'function') {
    throw new ConfigurationError('notifier must implement notify(notice)')
  }
  if (config.otherGrantTypes !== undefined && config.otherGrantTypes !== 'pass' && config.otherGrantTypes !== 'reject') {
    throw new ConfigurationError('otherGrantTypes must be "pass" or "reject"')
  }
  const routes: Routes = { ...DEFAULT_ROUTES, ...config.routes }
  for (const [name, path] of Object.entries(routes)) {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new ConfigurationError(`routes.${name} must be a path starting with "/"`)
  }
  // CIBA §7.1: with user_code support the OP must be able to check one.
  if (config.userCodeSupported === true && typeof config.hooks?.verifyUserCode !== 'function') {
    throw new ConfigurationError('userCodeSupported requires hooks.verifyUserCode(userCode, user, ctx)')
  }
  const deliveryModes = [...(config.deliveryModes ?? ['poll'])]
  if (deliveryModes.length === 0 || deliveryModes.some((m) => m !== 'poll' && m !== 'ping' && m !== 'push')) {
    throw new ConfigurationError('deliveryModes must be a non-empty list of "poll", "ping", "push"')
  }
  const expiry = {
    default: positiveInteger(config.requestedExpiry?.default ?? 300, 'requestedExpiry.default'),
    min: positiveInteger(config.requestedExpiry?.min ?? 10, 'requestedExpiry.min'),
    max: positiveInteger(config.requestedExpiry?.max ?? 3600, 'requestedExpiry.max'),
    outOfRange: config.requestedExpiry?.outOfRange ?? 'clamp',
  } as const
  if (expiry.min > expiry.default || expiry.default > expiry.max) {
    throw new ConfigurationError('requestedExpiry must satisfy min <= default <= max')
  }
  const scopes = [...(config.scopes ?? DEFAULT_SCOPES)]
  if (!scopes.includes('openid')) scopes.unshift('openid')
  const registration = resolveRegistrationSettings(config.registration, config.bodyLimit ?? 64 * 1024)
  const urls = Object.fromEntries(Object.entries(routes).map(([k, path]) => [k, issuer + path])) as Record<keyof Routes, string>

  return Object.freeze({
    issuer,
    routes: Object.freeze(routes),
    urls: Object.freeze(urls),
    users: config.users,
    notifier: config.notifier,
    hooks: config.hooks ?? {},
    scopes: Object.freeze(scopes),
    claims: Object.freeze([...(config.claims ?? DEFAULT_CLAIMS)]),
    acrValues: config.acrValues === undefined ? undefined : Object.freeze([...config.acrValues]),
    deliveryModes: Object.freeze(deliveryModes),
    userCodeSupported: config.userCodeSupported ?? false,
    interval: positiveInteger(config.polling?.interval ?? 5, 'polling.interval'),
    expiry,
    expiredRetention: positiveInteger(config.expiredRetention ?? 600, 'expiredRetention'),
    accessTokenTtl: positiveInteger(config.tokens?.accessTokenTtl ?? 3600, 'tokens.accessTokenTtl'),
    refreshTokenTtl: positiveInteger(config.tokens?.refreshTokenTtl ?? 14 * 24 * 3600, 'tokens.refreshTokenTtl'),
    idTokenTtl: positiveInteger(config.tokens?.idTokenTtl ?? 3600, 'tokens.idTokenTtl'),
    bodyLimit: positiveInteger(config.bodyLimit ?? 64 * 1024, 'bodyLimit'),
    bodyTimeout: positiveInteger(config.bodyTimeout ?? 10, 'bodyTimeout'),
    clockSkew: clockSkew(config.clockSkew ?? 30),
    idTokenAlgs: Object.freeze(supportedAlgorithms(config.signingKeys)),
    requestObjectAlgs: Object.freeze([...ASYMMETRIC_ALGS]),
    allowHttpNotificationEndpoints: config.development?.allowHttpNotificationEndpoints ?? false,
    clientJwks: Object.freeze({
      fetch: config.clientJwks?.fetch,
      timeoutMs: positiveInteger(config.clientJwks?.timeoutMs ?? 3000, 'clientJwks.timeoutMs'),
      maxBytes: positiveInteger(config.clientJwks?.maxBytes ?? 64 * 1024, 'clientJwks.maxBytes'),
      cacheTtl: positiveInteger(config.clientJwks?.cacheTtl ?? 300, 'clientJwks.cacheTtl'),
      refetchCooldown: positiveInteger(config.clientJwks?.refetchCooldown ?? 30, 'clientJwks.refetchCooldown'),
      allowHttpLoopback: config.development?.allowHttpJwksUri ?? false,
    }),
    requestObjectMaxLifetime: positiveInteger(config.requestObjects?.maxLifetime ?? 3600, 'requestObjects.maxLifetime'),
    clientAssertionMaxLifetime: positiveInteger(config.clientAssertions?.maxLifetime ?? 600, 'clientAssertions.maxLifetime'),
    delivery: resolveDeliverySettings(config.delivery, config.clock, config.development?.allowHttpNotificationEndpoints === true),
    passUnknownRefreshTokens: config.passUnknownRefreshTokens ?? false,
    otherGrantTypes: config.otherGrantTypes ?? 'pass',
    clock: config.clock ?? (() => Math.floor(Date.now() / 1000)),
    generateId: config.generateId ?? randomId,
    registration,
  })
}

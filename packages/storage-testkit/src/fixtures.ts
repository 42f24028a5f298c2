import { randomBytes } from 'node:crypto'
import type { AuthRequestRecord, ClientRecord, DeliveryRecord, TokenRecord } from '@ciba-kit/core'

/** A fresh random identifier (128 bits, base64url), as the provider generates them. */
export function newId(): string {
  return randomBytes(16).toString('base64url')
}

/** Drops keys whose value is `undefined` (records never carry them). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/**
 * A pending auth request with every optional field filled, including values that naive JSON
 * encoders get wrong (empty arrays and objects, `null`, unicode, fractions).
 */
export function authRequest(now: number, overrides: Partial<AuthRequestRecord> = {}): AuthRequestRecord {
  return defined({
    id: newId(),
    clientId: 'client-' + newId().slice(0, 8),
    status: 'pending',
    sub: 'user-1',
    scope: 'openid profile',
    deliveryMode: 'ping',
    acrValues: ['urn:acr:high', 'urn:acr:low'],
    bindingMessage: 'W4SCT — Zürich ✓',
    clientNotificationToken: newId(),
    claimsRequest: {
      id_token: { acr: { essential: true, values: [] }, email: null },
      userinfo: {},
      ratio: 0.1,
      big: 9007199254740991,
    },
    createdAt: Math.floor(now),
    expiresAt: Math.floor(now) + 600,
    interval: 5,
    ...overrides,
  } satisfies AuthRequestRecord)
}

/** An access or refresh token record of `grantId`. */
export function token(now: number, grantId: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return defined({
    id: newId(),
    kind: 'access_token',
    grantId,
    clientId: 'client-1',
    sub: 'user-1',
    scope: 'openid',
    issuedAt: Math.floor(now),
    expiresAt: Math.floor(now) + 3600,
    authTime: Math.floor(now) - 10,
    acr: 'urn:acr:high',
    amr: ['pwd', 'otp'],
    ...overrides,
  } satisfies TokenRecord)
}

/** A refresh token record of `grantId`. */
export function refreshToken(now: number, grantId: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return token(now, grantId, { kind: 'refresh_token', expiresAt: Math.floor(now) + 86_400, amr: [], ...overrides })
}

/** A ping delivery due at `nextAttemptAt`. */
export function delivery(now: number, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  const authReqId = newId()
  return defined({
    id: newId(),
    authReqId,
    clientId: 'client-1',
    kind: 'ping',
    endpoint: 'https://rp.example.com/cb?x=1&y=/2',
    notificationToken: newId(),
    payload: JSON.stringify({ auth_req_id: authReqId }),
    attempts: 0,
    nextAttemptAt: Math.floor(now),
    createdAt: Math.floor(now),
    deadline: Math.floor(now) + 600,
    ...overrides,
  } satisfies DeliveryRecord)
}

/** A registered client record. */
export function client(now: number, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return defined({
    clientId: 'dyn-' + newId(),
    metadata: {
      client_name: 'Caisse 17 — Genève',
      grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
      backchannel_token_delivery_mode: 'poll',
      redirect_uris: [],
      jwks: { keys: [] },
      default_max_age: null,
    },
    clientSecret: newId(),
    registrationAccessTokenHash: newId(),
    createdAt: Math.floor(now),
    ...overrides,
  } satisfies ClientRecord)
}

/** Removes one key from a record (what a patch with `undefined` does). */
export function without<T extends object, K extends keyof T>(record: T, key: K): Omit<T, K> {
  const { [key]: _removed, ...rest } = record
  return rest
}

import { CompactSign } from 'jose'
import { OAuthError } from '../errors/oauth-error.js'
import type { KeySet } from '../keys/signing-keys.js'
import { leftHalfHash } from './hashes.js'

/** Claims for an ID token (OIDC Core §2, CIBA Core §10.3.1). */
export interface IdTokenInput {
  readonly issuer: string
  readonly clientId: string
  readonly sub: string
  readonly alg: string
  readonly now: number
  readonly ttl: number
  readonly authTime?: number | undefined
  readonly acr?: string | undefined
  readonly amr?: readonly string[] | undefined
  readonly accessToken?: string | undefined
  /** CIBA §10.3.1 push mode: `urn:openid:params:jwt:claim:auth_req_id`. */
  readonly authReqId?: string | undefined
  /** CIBA §10.3.1 push mode: `urn:openid:params:jwt:claim:rt_hash`. */
  readonly refreshToken?: string | undefined
  readonly extraClaims?: Readonly<Record<string, unknown>> | undefined
}

const encoder = new TextEncoder()

/** Registered claims the extra claims may not override. */
const PROTECTED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'acr', 'amr', 'at_hash', 'azp', 'nonce'])

/** Signs an ID token with the provider key for `alg`. */
export async function signIdToken(input: IdTokenInput, keys: KeySet): Promise<string> {
  const key = keys.forAlg(input.alg)
  if (key === undefined) throw new OAuthError('server_error', { description: 'no key for the client\'s id_token_signed_response_alg' })
  const claims: Record<string, unknown> = {}
  if (input.extraClaims !== undefined) {
    for (const [name, value] of Object.entries(input.extraClaims)) if (!PROTECTED.has(name)) claims[name] = value
  }
  if (input.authTime !== undefined) claims.auth_time = input.authTime
  if (input.acr !== undefined) claims.acr = input.acr
  if (input.amr !== undefined) claims.amr = input.amr
  if (input.accessToken !== undefined) claims.at_hash = leftHalfHash(input.accessToken, input.alg)
  if (input.authReqId !== undefined) claims['urn:openid:params:jwt:claim:auth_req_id'] = input.authReqId
  if (input.refreshToken !== undefined) claims['urn:openid:params:jwt:claim:rt_hash'] = leftHalfHash(input.refreshToken, input.alg)
  // Registered claims first (RFC 7519 §4.1); the claims are built and typed here, so jose's
  // lower-level CompactSign does the JWS (RFC 7515 §7.1) without the JWT builder's re-validation.
  const payload = { iss: input.issuer, sub: input.sub, aud: input.clientId, exp: input.now + input.ttl, iat: input.now, ...claims }
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.key)
}

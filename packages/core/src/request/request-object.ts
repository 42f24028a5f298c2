import { ClientKeyError, type ClientKeys } from '../clients/client-keys.js'
import type { Client } from '../clients/registry.js'
import { OAuthError } from '../errors/oauth-error.js'
import type { CibaStorage } from '../storage/types.js'
import type { ReadRequest } from '../endpoints/backchannel-authentication.js'
import type { FormParams } from './form.js'
import { parseJsonObject } from './json-object.js'
import { signedJwsAlg } from './signed-jws.js'

/** What reading a signed authentication request needs. */
export interface RequestObjectDeps {
  /** The OP issuer: `aud` must contain it. */
  readonly issuer: string
  readonly clock: () => number
  /** Seconds tolerated on `exp`, `nbf` and `iat`. */
  readonly clockSkew: number
  /** Bound on `exp - nbf` and on the age of `nbf`, seconds (60 minutes by default). */
  readonly maxLifetime: number
  /** The algorithms the OP advertises (`backchannel_authentication_request_signing_alg_values_supported`). */
  readonly supportedAlgs: readonly string[]
  readonly storage: Pick<CibaStorage, 'markOnce'>
  readonly clientKeys: ClientKeys
}

/**
 * Form parameters allowed next to `request`: the request itself and what client authentication
 * methods send (CIBA §7.1.1: `client_id` for mTLS / post, `client_assertion(_type)` for JWT).
 */
const OUTSIDE_ALLOWED: ReadonlySet<string> = new Set(['request', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type'])

/** Registered JWT claims of the object itself; they are not authentication request parameters. */
const JWT_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub'])

/** CIBA §7.1 parameters whose claim must be a JSON string. */
const STRING_PARAMS: ReadonlySet<string> = new Set([
  'scope', 'client_notification_token', 'acr_values', 'login_hint_token', 'id_token_hint', 'login_hint',
  'binding_message', 'user_code', 'client_id',
])

const MAX_JTI_LENGTH = 256
/** Longest accepted request object (characters), checked before any parsing. */
export const MAX_REQUEST_OBJECT_LENGTH = 32_768

function invalid(description: string): OAuthError {
  return new OAuthError('invalid_request', { description })
}

/**
 * Reads a backchannel authentication request (CIBA Core §7.1), unpacking a signed one (§7.1.1):
 * the `request` parameter is a JWS by the client with its registered
 * `backchannel_authentication_request_signing_alg`, verified with its `jwks` / `jwks_uri`; its
 * claims are the request parameters. Every violation is `invalid_request` naming the rule
 * (CIBA has no `invalid_request_object`).
 *
 * The `jti` is recorded (until `exp`) only once the signature and every claim check passed, so a
 * forged object never writes to storage.
 *
 * @see CIBA Core §7.1.1, RFC 7519 §4.1
 */
export function createRequestObjectReader(deps: RequestObjectDeps) {
  return async function readRequestParams(form: FormParams, client: Client): Promise<ReadRequest> {
    const registeredAlg = client.metadata.backchannel_authentication_request_signing_alg
    const jws = form['request']
    if (jws === undefined) {
      // CIBA §4: a client that registered a signing alg sends signed requests only.
      if (registeredAlg !== undefined) {
        throw invalid('this client is registered for signed authentication requests and must send a request object (request parameter)')
      }
      return { params: form }
    }
    // CIBA §4: without backchannel_authentication_request_signing_alg the client does not sign requests.
    if (registeredAlg === undefined) {
      throw invalid('this client has not registered backchannel_authentication_request_signing_alg, so it cannot send a request object')
    }
    // CIBA §7.1.1: authentication request parameters MUST NOT be present outside of the JWT.
    for (const name of Object.keys(form)) {
      if (!OUTSIDE_ALLOWED.has(name)) {
        throw invalid(`parameter ${safeName(name)} must be sent inside the request object, not next to it (CIBA §7.1.1)`)
      }
    }

    if (jws.length > MAX_REQUEST_OBJECT_LENGTH) throw invalid(`request object is longer than ${MAX_REQUEST_OBJECT_LENGTH} characters`)
    const alg = checkHeader(jws, registeredAlg, deps.supportedAlgs)
    let payload: Uint8Array
    try {
      payload = await deps.clientKeys.verify(jws, client, alg)
    } catch (error) {
      if (error instanceof ClientKeyError) throw new OAuthError('invalid_request', { description: `request object: ${error.message}` })
      throw error
    }
    const claims = parseClaims(payload)
    const { jti, rememberUntil } = checkClaims(claims, client.id, deps)
    const params = toParams(claims, client.id)
    // CIBA §7.1.1 jti: a request object is accepted once; remembered for as long as it would be accepted.
    if (!(await deps.storage.markOnce(`ro:${client.id}:${jti}`, rememberUntil))) {
      throw invalid('request object jti has already been used')
    }
    return { params, requestObject: Object.freeze(claims) }
  }
}

/** The reader's type: plugs into the backchannel endpoint's `RequestParamsReader` seam. */
export type RequestObjectReader = ReturnType<typeof createRequestObjectReader>

/** Compact JWS only; never `none`, HMAC, or an alg other than the client's registered one. */
function checkHeader(jws: string, registeredAlg: string, supportedAlgs: readonly string[]): string {
  const alg = signedJwsAlg(jws, 'request object', invalid)
  if (alg.startsWith('HS')) throw invalid('request object must be signed with the client\'s private key; HMAC algorithms are not allowed')
  if (!supportedAlgs.includes(alg)) throw invalid('request object alg is not supported by this OP')
  if (alg !== registeredAlg) {
    throw invalid(`request object must be signed with the client's registered backchannel_authentication_request_signing_alg ${registeredAlg}`)
  }
  return alg
}

function parseClaims(payload: Uint8Array): Record<string, unknown> {
  const claims = parseJsonObject(payload)
  if (claims === undefined) throw invalid('request object payload is not a JSON object')
  return claims
}

/** CIBA §7.1.1 registered claims: aud, iss, exp, iat, nbf, jti, all required. */
function checkClaims(claims: Record<string, unknown>, clientId: string, deps: RequestObjectDeps): { jti: string; rememberUntil: number } {
  const { iss, aud, exp, iat, nbf, jti } = claims
  if (iss === undefined) throw invalid('request object iss is missing')
  if (iss !== clientId) throw invalid('request object iss must be the client_id of the authenticated client')
  if (aud === undefined) throw invalid('request object aud is missing')
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.includes(deps.issuer)) throw invalid('request object aud must contain the OP issuer identifier')
  for (const [name, value] of [['exp', exp], ['iat', iat], ['nbf', nbf]] as const) {
    if (value === undefined) throw invalid(`request object ${name} is missing`)
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`request object ${name} must be a NumericDate`)
  }
  if (jti === undefined) throw invalid('request object jti is missing')
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalid(`request object jti must be a non-empty string of at most ${MAX_JTI_LENGTH} characters`)
  const now = deps.clock()
  const skew = deps.clockSkew
  const e = exp as number, n = nbf as number, i = iat as number
  if (e <= now - skew) throw invalid('request object has expired (exp)')
  if (n > now + skew) throw invalid('request object is not yet valid (nbf is in the future)')
  if (now - n > deps.maxLifetime + skew) throw invalid(`request object nbf is more than ${minutes(deps.maxLifetime)} in the past`)
  if (e - n > deps.maxLifetime) throw invalid(`request object lifetime (exp - nbf) exceeds ${minutes(deps.maxLifetime)}`)
  if (i > now + skew) throw invalid('request object iat is in the future')
  // Accepted until `exp + skew`, so remembered as long.
  return { jti, rememberUntil: Math.ceil(e) + skew }
}

/**
 * The claims as the validator's string parameters. CIBA §7.1 parameters must be strings, except
 * `requested_expiry`, which may be a JSON number or a numeric string. Other string claims pass
 * through (extensions); non-string extension claims are not parameters and are left out.
 */
function toParams(claims: Record<string, unknown>, clientId: string): Readonly<Record<string, string>> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [name, value] of Object.entries(claims)) {
    if (JWT_CLAIMS.has(name)) continue
    if (name === 'request' || name === 'request_uri') throw invalid(`request object must not contain ${name}`)
    if (name === 'requested_expiry') {
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value) || value <= 0) throw invalid('requested_expiry must be a positive integer')
        params[name] = String(value)
      } else if (typeof value === 'string') {
        if (value !== '') params[name] = value
      } else throw invalid('request object requested_expiry must be a number or a numeric string')
      continue
    }
    if (typeof value !== 'string') {
      if (STRING_PARAMS.has(name)) throw invalid(`request object claim ${name} must be a string`)
      continue
    }
    // Like an empty form parameter (RFC 6749 §3.1), an empty claim counts as absent.
    if (value !== '') params[name] = value
  }
  if (params['client_id'] !== undefined && params['client_id'] !== clientId) {
    throw invalid('request object client_id must be the client_id of the authenticated client')
  }
  return params
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`
}

function safeName(name: string): string {
  return /^[\w.:-]{1,64}$/.test(name) ? name : '(invalid name)'
}

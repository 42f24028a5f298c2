import { compactVerify } from 'jose'
import { ClientKeyError, type ClientKeys } from '../clients/client-keys.js'
import type { Client } from '../clients/registry.js'
import { OAuthError } from '../errors/oauth-error.js'
import { ASYMMETRIC_ALGS } from '../keys/signing-keys.js'
import type { CibaStorage } from '../storage/types.js'
import type { AssertionVerifier } from './authenticate-client.js'
import { parseJsonObject } from '../request/json-object.js'
import { signedJwsAlg } from '../request/signed-jws.js'

/** HMAC algorithms for `client_secret_jwt` (OIDC Core §9). */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const

/** `token_endpoint_auth_signing_alg_values_supported` (OIDC Discovery §3): every alg an assertion may use. */
export const CLIENT_ASSERTION_ALGS: readonly string[] = [...HMAC_ALGS, ...ASYMMETRIC_ALGS]

/** What assertion verification needs. */
export interface AssertionVerifierDeps {
  readonly clock: () => number
  /** Seconds tolerated on `exp`, `nbf` and `iat`. */
  readonly clockSkew: number
  /** How far ahead of now `exp` may lie, seconds. */
  readonly maxLifetime: number
  readonly storage: Pick<CibaStorage, 'markOnce'>
  readonly clientKeys: ClientKeys
}

const MAX_JTI_LENGTH = 256
/** Longest accepted client assertion (characters), checked before any parsing. */
const MAX_ASSERTION_LENGTH = 16_384
const encoder = new TextEncoder()

function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', { description })
}

/**
 * Verifies `client_secret_jwt` and `private_key_jwt` client assertions (RFC 7523 §3, OIDC Core §9):
 * signed with the method the client registered (HMAC with its secret, or one of its public keys),
 * `iss` = `sub` = client_id, `aud` naming this OP (issuer or the endpoint URL), a bounded `exp`,
 * and a `jti` used once (recorded only after the signature and claims verified). Failures are
 * `invalid_client`.
 *
 * @see RFC 7523 §3, OIDC Core 1.0 §9
 */
export function createAssertionVerifier(deps: AssertionVerifierDeps): AssertionVerifier {
  return async function verifyAssertion(assertion: string, client: Client, audience: readonly string[]): Promise<void> {
    const alg = checkHeader(assertion, client)
    let payload: Uint8Array
    try {
      if (client.authMethod === 'client_secret_jwt') {
        if (client.secret === undefined) throw invalidClient('client authentication failed')
        ;({ payload } = await compactVerify(assertion, encoder.encode(client.secret), { algorithms: [alg] }))
      } else {
        payload = await deps.clientKeys.verify(assertion, client, alg)
      }
    } catch (error) {
      if (error instanceof OAuthError) throw error
      if (error instanceof ClientKeyError) throw invalidClient(`client_assertion: ${error.message}`)
      throw invalidClient('client_assertion signature is invalid')
    }
    const claims = parseClaims(payload)
    const { jti, rememberUntil } = checkClaims(claims, client.id, audience, deps)
    // RFC 7523 §3 / OIDC Core §9: the jti is used only once.
    if (!(await deps.storage.markOnce(`ca:${client.id}:${jti}`, rememberUntil))) {
      throw invalidClient('client_assertion jti has already been used')
    }
  }
}

/** The alg must fit the registered method (and `token_endpoint_auth_signing_alg`, if registered). */
function checkHeader(assertion: string, client: Client): string {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw invalidClient(`client_assertion is longer than ${MAX_ASSERTION_LENGTH} characters`)
  const alg = signedJwsAlg(assertion, 'client_assertion', invalidClient)
  const allowed: readonly string[] = client.authMethod === 'client_secret_jwt' ? HMAC_ALGS : ASYMMETRIC_ALGS
  if (!allowed.includes(alg)) {
    throw invalidClient(`client_assertion alg ${/^[\w-]{1,16}$/.test(alg) ? alg : '(invalid)'} does not fit the registered method ${client.authMethod}`)
  }
  const registered = client.metadata.token_endpoint_auth_signing_alg
  if (registered !== undefined && alg !== registered) {
    throw invalidClient(`client_assertion must be signed with the registered token_endpoint_auth_signing_alg ${registered}`)
  }
  return alg
}

function parseClaims(payload: Uint8Array): Record<string, unknown> {
  const claims = parseJsonObject(payload)
  if (claims === undefined) throw invalidClient('client_assertion payload is not a JSON object')
  return claims
}

/** RFC 7523 §3 claims; OIDC Core §9 makes `jti` required. */
function checkClaims(claims: Record<string, unknown>, clientId: string, audience: readonly string[], deps: AssertionVerifierDeps): { jti: string; rememberUntil: number } {
  const { iss, sub, aud, exp, nbf, iat, jti } = claims
  if (iss !== clientId) throw invalidClient('client_assertion iss must be the client_id')
  if (sub !== clientId) throw invalidClient('client_assertion sub must be the client_id')
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.some((a) => typeof a === 'string' && audience.includes(a))) {
    throw invalidClient('client_assertion aud must be the OP issuer or this endpoint\'s URL')
  }
  const now = deps.clock()
  const skew = deps.clockSkew
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalidClient('client_assertion exp is missing')
  if (exp <= now - skew) throw invalidClient('client_assertion has expired')
  if (exp > now + deps.maxLifetime + skew) throw invalidClient(`client_assertion exp is more than ${deps.maxLifetime} seconds ahead`)
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skew)) throw invalidClient('client_assertion is not yet valid (nbf)')
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + skew)) throw invalidClient('client_assertion iat is in the future')
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalidClient('client_assertion jti is missing or invalid')
  // Accepted until `exp + skew`, so remembered as long (RFC 7523 §3 item 7).
  return { jti, rememberUntil: Math.ceil(exp) + skew }
}

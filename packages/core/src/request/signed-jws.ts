import { decodeProtectedHeader } from 'jose'
import type { OAuthError } from '../errors/oauth-error.js'

/**
 * The `alg` of what must be a signed compact JWS (RFC 7515 §7.1), such as a client assertion or a
 * request object. An encrypted JWT (JWE: five segments), anything else that is not three segments,
 * a malformed JOSE header, a missing `alg` and `alg: none` are refused with `fail(description)`,
 * the description naming the object `name`. Which algorithms are acceptable is the caller's rule.
 */
export function signedJwsAlg(jws: string, name: string, fail: (description: string) => OAuthError): string {
  const segments = jws.split('.').length
  if (segments === 5) throw fail(`${name} must be a signed JWT (JWS), not an encrypted one: encrypted ${name}s (JWE) are not supported`)
  if (segments !== 3) throw fail(`${name} is not a compact JWS`)
  let alg: unknown
  try {
    alg = decodeProtectedHeader(jws).alg
  } catch {
    throw fail(`${name} has a malformed JOSE header`)
  }
  if (typeof alg !== 'string') throw fail(`${name} header has no alg`)
  if (alg === 'none') throw fail(`${name} must be signed; alg none is not allowed`)
  return alg
}

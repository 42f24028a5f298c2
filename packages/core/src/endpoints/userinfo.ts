import { OAuthError } from '../errors/oauth-error.js'
import { headerValue, jsonResponse, type NeutralRequest, type NeutralResponse } from '../http/types.js'
import { tokenId } from '../tokens/hashes.js'
import type { EndpointDeps } from './deps.js'

const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token", error_description="the access token is invalid or expired"'

function invalidToken(): OAuthError {
  return new OAuthError('invalid_token', {
    description: 'the access token is invalid or expired',
    headers: { 'www-authenticate': INVALID_TOKEN_CHALLENGE },
  })
}

/**
 * `GET`/`POST` userinfo (OIDC Core §5.3) with the access token as a Bearer (RFC 6750 §2.1).
 * `sub` always comes from the token; the integrator's claims are filtered by nothing else.
 */
export function createUserinfoEndpoint(deps: EndpointDeps) {
  return async function userinfo(req: NeutralRequest): Promise<NeutralResponse> {
    const authorization = headerValue(req.headers, 'authorization')
    const match = authorization === undefined ? null : /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization)
    if (match === null) {
      // RFC 6750 §3.1: no credentials -> 401 with a bare challenge, no error code.
      throw new OAuthError('invalid_token', { description: 'a Bearer access token is required', headers: { 'www-authenticate': 'Bearer' } })
    }
    const record = await deps.storage.findToken(tokenId(match[1]!))
    const now = deps.settings.clock()
    if (record === undefined || record.kind !== 'access_token' || record.expiresAt <= now) throw invalidToken()
    if ((await deps.clients.find(record.clientId)) === undefined) throw invalidToken()
    const claims = await deps.settings.users.claims(record.sub, record.scope.split(' '), { clientId: record.clientId })
    return jsonResponse(200, { ...claims, sub: record.sub })
  }
}

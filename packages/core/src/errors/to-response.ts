import { jsonResponse, type NeutralResponse } from '../http/types.js'
import { OAuthError, StorageUnavailableError, type OAuthErrorCode } from './oauth-error.js'

/** The endpoints whose error statuses differ. */
export type EndpointName = 'backchannel_authentication' | 'token' | 'userinfo' | 'registration' | 'discovery' | 'jwks'

/**
 * One status table keyed by endpoint and code. CIBA Core §13 for the backchannel endpoint
 * (403 access_denied), RFC 6749 §5.2 for the token endpoint (400 for everything but
 * invalid_client), RFC 6750 §3.1 for userinfo, RFC 7591 §3.2.2 for registration.
 */
const STATUS: Readonly<Record<EndpointName, Partial<Record<OAuthErrorCode, number>>>> = {
  backchannel_authentication: { access_denied: 403 },
  token: {},
  userinfo: { invalid_token: 401, insufficient_scope: 403, access_denied: 403 },
  registration: { invalid_token: 401, access_denied: 403 },
  discovery: {},
  jwks: {},
}

const COMMON: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  server_error: 500,
  temporarily_unavailable: 503,
  too_many_requests: 429,
}

/** HTTP status for an error code at an endpoint. */
export function statusFor(endpoint: EndpointName, code: OAuthErrorCode): number {
  return STATUS[endpoint][code] ?? COMMON[code] ?? 400
}

/** What {@link errorResponse} reports about faults that are not OAuth errors. */
export type FaultReporter = (endpoint: EndpointName, error: unknown) => void

/**
 * Turns anything thrown while handling a request into an RFC 6749 §5.2 JSON error. Non-OAuth
 * faults become `server_error` (or `temporarily_unavailable` for storage outages) and are reported,
 * never described to the client.
 */
export function errorResponse(endpoint: EndpointName, error: unknown, report: FaultReporter): NeutralResponse {
  if (error instanceof OAuthError) {
    const body: Record<string, string> = { error: error.error }
    if (error.description !== undefined) body.error_description = error.description
    const status = error.status ?? statusFor(endpoint, error.error)
    let headers = error.headers
    if (status === 401 && error.error === 'invalid_client' && headers?.['www-authenticate'] === undefined) {
      headers = { ...headers, 'www-authenticate': 'Basic realm="ciba-kit", charset="UTF-8"' }
    }
    if (error.cause !== undefined) report(endpoint, error)
    return jsonResponse(status, body, headers)
  }
  report(endpoint, error)
  if (error instanceof StorageUnavailableError) {
    return jsonResponse(
      503,
      { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' },
      { 'retry-after': '1' },
    )
  }
  return jsonResponse(500, { error: 'server_error' })
}

// Shared fixtures for the registration suites: the seed's registration request, and JSON calls.
import type { CibaProvider, NeutralRequest } from '@ciba-kit/core'

/** The registration request of the seed document, byte for byte the same members and values. */
export const SEED_REGISTRATION_BODY = `{
  "grant_types" : [ "urn:openid:params:grant-type:ciba" ],
  "application_type" : "web",
  "backchannel_client_notification_endpoint" : "https://ce.gluu.info:8443/oxauth-ciba-client-test/client-notification-endpoint",
  "backchannel_user_code_parameter" : true,
  "backchannel_authentication_request_signing_alg" : "RS256",
  "client_name" : "oxAuth test app",
  "backchannel_token_delivery_mode" : "push"
}`

export interface JsonResult {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Record<string, unknown>
}

/** Calls the provider's router directly with a JSON body (core integration tests: no server). */
export async function callJson(
  provider: CibaProvider,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResult> {
  const req: NeutralRequest = {
    method,
    path,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }
  const res = await provider.handle(req)
  if (res === undefined) return { status: 404, headers: {}, body: { notMine: true } }
  return { status: res.status, headers: res.headers, body: res.body === undefined ? {} : (JSON.parse(res.body) as Record<string, unknown>) }
}

/** Fetches a JSON endpoint over HTTP. */
export async function fetchJson(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }
}

export const bearer = (token: unknown): Record<string, string> => ({ authorization: `Bearer ${String(token)}` })

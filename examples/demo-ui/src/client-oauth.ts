import { createHash } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import type { DemoClientCredentials } from './demo-config.js'

/**
 * The demo client's OAuth calls. It is a separate OAuth client: it knows the OP only by its
 * issuer URL and talks to it over HTTP, exactly as a bank terminal or call-centre app would.
 */

/** The discovery fields the demo client uses (OIDC Discovery §3, CIBA Core §4). */
export interface OpMetadata {
  readonly issuer: string
  readonly jwks_uri: string
  readonly token_endpoint: string
  readonly userinfo_endpoint?: string
  readonly backchannel_authentication_endpoint: string
  readonly backchannel_token_delivery_modes_supported?: readonly string[]
}

/** An OAuth error answer (RFC 6749 §5.2 shape), or the demo's own failure in that shape. */
export interface OAuthFailure {
  readonly error: string
  readonly error_description?: string
}

const TIMEOUT_MS = 10_000
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba'

/** A failure the demo client shows to its user (never carrying a token or secret). */
export class DemoClientError extends Error {
  override readonly name = 'DemoClientError'
  constructor(
    readonly failure: OAuthFailure,
    readonly status = 502,
  ) {
    super(failure.error_description ?? failure.error)
  }
}

/** Reads the OP's discovery document and checks the fields CIBA needs. OIDC Discovery §4. */
export async function discover(issuer: string): Promise<OpMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  const body = await getJson(url, {}, 'discovery')
  const meta = body as Partial<OpMetadata>
  for (const field of ['issuer', 'jwks_uri', 'token_endpoint', 'backchannel_authentication_endpoint'] as const) {
    if (typeof meta[field] !== 'string') throw new DemoClientError({ error: 'discovery_failed', error_description: `discovery has no ${field}` })
  }
  // OIDC Discovery §4.3: the issuer in the document must be the one we asked.
  if (meta.issuer !== issuer) throw new DemoClientError({ error: 'discovery_failed', error_description: `discovery issuer ${String(meta.issuer)} is not ${issuer}` })
  return meta as OpMetadata
}

/** `Authorization: Basic` with form-encoded credentials, RFC 6749 §2.3.1. */
export function basicAuth(creds: DemoClientCredentials): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${enc(creds.clientId)}:${enc(creds.clientSecret)}`).toString('base64')}`
}

/** POSTs a form with client_secret_basic and returns status and JSON body. */
export async function postForm(
  url: string,
  creds: DemoClientCredentials,
  params: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: basicAuth(creds), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (err) {
    throw new DemoClientError({ error: 'network_error', error_description: `cannot reach ${url}: ${messageOf(err)}` })
  }
  return { status: res.status, body: await jsonObject(res, url) }
}

/** The backchannel authentication response, CIBA Core §7.3. */
export interface AuthenticationStarted {
  readonly auth_req_id: string
  readonly expires_in: number
  readonly interval?: number
}

/** Sends the backchannel authentication request. CIBA Core §7.1. */
export async function backchannelAuthenticate(
  op: OpMetadata,
  creds: DemoClientCredentials,
  params: Record<string, string>,
): Promise<AuthenticationStarted> {
  const { status, body } = await postForm(op.backchannel_authentication_endpoint, creds, params)
  if (status !== 200) throw new DemoClientError(asFailure(body), status >= 500 ? 502 : 400)
  if (typeof body.auth_req_id !== 'string' || typeof body.expires_in !== 'number') {
    throw new DemoClientError({ error: 'invalid_response', error_description: 'backchannel authentication response lacks auth_req_id or expires_in' })
  }
  return {
    auth_req_id: body.auth_req_id,
    expires_in: body.expires_in,
    ...(typeof body.interval === 'number' ? { interval: body.interval } : {}),
  }
}

/** One token request with the CIBA grant: tokens, or the OAuth error. CIBA Core §10.1, §11. */
export async function requestCibaToken(
  op: OpMetadata,
  creds: DemoClientCredentials,
  authReqId: string,
): Promise<{ ok: true; tokens: Record<string, unknown> } | { ok: false; failure: OAuthFailure }> {
  const { status, body } = await postForm(op.token_endpoint, creds, { grant_type: CIBA_GRANT, auth_req_id: authReqId })
  return status === 200 ? { ok: true, tokens: body } : { ok: false, failure: asFailure(body) }
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>()

/**
 * Verifies the ID token against the OP's JWKS (signature, `iss`, `aud`, `exp`) and, for push,
 * the CIBA claims binding it to the request and its tokens. CIBA Core §10.3.1, OIDC Core §3.1.3.7.
 */
export async function verifyIdToken(
  op: OpMetadata,
  clientId: string,
  idToken: string,
  push?: { authReqId: string; accessToken: string; refreshToken?: string },
): Promise<{ header: { alg: string; kid?: string }; claims: JWTPayload }> {
  let jwks = jwksCache.get(op.jwks_uri)
  if (jwks === undefined) {
    jwks = createRemoteJWKSet(new URL(op.jwks_uri), { timeoutDuration: TIMEOUT_MS })
    jwksCache.set(op.jwks_uri, jwks)
  }
  let verified: Awaited<ReturnType<typeof jwtVerify>>
  try {
    verified = await jwtVerify(idToken, jwks, { issuer: op.issuer, audience: clientId, requiredClaims: ['sub', 'iat', 'exp', 'auth_time'] })
  } catch (err) {
    throw new DemoClientError({ error: 'invalid_id_token', error_description: messageOf(err) })
  }
  const { payload, protectedHeader } = verified
  if (push !== undefined) {
    const alg = protectedHeader.alg
    const fail = (what: string) => new DemoClientError({ error: 'invalid_id_token', error_description: `push ID token: ${what}` })
    if (payload['urn:openid:params:jwt:claim:auth_req_id'] !== push.authReqId) throw fail('auth_req_id claim does not match')
    if (payload.at_hash !== tokenHash(push.accessToken, alg)) throw fail('at_hash does not match the access token')
    if (push.refreshToken !== undefined && payload['urn:openid:params:jwt:claim:rt_hash'] !== tokenHash(push.refreshToken, alg)) {
      throw fail('rt_hash does not match the refresh token')
    }
  }
  return {
    header: { alg: protectedHeader.alg, ...(protectedHeader.kid === undefined ? {} : { kid: protectedHeader.kid }) },
    claims: payload,
  }
}

/** Left half of the hash of a token, base64url (OIDC Core §3.1.3.6 `at_hash`). */
export function tokenHash(token: string, alg: string): string {
  const bits = alg === 'EdDSA' || alg.endsWith('512') ? 'sha512' : alg.endsWith('384') ? 'sha384' : 'sha256'
  const digest = createHash(bits).update(token, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

/** Calls the userinfo endpoint with the access token. OIDC Core §5.3. */
export async function fetchUserinfo(op: OpMetadata, accessToken: string): Promise<Record<string, unknown>> {
  if (op.userinfo_endpoint === undefined) throw new DemoClientError({ error: 'no_userinfo_endpoint' })
  return getJson(op.userinfo_endpoint, { authorization: `Bearer ${accessToken}` }, 'userinfo')
}

async function getJson(url: string, headers: Record<string, string>, what: string): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...headers }, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (err) {
    throw new DemoClientError({ error: 'network_error', error_description: `cannot reach ${url}: ${messageOf(err)}` })
  }
  const body = await jsonObject(res, url)
  if (res.status !== 200) {
    const failure = asFailure(body)
    throw new DemoClientError({ error: failure.error, error_description: `${what} answered ${res.status}${failure.error_description === undefined ? '' : `: ${failure.error_description}`}` })
  }
  return body
}

async function jsonObject(res: Response, url: string): Promise<Record<string, unknown>> {
  const text = await res.text()
  if (text === '') return {}
  try {
    const value: unknown = JSON.parse(text)
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new DemoClientError({ error: 'invalid_response', error_description: `${url} answered ${res.status} without a JSON object` })
}

/** The OAuth error of a response body, RFC 6749 §5.2. */
export function asFailure(body: Record<string, unknown>): OAuthFailure {
  const error = typeof body.error === 'string' ? body.error : 'invalid_response'
  return typeof body.error_description === 'string' ? { error, error_description: body.error_description } : { error }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

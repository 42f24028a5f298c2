import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'

/**
 * A minimal stand-in OP for the demo client's unit tests: just enough CIBA (discovery, JWKS,
 * backchannel authentication, CIBA grant, userinfo, ping/push callbacks) to show the demo client
 * behaves as a separate OAuth client over HTTP. The real OP is tested in the examples' tests.
 */
export interface FakeOp {
  readonly issuer: string
  readonly requests: Map<string, FakeRequest>
  /** Bodies of token requests received (to assert what the client sent). */
  readonly tokenCalls: URLSearchParams[]
  approve(id: string): Promise<void>
  deny(id: string): Promise<void>
  close(): Promise<void>
}

interface FakeRequest {
  readonly id: string
  readonly clientId: string
  readonly mode: 'poll' | 'ping' | 'push'
  readonly params: URLSearchParams
  status: 'pending' | 'approved' | 'denied' | 'consumed'
}

const CLIENTS: Readonly<Record<string, { secret: string; mode: 'poll' | 'ping' | 'push' }>> = {
  'demo-client': { secret: 'demo-secret', mode: 'poll' },
  'demo-client-ping': { secret: 'ping-secret', mode: 'ping' },
  'demo-client-push': { secret: 'push-secret', mode: 'push' },
}

export async function startFakeOp(options: { modes: string[]; notificationEndpoint?: string }): Promise<FakeOp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const requests = new Map<string, FakeRequest>()
  const tokenCalls: URLSearchParams[] = []
  const accessTokens = new Map<string, string>()
  let issuer = ''

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(body))
  }
  const readForm = async (req: IncomingMessage) => {
    let text = ''
    for await (const chunk of req) text += String(chunk)
    return new URLSearchParams(text)
  }
  const client = (req: IncomingMessage) => {
    const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':')
    const c = CLIENTS[decodeURIComponent(id ?? '')]
    return c !== undefined && c.secret === decodeURIComponent(secret ?? '') ? { id: decodeURIComponent(id ?? ''), ...c } : undefined
  }
  const half = (t: string) => {
    const d = createHash('sha256').update(t).digest()
    return d.subarray(0, 16).toString('base64url')
  }
  const issue = async (r: FakeRequest) => {
    const accessToken = randomBytes(32).toString('base64url')
    const refreshToken = randomBytes(32).toString('base64url')
    accessTokens.set(accessToken, 'alice')
    const now = Math.floor(Date.now() / 1000)
    const push = r.mode === 'push'
    const idToken = await new SignJWT({
      auth_time: now,
      ...(push ? { 'urn:openid:params:jwt:claim:auth_req_id': r.id, at_hash: half(accessToken), 'urn:openid:params:jwt:claim:rt_hash': half(refreshToken) } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setSubject('alice')
      .setAudience(r.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey)
    return { access_token: accessToken, token_type: 'Bearer', expires_in: 300, refresh_token: refreshToken, id_token: idToken }
  }
  const callback = async (r: FakeRequest, body: Record<string, unknown>) => {
    await fetch(options.notificationEndpoint ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${r.params.get('client_notification_token') ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({ auth_req_id: r.id, ...body }),
    })
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/.well-known/openid-configuration') {
        return json(res, 200, {
          issuer,
          jwks_uri: `${issuer}/jwks`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          backchannel_authentication_endpoint: `${issuer}/bc`,
          backchannel_token_delivery_modes_supported: options.modes,
        })
      }
      if (path === '/jwks') return json(res, 200, { keys: [jwk] })
      if (path === '/bc') {
        const c = client(req)
        const form = await readForm(req)
        if (c === undefined) return json(res, 401, { error: 'invalid_client' })
        if (form.get('login_hint') !== 'alice') return json(res, 400, { error: 'unknown_user_id', error_description: 'no such user' })
        const id = randomBytes(16).toString('base64url')
        requests.set(id, { id, clientId: c.id, mode: c.mode, params: form, status: 'pending' })
        return json(res, 200, { auth_req_id: id, expires_in: 60, interval: 0 })
      }
      if (path === '/token') {
        const c = client(req)
        const form = await readForm(req)
        tokenCalls.push(form)
        if (c === undefined) return json(res, 401, { error: 'invalid_client' })
        const r = requests.get(form.get('auth_req_id') ?? '')
        if (r === undefined || r.clientId !== c.id || r.status === 'consumed') return json(res, 400, { error: 'invalid_grant' })
        if (r.status === 'pending') return json(res, 400, { error: 'authorization_pending' })
        if (r.status === 'denied') return json(res, 400, { error: 'access_denied', error_description: 'the user denied' })
        r.status = 'consumed'
        return json(res, 200, await issue(r))
      }
      if (path === '/userinfo') {
        const sub = accessTokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
        if (sub === undefined) return json(res, 401, { error: 'invalid_token' })
        return json(res, 200, { sub, name: 'Alice Anderson' })
      }
      json(res, 404, { error: 'not_found' })
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const decide = async (id: string, status: 'approved' | 'denied') => {
    const r = requests.get(id)
    if (r === undefined) throw new Error(`fake OP: no request ${id}`)
    r.status = status
    if (r.mode === 'ping') await callback(r, {})
    if (r.mode === 'push') {
      if (status === 'denied') await callback(r, { error: 'access_denied' })
      else {
        r.status = 'consumed'
        await callback(r, await issue(r))
      }
    }
  }
  return {
    issuer,
    requests,
    tokenCalls,
    approve: (id) => decide(id, 'approved'),
    deny: (id) => decide(id, 'denied'),
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

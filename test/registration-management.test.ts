// Client management (RFC 7592): read, update, delete with the registration access token, and what a
// deletion does to the client's pending requests and tokens. Calls the provider's router directly.
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createProvider, MemoryStorage, type CibaProvider, type NeutralRequest } from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, TestClock, testKeys } from './helpers/op.js'
import { bearer, callJson } from './helpers/registration.js'

const ISSUER = 'https://op.example.com'
let keys: Awaited<ReturnType<typeof testKeys>>
before(async () => {
  keys = await testKeys()
})

function op(): { provider: CibaProvider; storage: MemoryStorage; clock: TestClock } {
  const clock = new TestClock()
  const storage = new MemoryStorage({ clock: clock.fn })
  const provider = createProvider({
    issuer: ISSUER,
    signingKeys: keys,
    clients: CLIENTS,
    storage,
    users: { findByLoginHint: (hint) => ({ sub: hint }), claims: (sub) => ({ name: sub }) },
    notifier: { notify() {} },
    registration: { open: true },
    clock: clock.fn,
  })
  return { provider, storage, clock }
}

const form = (path: string, params: Record<string, string>, headers: Record<string, string>): NeutralRequest => ({
  method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(params).toString(),
})
async function call(provider: CibaProvider, req: NeutralRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = (await provider.handle(req))!
  return { status: res.status, body: res.body === undefined ? {} : (JSON.parse(res.body) as Record<string, unknown>) }
}

const METADATA = { grant_types: [CIBA, 'refresh_token'], backchannel_token_delivery_mode: 'poll', client_name: 'Branch 7' }

async function registered(provider: CibaProvider, metadata: Record<string, unknown> = METADATA) {
  const res = await callJson(provider, 'POST', '/register', metadata)
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const b = res.body
  return { info: b, id: b.client_id as string, path: `/register/${b.client_id as string}`, token: b.registration_access_token as string, auth: basic(b.client_id as string, b.client_secret as string) }
}

describe('client management (RFC 7592)', () => {
  it('reads the registration back with the registration access token', async () => {
    const { provider } = op()
    const c = await registered(provider)
    const res = await callJson(provider, 'GET', c.path, undefined, bearer(c.token))
    assert.equal(res.status, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    const { registration_access_token: _omitted, ...expected } = c.info
    assert.deepEqual(res.body, expected) // the token itself is not stored, so it cannot be read back
  })

  it('answers 401 invalid_token for a wrong, foreign or missing token and for static clients', async () => {
    const { provider } = op()
    const a = await registered(provider)
    const b = await registered(provider)
    const cases: Array<[string, Record<string, string>]> = [
      [a.path, bearer(a.token.slice(0, -1) + (a.token.endsWith('A') ? 'B' : 'A'))],
      [a.path, bearer(b.token)],
      [a.path, {}],
      [a.path, { authorization: `Basic ${Buffer.from('x:y').toString('base64')}` }],
      ['/register/poll-client', bearer(a.token)],
      ['/register/nobody', bearer(a.token)],
      [`${a.path}/extra`, bearer(a.token)],
      ['/register/%E0%A4%A', bearer(a.token)],
    ]
    for (const [path, headers] of cases) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await callJson(provider, method, path, method === 'PUT' ? { ...METADATA, client_id: a.id } : undefined, headers)
        assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(headers)}`)
        assert.equal(res.body.error, 'invalid_token')
        assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/)
        assert.equal(res.headers['cache-control'], 'no-store')
      }
    }
    assert.equal((await callJson(provider, 'GET', a.path, undefined, bearer(a.token))).status, 200, 'nothing above changed the client')
    assert.equal((await callJson(provider, 'POST', a.path, METADATA, bearer(a.token))).status, 405)
  })

  it('PUT replaces and revalidates the whole metadata, keeping the secret and the token', async () => {
    const { provider, clock } = op()
    const c = await registered(provider, { ...METADATA, contacts: ['ops@rp.example.com'] })
    clock.advance(60)
    const put = (body: Record<string, unknown>) => callJson(provider, 'PUT', c.path, body, bearer(c.token))
    const updated = await put({ client_id: c.id, client_secret: c.info.client_secret, grant_types: [CIBA], backchannel_token_delivery_mode: 'poll', client_name: 'Branch 8' })
    assert.equal(updated.status, 200, JSON.stringify(updated.body))
    assert.equal(updated.body.client_name, 'Branch 8')
    assert.equal('contacts' in updated.body, false, 'omitted members are removed')
    assert.deepEqual(updated.body.grant_types, [CIBA])
    assert.equal(updated.body.client_secret, c.info.client_secret)
    assert.equal(updated.body.client_id_issued_at, c.info.client_id_issued_at)
    assert.equal('registration_access_token' in updated.body, false)
    // The client uses its new registration at once: no refresh_token grant any more.
    const bc = await call(provider, form('/backchannel-authentication', { scope: 'openid', login_hint: 'alice' }, { authorization: c.auth }))
    assert.equal(bc.status, 200)
    await provider.approve(bc.body.auth_req_id as string)
    const tokens = await call(provider, form('/token', { grant_type: CIBA, auth_req_id: bc.body.auth_req_id as string }, { authorization: c.auth }))
    assert.equal(tokens.status, 200)
    assert.equal('refresh_token' in tokens.body, false)

    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...METADATA }, /^client_id must be/],
      [{ ...METADATA, client_id: 'poll-client' }, /^client_id must be/],
      [{ ...METADATA, client_id: c.id, client_secret: 'guess' }, /^client_secret does not match/],
      [{ ...METADATA, client_id: c.id, backchannel_token_delivery_mode: 'push' }, /^backchannel_token_delivery_mode push is not enabled/],
      [{ client_id: c.id, grant_types: [CIBA] }, /^backchannel_token_delivery_mode is required/],
    ]
    for (const [body, message] of cases) {
      const res = await put(body)
      assert.equal(res.status, 400)
      assert.equal(res.body.error, 'invalid_client_metadata')
      assert.match(res.body.error_description as string, message)
      assert.ok(!JSON.stringify(res.body).includes(c.info.client_secret as string))
    }
    const after = await callJson(provider, 'GET', c.path, undefined, bearer(c.token))
    assert.deepEqual(after.body, updated.body, 'a rejected update changes nothing')
  })

  it('PUT issues a secret when the auth method starts needing one, and drops it when it stops', async () => {
    const { provider } = op()
    const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }
    const c = await registered(provider)
    const post = await callJson(provider, 'PUT', c.path, { ...METADATA, client_id: c.id, token_endpoint_auth_method: 'client_secret_post', jwks: { keys: [jwk] } }, bearer(c.token))
    assert.equal(post.status, 200, JSON.stringify(post.body))
    assert.equal(post.body.client_secret, c.info.client_secret, 'still a secret method: same secret')
    assert.deepEqual(post.body.jwks, { keys: [jwk] })
    const bc = await call(provider, form('/backchannel-authentication', { scope: 'openid', login_hint: 'bob', client_id: c.id, client_secret: c.info.client_secret as string }, {}))
    assert.equal(bc.status, 200, JSON.stringify(bc.body))
    const basicNow = await call(provider, form('/backchannel-authentication', { scope: 'openid', login_hint: 'bob' }, { authorization: c.auth }))
    assert.equal(basicNow.status, 401, 'the old method no longer authenticates')
  })

  it('DELETE makes the client unusable everywhere at once and kills its requests and tokens', async () => {
    const { provider, storage } = op()
    const c = await registered(provider)
    const start = async () => (await call(provider, form('/backchannel-authentication', { scope: 'openid profile', login_hint: 'alice' }, { authorization: c.auth }))).body.auth_req_id as string
    const redeemed = await start()
    await provider.approve(redeemed)
    const tokens = (await call(provider, form('/token', { grant_type: CIBA, auth_req_id: redeemed }, { authorization: c.auth }))).body
    const pending = await start()
    const approved = await start()
    await provider.approve(approved)
    const userinfo = (): Promise<{ status: number }> => call(provider, { method: 'GET', path: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token as string}` } })
    assert.equal((await userinfo()).status, 200)

    const del = await callJson(provider, 'DELETE', c.path, undefined, bearer(c.token))
    assert.equal(del.status, 204)
    assert.equal(await storage.getClient(c.id), undefined)

    assert.equal((await callJson(provider, 'GET', c.path, undefined, bearer(c.token))).status, 401)
    assert.equal((await callJson(provider, 'DELETE', c.path, undefined, bearer(c.token))).status, 401)
    assert.equal((await call(provider, form('/backchannel-authentication', { scope: 'openid', login_hint: 'alice' }, { authorization: c.auth }))).status, 401)
    assert.equal((await call(provider, form('/token', { grant_type: CIBA, auth_req_id: approved }, { authorization: c.auth }))).status, 401)
    assert.equal((await call(provider, form('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }, { authorization: c.auth }))).status, 401)
    assert.deepEqual(await provider.approve(pending), { ok: false, reason: 'unknown' })
    assert.deepEqual(await provider.deny(pending), { ok: false, reason: 'unknown' })
    assert.equal((await userinfo()).status, 401)
  })

  it('never lets the API touch static clients', async () => {
    const { provider } = op()
    const c = await registered(provider)
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await callJson(provider, method, '/register/poll-client', method === 'PUT' ? { ...METADATA, client_id: 'poll-client' } : undefined, bearer(c.token))
      assert.equal(res.status, 401)
    }
    const stillThere = await call(provider, form('/backchannel-authentication', { scope: 'openid', login_hint: 'alice' }, { authorization: basic('poll-client', 'poll-secret') }))
    assert.equal(stillThere.status, 200)
  })
})

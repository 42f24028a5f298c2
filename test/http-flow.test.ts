// The HTTP surface of a CIBA poll-mode OP, run against both adapters on real ports.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import express from 'express'
import Koa from 'koa'
import { cibaExpress } from '@ciba-kit/express'
import { cibaKoa } from '@ciba-kit/koa'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import { createProvider, MemoryStorage } from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, postForm, startOp, testKeys, type Framework, type TestOp } from './helpers/op.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi']
const POLL = basic('poll-client', 'poll-secret')

for (const framework of ['express', 'koa', 'fetch'] as Framework[]) {
  describe(`poll flow over HTTP (${framework})`, () => {
    let op: TestOp
    let storage: MemoryStorage
    before(async () => {
      storage = new MemoryStorage({ clock: () => op.clock.now })
      op = await startOp(framework, { storage })
    })
    after(() => op.close())

    const bc = (params: Record<string, string>, auth = POLL) =>
      postForm(`${op.issuer}/backchannel-authentication`, params, auth === '' ? {} : { authorization: auth })
    const token = (params: Record<string, string>, auth = POLL) =>
      postForm(`${op.issuer}/token`, params, auth === '' ? {} : { authorization: auth })
    const start = async (extra: Record<string, string> = {}) => {
      const res = await bc({ scope: 'openid profile email', login_hint: 'alice', ...extra })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return res.body.auth_req_id as string
    }

    it('serves discovery with every CIBA and OIDC member', async () => {
      const res = await fetch(`${op.issuer}/.well-known/openid-configuration`)
      assert.equal(res.status, 200)
      const doc = (await res.json()) as Record<string, unknown>
      assert.equal(doc.issuer, op.issuer)
      assert.equal(doc.backchannel_authentication_endpoint, `${op.issuer}/backchannel-authentication`)
      assert.equal(doc.token_endpoint, `${op.issuer}/token`)
      assert.equal(doc.userinfo_endpoint, `${op.issuer}/userinfo`)
      assert.equal(doc.jwks_uri, `${op.issuer}/jwks`)
      assert.deepEqual(doc.backchannel_token_delivery_modes_supported, ['poll'])
      assert.ok((doc.grant_types_supported as string[]).includes(CIBA))
      assert.ok((doc.grant_types_supported as string[]).includes('refresh_token'))
      assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'])
      assert.equal(doc.backchannel_user_code_parameter_supported, false)
      for (const member of ['backchannel_authentication_request_signing_alg_values_supported', 'token_endpoint_auth_methods_supported',
        'subject_types_supported', 'scopes_supported', 'claims_supported', 'response_types_supported']) {
        assert.ok(Array.isArray(doc[member]), member)
      }
    })

    it('serves only public keys in the JWKS', async () => {
      const res = await fetch(`${op.issuer}/jwks`)
      const jwks = (await res.json()) as { keys: JWK[] }
      assert.equal(jwks.keys.length, 3)
      for (const key of jwks.keys) {
        for (const member of PRIVATE_MEMBERS) assert.equal(member in key, false, `${key.kid} leaks ${member}`)
        assert.equal(typeof key.kid, 'string')
      }
    })

    it('answers a backchannel request and reaches the device with what it needs', async () => {
      const res = await bc({ scope: 'openid email', login_hint: 'alice@example.com', binding_message: 'W4SCT', acr_values: 'urn:a urn:b' })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      const id = res.body.auth_req_id as string
      assert.match(id, /^[A-Za-z0-9_-]{43}$/) // 256 bits
      assert.equal(res.body.expires_in, 300)
      assert.equal(res.body.interval, 5)
      const notice = op.notices.find((n) => n.authReqId === id)!
      assert.equal(notice.sub, 'alice')
      assert.equal(notice.clientId, 'poll-client')
      assert.equal(notice.clientName, 'Poll Client')
      assert.equal(notice.bindingMessage, 'W4SCT')
      assert.deepEqual(notice.scope, ['openid', 'email'])
      assert.deepEqual(notice.acrValues, ['urn:a', 'urn:b'])
      assert.equal(notice.expiresAt - notice.createdAt, 300)
    })

    it('honours requested_expiry within bounds', async () => {
      assert.equal((await bc({ scope: 'openid', login_hint: 'bob', requested_expiry: '120' })).body.expires_in, 120)
      assert.equal((await bc({ scope: 'openid', login_hint: 'bob', requested_expiry: '999999' })).body.expires_in, 3600)
      assert.equal((await bc({ scope: 'openid', login_hint: 'bob', requested_expiry: '-4' })).body.error, 'invalid_request')
    })

    it('authenticates with client_secret_post and with client_id beside Basic', async () => {
      const post = await bc({ scope: 'openid', login_hint: 'bob', client_id: 'post-client', client_secret: 'post-secret' }, '')
      assert.equal(post.status, 200)
      const beside = await bc({ scope: 'openid', login_hint: 'bob', client_id: 'poll-client' })
      assert.equal(beside.status, 200)
      const mismatch = await bc({ scope: 'openid', login_hint: 'bob', client_id: 'post-client' })
      assert.equal(mismatch.body.error, 'invalid_request')
    })

    it('rejects bad client authentication with 401 and a challenge', async () => {
      for (const auth of [basic('poll-client', 'wrong'), basic('nobody', 'x'), basic('post-client', 'post-secret')]) {
        const res = await bc({ scope: 'openid', login_hint: 'alice' }, auth)
        assert.equal(res.status, 401)
        assert.equal(res.body.error, 'invalid_client')
        assert.ok(res.headers.get('www-authenticate')?.startsWith('Basic'))
      }
      const none = await bc({ scope: 'openid', login_hint: 'alice' }, '')
      assert.equal(none.status, 401)
    })

    it('applies the CIBA request rules', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ scope: 'profile', login_hint: 'alice' }, 'invalid_scope'],
        [{ scope: 'openid unknown_scope', login_hint: 'alice' }, 'invalid_scope'],
        [{ login_hint: 'alice' }, 'invalid_request'],
        [{ scope: 'openid' }, 'invalid_request'],
        [{ scope: 'openid', login_hint: 'alice', login_hint_token: 'x' }, 'invalid_request'],
        [{ scope: 'openid', login_hint: 'mallory' }, 'unknown_user_id'],
        [{ scope: 'openid', login_hint: 'alice', binding_message: 'line\nbreak' }, 'invalid_binding_message'],
        [{ scope: 'openid', login_hint: 'alice', binding_message: 'x'.repeat(101) }, 'invalid_binding_message'],
      ]
      for (const [params, error] of cases) {
        const res = await bc(params)
        assert.equal(res.body.error, error, JSON.stringify(params))
        assert.equal(res.status, 400)
      }
      const notCiba = await bc({ scope: 'openid', login_hint: 'alice' }, basic('plain-client', 'plain-secret'))
      assert.equal(notCiba.body.error, 'unauthorized_client')
    })

    it('polls: authorization_pending, slow_down with a growing interval, then tokens', async () => {
      const id = await start()
      assert.equal((await token({ grant_type: CIBA, auth_req_id: id })).body.error, 'authorization_pending')
      const fast = await token({ grant_type: CIBA, auth_req_id: id })
      assert.equal(fast.status, 400)
      assert.equal(fast.body.error, 'slow_down')
      op.clock.advance(5) // the old interval is no longer enough: it grew to 10
      assert.equal((await token({ grant_type: CIBA, auth_req_id: id })).body.error, 'slow_down')
      op.clock.advance(15)
      assert.equal((await token({ grant_type: CIBA, auth_req_id: id })).body.error, 'authorization_pending')

      assert.deepEqual(await op.provider.approve(id, { authTime: op.clock.now - 3, acr: 'urn:loa:2', amr: ['hwk'] }), { ok: true })
      op.clock.advance(16)
      const res = await token({ grant_type: CIBA, auth_req_id: id })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.equal(res.body.token_type, 'Bearer')
      assert.equal(res.body.expires_in, 3600)
      assert.equal(typeof res.body.access_token, 'string')
      assert.equal(typeof res.body.refresh_token, 'string')
      const jwks = createLocalJWKSet((await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: JWK[] })
      const { payload, protectedHeader } = await jwtVerify(res.body.id_token as string, jwks, {
        issuer: op.issuer, audience: 'poll-client', currentDate: new Date(op.clock.now * 1000),
      })
      assert.equal(protectedHeader.alg, 'RS256')
      assert.equal(payload.sub, 'alice')
      assert.equal(payload.auth_time, op.clock.now - 16 - 3)
      assert.equal(payload.acr, 'urn:loa:2')
      assert.deepEqual(payload.amr, ['hwk'])
      assert.equal(payload.iat, op.clock.now)
      assert.equal(payload.exp, op.clock.now + 3600)

      const again = await token({ grant_type: CIBA, auth_req_id: id })
      assert.equal(again.body.error, 'invalid_grant')

      const info = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${res.body.access_token as string}` } })
      assert.equal(info.status, 200)
      assert.deepEqual(await info.json(), { sub: 'alice', name: 'Alice Adams', email: 'alice@example.com' })
    })

    it('answers expired_token, access_denied and invalid_grant', async () => {
      const expiring = await start({ requested_expiry: '60' })
      const denied = await start()
      assert.deepEqual(await op.provider.deny(denied), { ok: true })
      assert.equal((await token({ grant_type: CIBA, auth_req_id: denied })).body.error, 'access_denied')
      op.clock.advance(61)
      assert.equal((await token({ grant_type: CIBA, auth_req_id: expiring })).body.error, 'expired_token')
      assert.deepEqual(await op.provider.approve(expiring), { ok: false, reason: 'expired' })
      // Approved but not redeemed before the auth_req_id expired: expired, not tokens.
      const late = await start({ requested_expiry: '60' })
      assert.deepEqual(await op.provider.approve(late), { ok: true })
      op.clock.advance(60)
      assert.equal((await token({ grant_type: CIBA, auth_req_id: late })).body.error, 'expired_token')
      assert.equal((await token({ grant_type: CIBA, auth_req_id: 'nope' })).body.error, 'invalid_grant')
      const others = await start()
      const res = await token({ grant_type: CIBA, auth_req_id: others }, '')
      assert.equal(res.status, 401)
      const foreign = await token({ grant_type: CIBA, auth_req_id: others, client_id: 'post-client', client_secret: 'post-secret' }, '')
      assert.equal(foreign.body.error, 'invalid_grant')
    })

    it('rotates refresh tokens and revokes the grant on reuse', async () => {
      const id = await start()
      await op.provider.approve(id)
      const first = (await token({ grant_type: CIBA, auth_req_id: id })).body
      const second = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string })
      assert.equal(second.status, 200)
      assert.notEqual(second.body.refresh_token, first.refresh_token)
      assert.equal(typeof second.body.id_token, 'string')
      const narrowed = await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token as string, scope: 'openid' })
      assert.equal(narrowed.body.scope, 'openid')
      // Reuse of a rotated token: invalid_grant, and every token of the grant dies.
      const reuse = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string })
      assert.equal(reuse.body.error, 'invalid_grant')
      const after = await token({ grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token as string })
      assert.equal(after.body.error, 'invalid_grant')
      const info = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${narrowed.body.access_token as string}` } })
      assert.equal(info.status, 401)
    })

    it('rejects bad userinfo tokens with a Bearer challenge', async () => {
      const bad = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } })
      assert.equal(bad.status, 401)
      assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
      const none = await fetch(`${op.issuer}/userinfo`)
      assert.equal(none.status, 401)
      const id = await start()
      await op.provider.approve(id)
      const tokens = (await token({ grant_type: CIBA, auth_req_id: id })).body
      op.clock.advance(3601)
      const expired = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token as string}` } })
      assert.equal(expired.status, 401)
      assert.match(expired.headers.get('www-authenticate') ?? '', /invalid_token/)
    })

    it('hands grants it does not own to the host', async () => {
      const res = await token({ grant_type: 'client_credentials', scope: 'x' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { host: true, grant_type: 'client_credentials' })
    })

    it('answers bad input with RFC 6749 JSON errors and changes nothing', async () => {
      const sizeBefore = storage.size
      const url = `${op.issuer}/backchannel-authentication`
      const wrongType = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: POLL }, body: '{"scope":"openid"}' })
      assert.equal(wrongType.status, 400)
      assert.equal(((await wrongType.json()) as { error: string }).error, 'invalid_request')
      const malformed = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: POLL }, body: Buffer.from([0x73, 0x3d, 0xff, 0xfe]) })
      assert.equal(malformed.status, 400)
      const huge = await postForm(url, `scope=openid&login_hint=${'a'.repeat(70_000)}`, { authorization: POLL })
      assert.equal(huge.status, 413)
      assert.equal(huge.body.error, 'invalid_request')
      const repeated = await postForm(url, 'scope=openid&login_hint=alice&login_hint=bob', { authorization: POLL })
      assert.equal(repeated.body.error, 'invalid_request')
      assert.match(repeated.body.error_description as string, /login_hint is repeated/)
      // An unknown parameter's name is not echoed back unless it is a plain name.
      const odd = await bc({ scope: 'openid', login_hint: 'alice', ['<b>x</b>']: 'v'.repeat(9000) })
      assert.equal(odd.body.error, 'invalid_request')
      assert.equal(odd.body.error_description, 'parameter is too long')
      const noGrant = await token({ auth_req_id: 'x' })
      assert.equal(noGrant.body.error, 'invalid_request')
      const unknownClient = await bc({ scope: 'openid', login_hint: 'alice' }, basic('ghost', 'x'))
      assert.equal(unknownClient.status, 401)
      const get = await fetch(url)
      assert.equal(get.status, 405)
      for (const res of [huge, repeated, noGrant]) assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.deepEqual(storage.size, sizeBefore)
    })

    it('has exactly one winner when decisions and redemptions race', async () => {
      const id = await start()
      const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? op.provider.approve(id) : op.provider.deny(id))))
      assert.equal(decisions.filter((d) => d.ok).length, 1)
      const approved = await start()
      await op.provider.approve(approved)
      const results = await Promise.all(Array.from({ length: 20 }, () => token({ grant_type: CIBA, auth_req_id: approved })))
      assert.equal(results.filter((r) => r.status === 200).length, 1)
      assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'))
    })
  })
}

describe('mounting', () => {
  for (const framework of ['express', 'koa'] as Framework[]) {
    it(`serves under a path prefix (${framework})`, async () => {
      const server = createServer()
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
      const provider = createProvider({
        issuer: `${origin}/oidc`, signingKeys: await testKeys(), clients: CLIENTS,
        users: { findByLoginHint: (hint) => ({ sub: hint }), claims: () => ({}) }, notifier: { notify() {} },
      })
      if (framework === 'express') {
        const app = express()
        app.use(cibaExpress(provider, { prefix: '/oidc' }))
        app.use((_req, res) => void res.status(404).send('host 404'))
        server.on('request', app)
      } else {
        const app = new Koa()
        // A host body parser that ran first: ciba-kit must use its result, not the drained stream.
        app.use(async (ctx, next) => {
          if (ctx.is('application/x-www-form-urlencoded')) {
            let raw = ''
            for await (const chunk of ctx.req) raw += String(chunk)
            ;(ctx.request as { body?: unknown }).body = Object.fromEntries(new URLSearchParams(raw))
          }
          await next()
        })
        app.use(cibaKoa(provider, { prefix: '/oidc' }))
        app.use((ctx) => { ctx.status = 404; ctx.body = 'host 404' })
        server.on('request', app.callback())
      }
      try {
        const doc = (await (await fetch(`${origin}/oidc/.well-known/openid-configuration`)).json()) as Record<string, string>
        assert.equal(doc.issuer, `${origin}/oidc`)
        assert.equal(doc.token_endpoint, `${origin}/oidc/token`)
        const res = await postForm(doc.backchannel_authentication_endpoint!, { scope: 'openid', login_hint: 'carol' }, { authorization: POLL })
        assert.equal(res.status, 200, JSON.stringify(res.body))
        const outside = await fetch(`${origin}/token`, { method: 'POST' })
        assert.equal(await outside.text(), 'host 404')
      } finally {
        server.closeAllConnections()
        server.close()
      }
    })
  }

  it('serves after a host body parser (express)', async () => {
    const op = await startOp('express', {}, (app) => {
      const a = app as express.Express
      a.use(express.urlencoded({ extended: false }))
    })
    try {
      const res = await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: POLL })
      assert.equal(res.status, 200)
      const repeated = await postForm(`${op.issuer}/backchannel-authentication`, 'scope=openid&login_hint=a&login_hint=b', { authorization: POLL })
      assert.equal(repeated.body.error, 'invalid_request')
    } finally {
      await op.close()
    }
  })
})

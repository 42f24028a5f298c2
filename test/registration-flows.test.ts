// Registered clients over real HTTP, both adapters: register -> poll / ping / push flows -> update -> delete.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import express from 'express'
import { startHttpsReceiver, testPki, type Receiver } from './helpers/https-receiver.js'
import { basic, CIBA, postForm, startOp, type Framework, type TestOp } from './helpers/op.js'
import { bearer, fetchJson, SEED_REGISTRATION_BODY } from './helpers/registration.js'

const IAT = 'initial-access-token-for-tests-0123456789'

for (const framework of ['express', 'koa'] as Framework[]) {
  describe(`registered clients over HTTP (${framework})`, () => {
    let op: TestOp
    let receiver: Receiver
    const failed: Array<{ authReqId: string; reason: string }> = []
    before(async () => {
      // A real HTTPS notification endpoint; the worker is driven by the test (runOnce) on the test clock.
      receiver = await startHttpsReceiver()
      op = await startOp(framework, {
        registration: { initialAccessToken: IAT },
        deliveryModes: ['poll', 'ping', 'push'],
        // The receivers are on 127.0.0.1: private addresses allowed for registered clients too.
        delivery: { ca: testPki().ca, worker: false, timeoutMs: 2000, blockPrivateAddresses: false },
      })
      op.provider.on('delivery.failed', (e) => void failed.push({ authReqId: e.authReqId, reason: e.reason }))
    })
    after(async () => {
      await op.close()
      await receiver.close()
    })
    const receivedFor = (id: string) => receiver.received.filter((r) => r.body.includes(id))

    const register = (body: unknown, headers: Record<string, string> = bearer(IAT)) => fetchJson(`${op.issuer}/register`, { body, headers })
    const bc = (auth: string, params: Record<string, string> = {}) =>
      postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid profile', login_hint: 'alice', ...params }, { authorization: auth })
    const token = (auth: string, params: Record<string, string>) => postForm(`${op.issuer}/token`, params, { authorization: auth })
    const userinfo = async (accessToken: unknown) => (await fetch(`${op.issuer}/userinfo`, { headers: bearer(accessToken) })).status

    /** Registers, then checks the management URI answers for it; returns what a client keeps. */
    async function registerClient(metadata: Record<string, unknown>) {
      const res = await register(metadata)
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const b = res.body
      assert.equal(b.registration_client_uri, `${op.issuer}/register/${b.client_id as string}`)
      return { uri: b.registration_client_uri as string, rat: b.registration_access_token as string, id: b.client_id as string, secret: b.client_secret as string, auth: basic(b.client_id as string, b.client_secret as string) }
    }

    /** RFC 7592 update then delete; afterwards nothing of the client works. */
    async function updateThenDelete(c: Awaited<ReturnType<typeof registerClient>>, metadata: Record<string, unknown>, accessToken?: unknown) {
      const put = await fetchJson(c.uri, { method: 'PUT', body: { ...metadata, client_id: c.id, client_name: 'renamed' }, headers: bearer(c.rat) })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      assert.equal(put.body.client_name, 'renamed')
      const read = await fetchJson(c.uri, { headers: bearer(c.rat) })
      assert.equal(read.body.client_name, 'renamed')
      assert.equal(read.headers.get('cache-control'), 'no-store')
      const del = await fetch(c.uri, { method: 'DELETE', headers: bearer(c.rat) })
      assert.equal(del.status, 204)
      assert.equal(await del.text(), '')
      assert.equal((await fetchJson(c.uri, { headers: bearer(c.rat) })).status, 401)
      assert.equal((await bc(c.auth)).status, 401)
      if (accessToken !== undefined) assert.equal(await userinfo(accessToken), 401)
    }

    it('accepts the seed\'s exact registration request (201, no-store)', async () => {
      const res = await register(SEED_REGISTRATION_BODY)
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      assert.equal(res.body.backchannel_token_delivery_mode, 'push')
      assert.equal(res.body.client_name, 'oxAuth test app')
      const discovery = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.equal(discovery.registration_endpoint, `${op.issuer}/register`)
    })

    it('refuses registration without the initial access token, with a wrong type, or oversize', async () => {
      const metadata = { backchannel_token_delivery_mode: 'poll' }
      const none = await register(metadata, {})
      assert.equal(none.status, 401)
      assert.equal(none.headers.get('www-authenticate'), 'Bearer')
      assert.equal((await register(metadata, bearer('nope'))).status, 401)
      const form = await fetchJson(`${op.issuer}/register`, { body: 'backchannel_token_delivery_mode=poll', headers: { ...bearer(IAT), 'content-type': 'application/x-www-form-urlencoded' } })
      assert.equal(form.body.error, 'invalid_request')
      const big = await register({ ...metadata, client_name: 'x'.repeat(40_000) })
      assert.equal(big.status, 413)
      const huge = await register({ ...metadata, client_name: 'x'.repeat(70_000) })
      assert.equal(huge.status, 413)
    })

    it('poll: register -> authenticate -> tokens -> update -> delete', async () => {
      const metadata = { grant_types: [CIBA, 'refresh_token'], backchannel_token_delivery_mode: 'poll', client_name: 'Teller 3' }
      const c = await registerClient(metadata)
      const started = await bc(c.auth, { binding_message: 'T3' })
      assert.equal(started.status, 200, JSON.stringify(started.body))
      const id = started.body.auth_req_id as string
      assert.equal(op.notices.find((n) => n.authReqId === id)?.clientName, 'Teller 3')
      assert.equal((await token(c.auth, { grant_type: CIBA, auth_req_id: id })).body.error, 'authorization_pending')
      assert.deepEqual(await op.provider.approve(id), { ok: true })
      op.clock.advance(5)
      const tokens = await token(c.auth, { grant_type: CIBA, auth_req_id: id })
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      assert.equal(await userinfo(tokens.body.access_token), 200)
      const pending = (await bc(c.auth)).body.auth_req_id as string
      await updateThenDelete(c, metadata, tokens.body.access_token)
      assert.equal((await token(c.auth, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string })).status, 401)
      assert.deepEqual(await op.provider.approve(pending), { ok: false, reason: 'unknown' })
    })

    it('ping: register -> authenticate -> ping at the registered endpoint -> tokens -> update -> delete', async () => {
      const metadata = { grant_types: [CIBA], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: `${receiver.origin}/ping` }
      const c = await registerClient(metadata)
      assert.equal((await bc(c.auth)).body.error, 'invalid_request', 'CIBA §7.1: ping needs client_notification_token')
      const started = await bc(c.auth, { client_notification_token: 'cnt-ping-0123456789' })
      assert.equal(started.status, 200, JSON.stringify(started.body))
      assert.equal(started.body.interval, 5)
      const id = started.body.auth_req_id as string
      assert.deepEqual(await op.provider.approve(id), { ok: true })
      await op.provider.deliveries.runOnce()
      const [ping] = receivedFor(id)
      assert.ok(ping, 'the registered endpoint was pinged')
      assert.equal(ping.path, '/ping')
      assert.equal(ping.headers.authorization, 'Bearer cnt-ping-0123456789')
      assert.deepEqual(JSON.parse(ping.body), { auth_req_id: id })
      const tokens = await token(c.auth, { grant_type: CIBA, auth_req_id: id })
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      await updateThenDelete(c, metadata, tokens.body.access_token)
    })

    it('push: register -> authenticate -> tokens pushed to the registered endpoint -> update -> delete', async () => {
      const metadata = { grant_types: [CIBA], backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: `${receiver.origin}/push` }
      const c = await registerClient(metadata)
      const started = await bc(c.auth, { client_notification_token: 'cnt-push-0123456789' })
      assert.equal(started.status, 200, JSON.stringify(started.body))
      assert.equal('interval' in started.body, false, 'CIBA §7.3: no interval for push')
      const id = started.body.auth_req_id as string
      assert.deepEqual(await op.provider.approve(id), { ok: true })
      assert.equal((await token(c.auth, { grant_type: CIBA, auth_req_id: id })).body.error, 'unauthorized_client')
      await op.provider.deliveries.runOnce()
      const [push] = receivedFor(id)
      assert.ok(push, 'the tokens were pushed')
      assert.equal(push.path, '/push')
      assert.equal(push.headers.authorization, 'Bearer cnt-push-0123456789')
      const pushed = JSON.parse(push.body) as Record<string, unknown>
      assert.equal(pushed.auth_req_id, id)
      assert.equal(typeof pushed.id_token, 'string')
      assert.equal(await userinfo(pushed.access_token), 200)

      // Approved but not yet pushed when the client is deleted: the push is never sent.
      const orphan = (await bc(c.auth, { client_notification_token: 'cnt-push-orphan-0123' })).body.auth_req_id as string
      assert.deepEqual(await op.provider.approve(orphan), { ok: true })
      await updateThenDelete(c, metadata, pushed.access_token)
      await op.provider.deliveries.runOnce()
      assert.equal(receivedFor(orphan).length, 0)
      assert.deepEqual(failed.filter((f) => f.authReqId === orphan).map((f) => f.reason), ['client_unknown'])
    })
  })
}

describe('registration behind a host JSON body parser (express.json())', () => {
  it('takes the already parsed body', async () => {
    const op = await startOp('express', { registration: { open: true } }, (app) => void (app as express.Express).use(express.json()))
    try {
      const res = await fetchJson(`${op.issuer}/register`, { body: { backchannel_token_delivery_mode: 'poll', client_name: 'parsed' } })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.equal(res.body.client_name, 'parsed')
      const put = await fetchJson(res.body.registration_client_uri as string, {
        method: 'PUT', headers: bearer(res.body.registration_access_token), body: { client_id: res.body.client_id, backchannel_token_delivery_mode: 'poll', client_name: 'again' },
      })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      assert.equal(put.body.client_name, 'again')
    } finally {
      await op.close()
    }
  })

  it('holds the parsed body to the registration limit, however much the host parser allows', async () => {
    const op = await startOp('express', { registration: { open: true } }, (app) => void (app as express.Express).use(express.json({ limit: '10mb' })))
    try {
      const res = await fetchJson(`${op.issuer}/register`, { body: { backchannel_token_delivery_mode: 'poll', client_name: 'x'.repeat(100_000) } })
      assert.equal(res.status, 413, JSON.stringify(res.body).slice(0, 200))
      assert.equal(res.body.error, 'invalid_request')
    } finally {
      await op.close()
    }
  })
})

// A queued ping/push notification goes where the registered client wants it at send time: an RFC
// 7592 PUT that moves the notification endpoint moves the queued notification with it, and once the
// client is deleted (or stops using ping/push) nothing is sent at all. Real HTTPS receivers (old and
// new endpoint), a real Express OP; the worker is driven by the test.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startHttpsReceiver, testPki, type Receiver } from './helpers/https-receiver.js'
import { EventLog } from './helpers/delivery-op.js'
import { basic, CIBA, postForm, startOp, type TestOp } from './helpers/op.js'
import { bearer, fetchJson } from './helpers/registration.js'

describe('queued notifications follow the registered client', () => {
  let op: TestOp
  let events: EventLog
  let oldReceiver: Receiver
  let newReceiver: Receiver
  before(async () => {
    ;[oldReceiver, newReceiver] = await Promise.all([startHttpsReceiver(), startHttpsReceiver()])
    op = await startOp('express', {
      registration: { open: true },
      deliveryModes: ['poll', 'ping', 'push'],
      // The receivers are on 127.0.0.1: private addresses allowed for registered clients too.
      delivery: { ca: testPki().ca, worker: false, timeoutMs: 2000, blockPrivateAddresses: false },
    })
    events = new EventLog(op.provider)
  })
  after(async () => {
    await op.close()
    await Promise.all([oldReceiver.close(), newReceiver.close()])
  })
  const at = (receiver: Receiver, authReqId: string) => receiver.received.filter((r) => r.body.includes(authReqId))

  /** Registers a client, starts a request and approves it: its notification is queued, not sent. */
  async function queued(mode: 'ping' | 'push') {
    const metadata = { grant_types: [CIBA], backchannel_token_delivery_mode: mode, backchannel_client_notification_endpoint: `${oldReceiver.origin}/${mode}` }
    const reg = await fetchJson(`${op.issuer}/register`, { body: metadata })
    assert.equal(reg.status, 201, JSON.stringify(reg.body))
    const b = reg.body
    const auth = basic(b.client_id as string, b.client_secret as string)
    const cnt = `cnt-${mode}-${Math.random().toString(36).slice(2)}`
    const started = await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice', client_notification_token: cnt }, { authorization: auth })
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const authReqId = started.body.auth_req_id as string
    assert.deepEqual(await op.provider.approve(authReqId), { ok: true })
    const uri = b.registration_client_uri as string
    const rat = bearer(b.registration_access_token)
    return {
      authReqId,
      cnt,
      put: (changes: Record<string, unknown>) => fetchJson(uri, { method: 'PUT', body: { ...metadata, client_id: b.client_id, ...changes }, headers: rat }),
      remove: async () => (await fetch(uri, { method: 'DELETE', headers: rat })).status,
    }
  }

  for (const mode of ['ping', 'push'] as const) {
    it(`${mode}: a PUT moving the endpoint after the notification was queued: it arrives at the new endpoint only`, async () => {
      const q = await queued(mode)
      const put = await q.put({ backchannel_client_notification_endpoint: `${newReceiver.origin}/moved` })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      const summary = await op.provider.deliveries.runOnce()
      assert.equal(summary.delivered, 1)
      assert.equal(at(oldReceiver, q.authReqId).length, 0, 'nothing went to the endpoint the client no longer has')
      const [sent, ...more] = at(newReceiver, q.authReqId)
      assert.ok(sent, 'the new endpoint got the notification')
      assert.equal(more.length, 0)
      assert.equal(sent.path, '/moved')
      assert.equal(sent.headers.authorization, `Bearer ${q.cnt}`)
      const body = JSON.parse(sent.body) as Record<string, unknown>
      assert.equal(body.auth_req_id, q.authReqId)
      assert.equal(typeof body.access_token, mode === 'push' ? 'string' : 'undefined')
      assert.equal(events.of('delivery.delivered', q.authReqId).length, 1)
    })

    it(`${mode}: the client deleted after the notification was queued: it is given up, nothing is sent`, async () => {
      const q = await queued(mode)
      assert.equal(await q.remove(), 204)
      const summary = await op.provider.deliveries.runOnce()
      assert.deepEqual({ delivered: summary.delivered, failed: summary.failed }, { delivered: 0, failed: 1 })
      assert.deepEqual(events.of('delivery.failed', q.authReqId).map((e) => e.reason), ['client_unknown'])
      assert.equal(at(oldReceiver, q.authReqId).length + at(newReceiver, q.authReqId).length, 0)
      assert.equal((await op.provider.deliveries.runOnce()).claimed, 0, 'and it left the outbox')
    })
  }

  it('push: the client switched to poll after the notification was queued: given up, the tokens are never sent', async () => {
    const q = await queued('push')
    const put = await q.put({ grant_types: [CIBA], backchannel_token_delivery_mode: 'poll', backchannel_client_notification_endpoint: `${newReceiver.origin}/kept` })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    await op.provider.deliveries.runOnce()
    assert.deepEqual(events.of('delivery.failed', q.authReqId).map((e) => e.reason), ['endpoint_removed'])
    assert.equal(at(oldReceiver, q.authReqId).length + at(newReceiver, q.authReqId).length, 0)
  })
})

describe('private notification endpoints by default', () => {
  let op: TestOp
  let events: EventLog
  let receiver: Receiver
  before(async () => {
    receiver = await startHttpsReceiver()
    op = await startOp('express', {
      registration: { open: true },
      deliveryModes: ['poll', 'ping'],
      // An operator's own client, configured statically, with its endpoint on a private network.
      clients: [{ client_id: 'operator-ping', client_secret: 'operator-secret', grant_types: [CIBA], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: `${receiver.origin}/operator` }],
      delivery: { ca: testPki().ca, worker: false, timeoutMs: 2000 }, // blockPrivateAddresses: its default
    })
    events = new EventLog(op.provider)
  })
  after(async () => {
    await op.close()
    await receiver.close()
  })
  const at = (authReqId: string) => receiver.received.filter((r) => r.body.includes(authReqId))

  async function approvedPing(auth: string): Promise<string> {
    const started = await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice', client_notification_token: `cnt-${Math.random().toString(36).slice(2)}` }, { authorization: auth })
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const authReqId = started.body.auth_req_id as string
    assert.deepEqual(await op.provider.approve(authReqId), { ok: true })
    return authReqId
  }

  it('are refused to a client that registered itself: nothing is sent to 127.0.0.1', async () => {
    const reg = await fetchJson(`${op.issuer}/register`, {
      body: { grant_types: [CIBA], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: `${receiver.origin}/registered` },
    })
    assert.equal(reg.status, 201, JSON.stringify(reg.body))
    const authReqId = await approvedPing(basic(reg.body.client_id as string, reg.body.client_secret as string))
    await op.provider.deliveries.runOnce()
    assert.deepEqual(events.of('delivery.failed', authReqId).map((e) => e.reason), ['address_not_allowed'])
    assert.equal(at(authReqId).length, 0)
  })

  it('are reached for the operator\'s own (static) client', async () => {
    const authReqId = await approvedPing(basic('operator-ping', 'operator-secret'))
    await op.provider.deliveries.runOnce()
    assert.equal(events.of('delivery.delivered', authReqId).length, 1)
    assert.equal(at(authReqId).length, 1)
  })
})

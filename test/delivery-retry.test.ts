// Reliable delivery (CIBA §10.2/§10.3 plus the rules): retries with back-off on network
// errors, timeouts, 408/429/5xx; no retry on other 4xx or redirects; bounded attempts and time;
// outcomes as events. The worker's clock is the test clock: tests advance it, then runOnce().
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CIBA, basic, postForm } from './helpers/op.js'
import { downOrigin, startHttpsReceiver, type Receiver } from './helpers/https-receiver.js'
import { PING_AUTH, PUSH_AUTH, startDeliveryOp, type DeliveryOp } from './helpers/delivery-op.js'

const QUIET = { pollIntervalMs: 3_600_000 } // only the kick after a decision, and runOnce(), send

describe('delivery retries and failures', () => {
  let receiver: Receiver
  let op: DeliveryOp
  before(async () => {
    receiver = await startHttpsReceiver()
    op = await startDeliveryOp(receiver.origin, { delivery: { ...QUIET, random: () => 0.5 } })
  })
  after(async () => {
    await op.close()
    await receiver.close()
  })
  const hits = (id: string) => receiver.received.filter((r) => r.body.includes(id))
  const retryLater = async () => {
    op.clock.advance(1)
    return op.provider.deliveries.runOnce()
  }

  it('retries 503 twice with growing back-off, then delivers the same ping', async () => {
    receiver.reply((i, req) => (hits(JSON.parse(req.body).auth_req_id as string).length <= 2 ? { status: 503 } : { status: 204 }))
    const id = await op.start(PING_AUTH, 'retry-bearer')
    const t0 = op.clock.now
    await op.provider.approve(id)
    const first = await op.events.next('delivery.retried', id)
    assert.equal(first.attempts, 1)
    assert.equal(first.reason, 'http_503')
    // random 0.5 -> 3/4 of 50 ms, then 3/4 of 100 ms.
    assert.ok(Math.abs(first.nextAttemptAt - (t0 + 0.0375)) < 1e-9, String(first.nextAttemptAt - t0))
    assert.deepEqual(await retryLater(), { claimed: 1, delivered: 0, retried: 1, failed: 0, skipped: 0 })
    const second = op.events.of('delivery.retried', id)[1]!
    assert.ok(Math.abs(second.nextAttemptAt - (t0 + 1 + 0.075)) < 1e-9)
    assert.equal((await retryLater()).delivered, 1)
    assert.equal(op.events.of('delivery.delivered', id)[0]?.attempts, 3)
    assert.equal(hits(id).length, 3)
    for (const hit of hits(id)) {
      assert.equal(hit.headers.authorization, 'Bearer retry-bearer')
      assert.deepEqual(JSON.parse(hit.body), { auth_req_id: id })
    }
    assert.equal((await retryLater()).claimed, 0)
  })

  it('retries 408 and 429 (honouring Retry-After up to the back-off maximum)', async () => {
    let n = 0
    receiver.reply(() => (++n === 1 ? { status: 408 } : n === 2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200, body: '{"ok":true}' }))
    const id = await op.start(PING_AUTH, 'b')
    await op.provider.approve(id)
    await op.events.next('delivery.retried', id)
    const before = op.clock.now + 1
    await retryLater()
    const [r1, r2] = op.events.of('delivery.retried', id)
    assert.equal(r1?.reason, 'http_408')
    assert.equal(r2?.reason, 'http_429')
    assert.ok(Math.abs(r2!.nextAttemptAt - (before + 0.4)) < 1e-9, 'Retry-After 1 s capped at maxMs 400')
    await retryLater()
    assert.equal(op.events.of('delivery.delivered', id)[0]?.attempts, 3)
  })

  it('fails at once on a 4xx, and revokes pushed tokens that were refused', async () => {
    receiver.reply(() => ({ status: 400, body: '{"error":"nope"}' }))
    const id = await op.start(PUSH_AUTH, 'c')
    await op.provider.approve(id)
    const failed = await op.events.next('delivery.failed', id)
    assert.deepEqual({ attempts: failed.attempts, reason: failed.reason, kind: failed.kind }, { attempts: 1, reason: 'http_400', kind: 'push' })
    assert.equal(op.events.of('delivery.retried', id).length, 0)
    assert.equal((await retryLater()).claimed, 0)
    assert.equal(hits(id).length, 1)
    // The tokens never counted as delivered: they do not work.
    const { access_token: at } = JSON.parse(hits(id)[0]!.body) as { access_token: string }
    const info = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${at}` } })
    assert.equal(info.status, 401)
  })

  it('never follows a redirect', async () => {
    receiver.reply((_, req) => (req.path === '/elsewhere' ? { status: 204 } : { status: 307, headers: { location: `${receiver.origin}/elsewhere` } }))
    const id = await op.start(PING_AUTH, 'd')
    await op.provider.approve(id)
    const failed = await op.events.next('delivery.failed', id)
    assert.equal(failed.reason, 'redirect_not_followed_307')
    assert.equal(receiver.received.filter((r) => r.path === '/elsewhere').length, 0)
  })

  it('reads at most a small part of a large response body', async () => {
    let finished: boolean | undefined
    receiver.reply(() => (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const chunk = Buffer.alloc(64 * 1024, 120)
      let sent = 0
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      res.on('close', () => (finished = res.writableFinished))
      pump()
    })
    const id = await op.start(PING_AUTH, 'e')
    await op.provider.approve(id)
    await op.events.next('delivery.delivered', id)
    const deadline = Date.now() + 5000
    while (finished === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.equal(finished, false, 'the OP dropped the connection instead of reading 64 MiB')
  })

  it('bounds the total time even when attempts remain', async () => {
    const slow = await startDeliveryOp(receiver.origin, { delivery: { ...QUIET, maxAttempts: 100, maxTotalSeconds: 3 } })
    try {
      receiver.reply(() => ({ status: 500 }))
      const id = await slow.start(PING_AUTH, 'f')
      await slow.provider.approve(id)
      await slow.events.next('delivery.retried', id)
      for (let i = 0; i < 5; i++) {
        slow.clock.advance(1)
        await slow.provider.deliveries.runOnce()
      }
      const failed = slow.events.of('delivery.failed', id)
      assert.equal(failed.length, 1)
      assert.ok(failed[0]!.attempts <= 4, String(failed[0]!.attempts))
      assert.equal(failed[0]!.reason, 'http_500')
    } finally {
      await slow.close()
    }
  })
})

describe('delivery to a hanging receiver', () => {
  it('times out each attempt, then delivers when the receiver answers', async () => {
    const receiver = await startHttpsReceiver()
    const op = await startDeliveryOp(receiver.origin, { delivery: { ...QUIET, timeoutMs: 300 } })
    try {
      receiver.reply(() => 'hang')
      const id = await op.start(PING_AUTH, 'hang-bearer')
      const started = Date.now()
      assert.deepEqual(await op.provider.approve(id), { ok: true })
      assert.ok(Date.now() - started < 250, 'approve() does not wait for the client')
      const retried = await op.events.next('delivery.retried', id)
      assert.equal(retried.reason, 'timeout')
      assert.ok(Date.now() - started >= 290)
      receiver.reply(() => ({ status: 204 }))
      op.clock.advance(1)
      await op.provider.deliveries.runOnce()
      assert.equal(op.events.of('delivery.delivered', id)[0]?.attempts, 2)
    } finally {
      await op.close()
      await receiver.close()
    }
  })
})

describe('delivery to a receiver that is down', () => {
  let op: DeliveryOp
  before(async () => {
    op = await startDeliveryOp(await downOrigin(), { delivery: { ...QUIET, maxAttempts: 3 } })
  })
  after(() => op.close())

  it('gives up after the configured attempts, reports it, and nothing else breaks', async () => {
    const id = await op.start(PING_AUTH, 'down-bearer')
    await op.provider.approve(id)
    await op.events.next('delivery.retried', id)
    for (let i = 0; i < 4; i++) {
      op.clock.advance(1)
      await op.provider.deliveries.runOnce()
    }
    const retried = op.events.of('delivery.retried', id)
    assert.deepEqual(retried.map((r) => r.attempts), [1, 2])
    assert.equal(retried[0]!.reason, 'network_ECONNREFUSED')
    const failed = op.events.of('delivery.failed', id)
    assert.equal(failed.length, 1)
    assert.deepEqual({ attempts: failed[0]!.attempts, reason: failed[0]!.reason }, { attempts: 3, reason: 'network_ECONNREFUSED' })
    assert.equal(op.events.entries.filter((e) => e.name === 'server_error').length, 0)

    // The ping client can still poll its result; poll clients are unaffected.
    const redeemed = await op.token({ grant_type: CIBA, auth_req_id: id }, PING_AUTH)
    assert.equal(redeemed.status, 200)
    const poll = basic('poll-client', 'poll-secret')
    const res = await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'bob' }, { authorization: poll })
    const pollId = res.body.auth_req_id as string
    await op.provider.approve(pollId)
    assert.equal((await op.token({ grant_type: CIBA, auth_req_id: pollId }, poll)).status, 200)
  })
})

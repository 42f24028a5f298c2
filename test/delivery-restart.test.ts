// A notification accepted before an OP process stops is completed by another process over the
// same storage: pending deliveries live in storage (the outbox), claimed under a lease.
import { after, afterEach, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { MemoryStorage, type CibaStorage } from '@ciba-kit/core'
import { createRedisStorage } from '@ciba-kit/storage-redis'
import { TestClock } from './helpers/op.js'
import { startHttpsReceiver, type Receiver } from './helpers/https-receiver.js'
import { PING_AUTH, PUSH_AUTH, startDeliveryOp, type DeliveryOp } from './helpers/delivery-op.js'
import { connectTestRedis, deleteKeys, redisSkipReason, uniquePrefix } from './helpers/redis.js'

/** Two OP "processes" (providers with their own servers and workers) over one storage and one clock. */
function scenario(name: string, makeStorage: (clock: TestClock) => Promise<{ storage: CibaStorage; dispose(): Promise<void> }>, options: { skip?: string | undefined } = {}) {
  describe(`delivery survives a stopped OP (${name})`, { skip: options.skip }, () => {
    let receiver: Receiver
    let clock: TestClock
    let storage: CibaStorage
    let dispose: () => Promise<void>
    let started: DeliveryOp[] = []
    before(async () => {
      receiver = await startHttpsReceiver()
      clock = new TestClock()
      ;({ storage, dispose } = await makeStorage(clock))
    })
    // Each test stops its processes, so no worker of an earlier test takes part.
    afterEach(async () => {
      for (const op of started) await op.close()
      started = []
    })
    after(async () => {
      await receiver.close()
      await dispose()
    })
    const op = async (delivery: Record<string, unknown> = {}): Promise<DeliveryOp> => {
      const created = await startDeliveryOp(receiver.origin, { storage, clock: clock.fn, delivery: { pollIntervalMs: 50, ...delivery } })
      started.push(created)
      return created
    }
    const hits = (id: string) => receiver.received.filter((r) => r.body.includes(id))

    it('a push approved on a process that stops before sending is delivered by the next one', async () => {
      const a = await op({ worker: false }) // approves, then "dies" before its worker ever runs
      const id = await a.start(PUSH_AUTH, 'restart-bearer')
      assert.deepEqual(await a.provider.approve(id), { ok: true })
      await a.close()
      assert.equal(hits(id).length, 0)

      const b = await op()
      await b.events.next('delivery.delivered', id)
      const [push] = hits(id)
      assert.equal(push!.headers.authorization, 'Bearer restart-bearer')
      const body = JSON.parse(push!.body) as { id_token: string; auth_req_id: string }
      assert.equal(body.auth_req_id, id)
      // Signed by the same keys: the receiving process could not have forged it.
      const { payload } = await jwtVerify(body.id_token, createLocalJWKSet(await b.provider.jwks() as { keys: never[] }))
      assert.equal(payload['urn:openid:params:jwt:claim:auth_req_id'], id)
      assert.equal(hits(id).length, 1)
    })

    it('a ping that failed on one process is retried by another', async () => {
      const first = receiver.received.length
      receiver.reply((i) => (i === first ? { status: 503 } : { status: 204 }))
      const a = await op()
      const id = await a.start(PING_AUTH, 'retry-elsewhere')
      await a.provider.approve(id)
      const retried = await a.events.next('delivery.retried', id)
      assert.equal(retried.reason, 'http_503')
      await a.close()

      const b = await op()
      clock.advance(1) // the back-off has passed; b's worker tick picks it up
      const delivered = await b.events.next('delivery.delivered', id)
      assert.equal(delivered.attempts, 2)
      assert.equal(hits(id).length, 2)
    })

    it('two processes draining one outbox send every notification exactly once', async () => {
      receiver.reply(() => ({ status: 204 }))
      const a = await op({ worker: false, concurrency: 4 })
      const b = await op({ worker: false, concurrency: 4 })
      const ids: string[] = []
      for (let i = 0; i < 24; i++) {
        const id = await (i % 2 === 0 ? a : b).start(PING_AUTH, `many-${i}`)
        await (i % 2 === 0 ? b : a).provider.approve(id)
        ids.push(id)
      }
      const [ra, rb] = await Promise.all([a.provider.deliveries.runOnce(), b.provider.deliveries.runOnce()])
      assert.equal(ra.delivered + rb.delivered, 24)
      assert.ok(ra.delivered > 0 && rb.delivered > 0, 'both processes took part')
      for (const id of ids) assert.equal(hits(id).length, 1, id)
    })

    it('an attempt cut short by a stop is retried once its lease lapses, not before', async () => {
      receiver.reply(() => 'hang')
      const a = await op({ timeoutMs: 5000 })
      const id = await a.start(PING_AUTH, 'leased')
      await a.provider.approve(id)
      await receiver.waitFor(receiver.received.length + (hits(id).length === 0 ? 1 : 0))
      await a.close() // aborts the attempt: it stays leased to a

      receiver.reply(() => ({ status: 204 }))
      const b = await op({ timeoutMs: 5000, worker: false })
      assert.equal((await b.provider.deliveries.runOnce()).claimed, 0, 'still leased')
      clock.advance(2 * 5 + 10) // the lease: twice the attempt timeout plus 10 s
      const summary = await b.provider.deliveries.runOnce()
      assert.equal(summary.delivered, 1)
      assert.equal(b.events.of('delivery.delivered', id)[0]?.attempts, 1)
      assert.equal(hits(id).length, 2)
    })
  })
}

scenario('same MemoryStorage object', async (clock) => ({ storage: new MemoryStorage({ clock: clock.fn }), dispose: async () => {} }))

const skip = await redisSkipReason('delivery restart on Redis')
scenario('Redis', async (clock) => {
  const client = await connectTestRedis()
  const prefix = uniquePrefix('delivery-restart')
  return {
    storage: createRedisStorage(client, { keyPrefix: prefix, clock: clock.fn }),
    async dispose() {
      await deleteKeys(client, prefix)
      await client.quit()
    },
  }
}, { skip })

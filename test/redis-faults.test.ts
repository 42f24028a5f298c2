// Redis killed, restarted or hung under a running OP (real adapter, real port): the OP answers
// 503 temporarily_unavailable (never a 500, never a stack), never issues tokens twice, and
// recovers by itself when Redis is back. The Redis here is the test's own (AOF on, so a restart
// keeps the data), never the shared one.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { StorageUnavailableError } from '@ciba-kit/core'
import { createRedisStorage, recommendedRedisOptions, type RedisStorage } from '@ciba-kit/storage-redis'
import { Redis } from 'ioredis'
import { basic, CIBA, postForm, startOp, type TestOp } from './helpers/op.js'
import { startPrivateRedis, type PrivateRedis } from './helpers/redis.js'

const redis = await startPrivateRedis('Redis fault tests')
const skip = typeof redis === 'string' ? redis : undefined
const POLL = basic('poll-client', 'poll-secret')

type Answer = Awaited<ReturnType<typeof postForm>>

describe('OP on Redis when Redis fails', { skip }, () => {
  const server = redis as PrivateRedis
  let client: Redis
  let storage: RedisStorage
  let op: TestOp
  const faults: unknown[] = []
  const answers: Answer[] = []

  before(async () => {
    client = new Redis(server.url, { ...recommendedRedisOptions, commandTimeout: 500, lazyConnect: true })
    client.on('error', () => {})
    await client.connect()
    let clock = (): number => 0
    storage = createRedisStorage(client, { keyPrefix: 'faults:', clock: () => clock() })
    op = await startOp('express', { storage, on: { server_error: ({ error }) => void faults.push(error) } })
    clock = op.clock.fn
  })
  after(async () => {
    await op.close()
    client.disconnect()
    await server.kill()
  })

  const call = async (path: string, params: Record<string, string>): Promise<Answer> => {
    const res = await postForm(`${op.issuer}${path}`, params, { authorization: POLL })
    answers.push(res)
    return res
  }
  const backchannel = () => call('/backchannel-authentication', { scope: 'openid', login_hint: 'alice' })
  const redeem = (id: string) => call('/token', { grant_type: CIBA, auth_req_id: id })
  const assertUnavailable = (res: Answer, what: string): void => {
    assert.equal(res.status, 503, `${what}: ${res.status} ${JSON.stringify(res.body)}`)
    assert.equal(res.body['error'], 'temporarily_unavailable')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.ok(res.headers.get('retry-after'), 'Retry-After tells the client when to come back')
    assert.doesNotMatch(JSON.stringify(res.body), /stack|at .*\.ts|ECONNREFUSED|faults:/i)
  }
  /** Retries until Redis answers again (the client reconnects by itself); returns the first non-503. */
  const whenBack = async (attempt: () => Promise<Answer>): Promise<Answer> => {
    const deadline = Date.now() + 8000
    for (;;) {
      const res = await attempt()
      if (res.status !== 503 || Date.now() > deadline) return res
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  it('Redis killed: 503 on every endpoint; restarted: the OP recovers and the approved request is redeemed once', async () => {
    const created = await backchannel()
    assert.equal(created.status, 200)
    const id = created.body['auth_req_id'] as string
    assert.deepEqual(await op.provider.approve(id), { ok: true })

    await server.kill()
    assertUnavailable(await backchannel(), 'backchannel authentication')
    assertUnavailable(await redeem(id), 'token')
    await assert.rejects(op.provider.approve(id), StorageUnavailableError)

    await server.start()
    const issued = await whenBack(() => redeem(id))
    assert.equal(issued.status, 200, `after restart: ${JSON.stringify(issued.body)}`)
    const again = await redeem(id)
    assert.equal(again.body['error'], 'invalid_grant', 'tokens are issued once')
    assert.equal((await backchannel()).status, 200, 'new requests work again')
  })

  it('Redis hung mid-request: 503 after the command timeout, and the racing redeems yield one set of tokens', async () => {
    const created = await backchannel()
    const id = created.body['auth_req_id'] as string
    await op.provider.approve(id)
    const before = answers.length

    server.pause()
    const started = Date.now()
    const during = await Promise.all(Array.from({ length: 6 }, () => redeem(id)))
    for (const res of during) assertUnavailable(res, 'token while Redis hangs')
    assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`)
    server.resume()

    const retries = await Promise.all(Array.from({ length: 6 }, () => whenBack(() => redeem(id))))
    const issued = [...during, ...retries].filter((r) => r.status === 200)
    // The hung polls reached Redis after it resumed (harmless); no transition had been sent, so
    // exactly one retry wins.
    assert.equal(issued.length, 1, 'one set of tokens, never two')
    for (const r of retries.filter((r) => r.status !== 200)) assert.equal(r.body['error'], 'invalid_grant')
    assert.ok(answers.slice(before).every((r) => r.status !== 500))
  })

  it('never answered 500; every fault reported was a storage outage', () => {
    assert.ok(answers.length > 0)
    assert.deepEqual(answers.filter((r) => r.status >= 500 && r.status !== 503), [])
    assert.ok(faults.length > 0, 'the outages were reported through events')
    for (const fault of faults) assert.ok(fault instanceof StorageUnavailableError, String(fault))
  })
})

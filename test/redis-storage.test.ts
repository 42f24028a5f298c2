// RedisStorage specifics the testkit cannot see: one round trip per hot operation, key
// namespacing and Redis TTLs, outbox hygiene, script cache loss, and failures mapped to
// StorageUnavailableError.
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { inspect } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { StorageUnavailableError, type CibaStorage } from '@ciba-kit/core'
import { createRedisStorage, recommendedRedisOptions, type RedisStorage } from '@ciba-kit/storage-redis'
import { fixtures } from '@ciba-kit/storage-testkit'
import { Redis } from 'ioredis'
import { connectTestRedis, deleteKeys, redisSkipReason, uniquePrefix } from './helpers/redis.js'

const skip = await redisSkipReason('RedisStorage')
const now = (): number => Math.floor(Date.now() / 1000)

/** Counts commands written by `client` (each a round trip unless pipelined). */
function countCommands(client: Redis): { readonly count: () => number; readonly reset: () => void } {
  let count = 0
  const original = client.sendCommand.bind(client)
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    count++
    return original(...args)
  }) as Redis['sendCommand']
  return { count: () => count, reset: () => void (count = 0) }
}

describe('RedisStorage on a real Redis', { skip }, () => {
  let client: Redis
  let prefix: string
  let storage: RedisStorage
  before(async () => {
    client = await connectTestRedis()
    prefix = uniquePrefix('redis-storage')
    storage = createRedisStorage(client, { keyPrefix: prefix })
  })
  after(async () => {
    await deleteKeys(client, prefix)
    await client.quit()
  })

  it('backchannel request, pending poll and redeem are one round trip each', async () => {
    const counter = countCommands(client)
    const warm = fixtures.authRequest(now())
    await storage.createAuthRequest(warm, 60) // loads the scripts once (NOSCRIPT -> EVAL)
    await storage.recordPoll(warm.id, now())
    await storage.transitionAuthRequest(warm.id, ['pending'], { status: 'approved' }, { tokens: [fixtures.token(now(), warm.id)] })

    const record = fixtures.authRequest(now(), { deliveryMode: 'poll' })
    counter.reset()
    assert.equal(await storage.createAuthRequest(record, 60), true)
    assert.equal(counter.count(), 1, 'createAuthRequest')
    counter.reset()
    assert.ok(await storage.recordPoll(record.id, now()))
    assert.equal(counter.count(), 1, 'recordPoll (pending poll)')
    await storage.transitionAuthRequest(record.id, ['pending'], { status: 'approved', approval: { sub: record.sub, authTime: now() } })
    counter.reset()
    const previous = await storage.recordPoll(record.id, now())
    const tokens = [fixtures.token(now(), record.id), fixtures.refreshToken(now(), record.id)]
    const consumed = await storage.transitionAuthRequest(record.id, ['approved'], { status: 'consumed' }, { tokens })
    assert.equal(previous?.status, 'approved')
    assert.equal(consumed?.status, 'consumed')
    assert.equal(counter.count(), 2, 'redeem = recordPoll + transition with token effects')
  })

  it('every key is under the prefix and carries a Redis TTL matching the record', async () => {
    const record = fixtures.authRequest(now(), { expiresAt: now() + 120 })
    await storage.createAuthRequest(record, 30)
    const tok = fixtures.token(now(), record.id, { expiresAt: now() + 600 })
    await storage.saveTokens([tok])
    await storage.markOnce(`jti:${record.id}`, now() + 90)
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `*${record.id}*`, 'COUNT', 1000)
      cursor = next
      keys.push(...found)
    } while (cursor !== '0')
    assert.ok(keys.length >= 3, `found ${keys.join(', ')}`)
    for (const key of keys) assert.ok(key.startsWith(prefix), key)
    const arTtl = await client.pttl(`${prefix}ar:${record.id}`)
    assert.ok(arTtl > 145_000 && arTtl <= 151_000, `auth request TTL ${arTtl} ms (expiresAt + retain)`)
    const tokTtl = await client.pttl(`${prefix}tok:${tok.id}`)
    assert.ok(tokTtl > 595_000 && tokTtl <= 601_000, `token TTL ${tokTtl} ms`)
  })

  it('an outbox entry whose delivery record has expired is dropped by the next claim', async () => {
    const gone = fixtures.delivery(now())
    const live = fixtures.delivery(now())
    await storage.enqueueDelivery(gone)
    await storage.enqueueDelivery(live)
    await client.del(`${prefix}dlv:${gone.id}`) // as if its TTL had lapsed
    const claimed = await storage.claimDeliveries(now(), 10, now() + 30)
    assert.deepEqual(claimed.map((d) => d.id), [live.id])
    assert.equal(await client.zscore(`${prefix}dlvq`, gone.id), null)
  })

  it('keeps working after the script cache is flushed (Redis restart)', async () => {
    await client.script('FLUSH')
    const record = fixtures.authRequest(now())
    assert.equal(await storage.createAuthRequest(record, 60), true)
    assert.deepEqual(await storage.getAuthRequest(record.id), record)
  })

  it('a failed write never carries what it was writing (a client secret) into the error it raises', async () => {
    const secret = 'secret-that-must-not-reach-a-log-0123456789'
    const record = { clientId: 'wrongtype-client', metadata: { client_id: 'wrongtype-client' }, clientSecret: secret, createdAt: now() }
    // A hash where the client's JSON belongs: the update script's GET fails with WRONGTYPE, and ioredis
    // attaches the failed command, with its arguments, to the error reply.
    await client.hset(`${prefix}client:wrongtype-client`, 'x', '1')
    const error = await storage.updateClient(record, 0).then(() => undefined, (e: unknown) => e)
    assert.ok(error instanceof StorageUnavailableError, String(error))
    assert.match(String((error as Error & { cause?: Error }).cause?.message), /WRONGTYPE/)
    const everything = inspect(error, { depth: Infinity, showHidden: true })
    assert.equal(everything.includes(secret), false, everything)
  })

  it('refuses a client configured with its own keyPrefix', () => {
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'x:' })
    assert.throws(() => createRedisStorage(prefixed), /keyPrefix/)
    prefixed.disconnect()
  })
})

/** Every CibaStorage method, called once. */
function everyMethod(storage: CibaStorage): Array<[string, () => Promise<unknown>]> {
  const t = now()
  return [
    ['createAuthRequest', () => storage.createAuthRequest(fixtures.authRequest(t), 60)],
    ['getAuthRequest', () => storage.getAuthRequest('x')],
    ['recordPoll', () => storage.recordPoll('x', t)],
    ['transitionAuthRequest', () => storage.transitionAuthRequest('x', ['pending'], { status: 'approved' })],
    ['saveTokens', () => storage.saveTokens([fixtures.token(t, 'g')])],
    ['findToken', () => storage.findToken('x')],
    ['useRefreshToken', () => storage.useRefreshToken('x', t, [])],
    ['revokeGrant', () => storage.revokeGrant('g', t + 60)],
    ['markOnce', () => storage.markOnce('k', t + 60)],
    ['getClient', () => storage.getClient('c')],
    ['createClient', () => storage.createClient(fixtures.client(t))],
    ['updateClient', () => storage.updateClient(fixtures.client(t), 0)],
    ['deleteClient', () => storage.deleteClient('c')],
    ['enqueueDelivery', () => storage.enqueueDelivery(fixtures.delivery(t))],
    ['claimDeliveries', () => storage.claimDeliveries(t, 10, t + 30)],
    ['rescheduleDelivery', () => storage.rescheduleDelivery('d', { attempts: 1, nextAttemptAt: t })],
    ['removeDelivery', () => storage.removeDelivery('d')],
  ]
}

async function assertAllUnavailable(storage: CibaStorage, withinMs: number): Promise<void> {
  const started = Date.now()
  await Promise.all(
    everyMethod(storage).map(([name, call]) =>
      assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof StorageUnavailableError, `${name}: ${String(error)}`)
        assert.doesNotMatch(error.message, /ciba|tok:|ar:/, 'no key in the message')
        return true
      }),
    ),
  )
  assert.ok(Date.now() - started < withinMs, `took ${Date.now() - started} ms`)
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
}

describe('RedisStorage when Redis is unreachable (no Redis needed)', () => {
  it('nothing listening: every method rejects with StorageUnavailableError at once', async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    const client = new Redis({ ...recommendedRedisOptions, port, host: '127.0.0.1' })
    client.on('error', () => {})
    try {
      await assertAllUnavailable(createRedisStorage(client), 500)
    } finally {
      client.disconnect()
    }
  })

  it('a server that accepts and never answers: commands time out into StorageUnavailableError', async () => {
    const sockets: Socket[] = []
    const server = createServer((socket) => void sockets.push(socket))
    const port = await listen(server)
    const client = new Redis({ ...recommendedRedisOptions, commandTimeout: 200, enableReadyCheck: false, port, host: '127.0.0.1' })
    client.on('error', () => {})
    try {
      await new Promise((resolve) => client.once('ready', resolve))
      await assertAllUnavailable(createRedisStorage(client), 1500)
      assert.ok(sockets.length > 0, 'the client did connect: the failures are timeouts')
    } finally {
      client.disconnect()
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

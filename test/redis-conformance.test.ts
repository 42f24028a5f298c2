// The whole storage testkit against a real Redis, in real time (Redis TTLs), with a second
// connection as the peer so every concurrency test races across two connections.
import { after, describe } from 'node:test'
import { createRedisStorage } from '@ciba-kit/storage-redis'
import { runStorageConformance } from '@ciba-kit/storage-testkit'
import { connectTestRedis, deleteKeys, redisSkipReason, uniquePrefix } from './helpers/redis.js'

const skip = await redisSkipReason('RedisStorage conformance')

if (skip !== undefined) {
  describe('RedisStorage conformance', { skip }, () => {})
} else {
  const [a, b] = await Promise.all([connectTestRedis(), connectTestRedis()])
  const run = uniquePrefix('conformance')
  describe('RedisStorage', () => {
    after(async () => {
      await deleteKeys(a, run)
      await Promise.all([a.quit(), b.quit()])
    })
    runStorageConformance({
      name: 'RedisStorage conformance',
      time: 'real',
      createStorage: ({ namespace }) => createRedisStorage(a, { keyPrefix: `${run}${namespace}:` }),
      createPeer: ({ namespace }) => createRedisStorage(b, { keyPrefix: `${run}${namespace}:` }),
      disposeStorage: (storage) => storage.close?.(),
    })
  })
}

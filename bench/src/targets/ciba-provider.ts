/**
 * The ciba-kit provider every ciba-kit target serves: same issuer, clients, user and keys as
 * the peer. Storage: in-memory by default; `CIBA_BENCH_STORAGE=redis` uses
 * `@ciba-kit/storage-redis` on the local Redis with a key prefix unique to the process.
 */
import { randomBytes } from 'node:crypto'
import { createProvider, MemoryStorage, type CibaProvider, type CibaStorage } from '@ciba-kit/core'
import { RedisStorage, connectRedisStorage } from '@ciba-kit/storage-redis'
import { BC_AUTH_BODY, CLIENTS, STORAGE_ENV, USER, basicAuth, benchProviderBase, keysFromEnv, redisUrl } from '../config.js'
import type { Control } from './serve.js'

/** Lifetime (s) of the pending requests seeded for the poll scenarios. */
const SEED_EXPIRY = 3600

/** Commands sent to Redis so far (each is one round trip: the storage pipelines nothing on the request path). */
let redisCommands = 0
const keyPrefix = `ciba-bench:${randomBytes(6).toString('hex')}:`

/** Delete every key this process created (SCAN + UNLINK on its unique prefix). */
async function dropKeys(redis: RedisStorage): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.client.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}

async function storage(): Promise<CibaStorage> {
  if (process.env[STORAGE_ENV] !== 'redis') return new MemoryStorage()
  const redis = await connectRedisStorage(redisUrl(), { keyPrefix })
  const client = redis.client
  const send = client.sendCommand.bind(client)
  client.sendCommand = ((...args: Parameters<typeof send>) => {
    redisCommands += 1
    return send(...args)
  }) as typeof client.sendCommand
  return redis
}

/** Build the provider and the bench control operations that drive it in-process. */
export async function benchProvider(): Promise<{ provider: CibaProvider; control: Control }> {
  const provider = createProvider({ ...benchProviderBase(), signingKeys: keysFromEnv(), storage: await storage() })
  provider.on('server_error', ({ error }) => console.error('ciba-kit server_error:', error))
  await provider.ready()

  const control: Control = {
    async approve(authReqId) {
      const result = await provider.approve(authReqId, { sub: USER })
      return result.ok
    },
    async seed(n, clientId) {
      // The provider's own backchannel authentication handler, minus HTTP.
      const client = Object.values(CLIENTS).find((c) => c.id === clientId)
      if (client === undefined) throw new Error('unknown client')
      const headers = { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' }
      // Long-lived, so that a pool seeded at the start of a run is still pending at its end.
      const body = Buffer.from(`${BC_AUTH_BODY}&requested_expiry=${SEED_EXPIRY}`)
      const ids: string[] = []
      for (let i = 0; i < n; i += 1) {
        const res = await provider.handlers.backchannelAuthentication({ method: 'POST', path: '/backchannel-authentication', headers, body })
        if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${res.body ?? ''}`)
        ids.push((JSON.parse(res.body ?? '{}') as { auth_req_id: string }).auth_req_id)
      }
      return ids
    },
    counters: () => ({ redisCommands }),
    async close() {
      const store = provider.storage
      if (store instanceof RedisStorage) await dropKeys(store)
      await provider.close()
      await store.close?.()
    },
  }
  return { provider, control }
}

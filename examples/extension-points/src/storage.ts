import { MemoryStorage, type CibaStorage } from '@ciba-kit/core'
import { connectRedisStorage } from '@ciba-kit/storage-redis'

/** One process: memory. Several OP processes: one shared Redis, one key prefix per deployment. */
export async function chooseStorage(redisUrl: string | undefined): Promise<CibaStorage> {
  if (redisUrl === undefined) return new MemoryStorage()
  return connectRedisStorage(redisUrl, { keyPrefix: 'ciba:op1:' })
}

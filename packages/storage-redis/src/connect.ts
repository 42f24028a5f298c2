import { Redis, type RedisOptions } from 'ioredis'
import { unavailable } from './errors.js'
import { RedisStorage, type RedisStorageOptions } from './redis-storage.js'

/**
 * ioredis options for an OP: when Redis is down or slow, commands fail within ~2 s (and the OP
 * answers `503 temporarily_unavailable`) instead of waiting in an offline queue; the client keeps
 * reconnecting in the background and the OP recovers by itself when Redis returns.
 *
 * - `enableOfflineQueue: false`: while disconnected, commands are rejected at once.
 * - `maxRetriesPerRequest: 1`, `commandTimeout: 2000`: a command stuck on a dying connection fails.
 * - `autoResendUnfulfilledCommands: false`: a command whose reply was lost is not silently sent a
 *   second time after reconnecting (a resent refresh-token use would look like token reuse).
 * - `retryStrategy`: reconnect with back-off, capped at 1 s, forever.
 */
export const recommendedRedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
  connectTimeout: 2000,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
} as const satisfies RedisOptions

/**
 * Connects to `url` (e.g. `redis://127.0.0.1:6379/0`) with {@link recommendedRedisOptions}
 * (overridable), waits until the connection is ready and returns a storage that owns the client
 * (`close()` quits it). Rejects with `StorageUnavailableError` when Redis cannot be reached.
 *
 * @example
 * const storage = process.env.REDIS_URL
 *   ? await connectRedisStorage(process.env.REDIS_URL, { keyPrefix: 'ciba:' })
 *   : new MemoryStorage()
 */
export async function connectRedisStorage(
  url: string,
  options: RedisStorageOptions & { readonly redis?: RedisOptions } = {},
): Promise<RedisStorage> {
  const { redis, ...storageOptions } = options
  const client = new Redis(url, { ...recommendedRedisOptions, ...redis, lazyConnect: true })
  client.on('error', () => {
    // Connection errors surface as StorageUnavailableError on the commands; without a listener
    // ioredis would print every reconnect failure.
  })
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw unavailable(error)
  }
  return new RedisStorage(client, { ...storageOptions, ownsClient: true })
}

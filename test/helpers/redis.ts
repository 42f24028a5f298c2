// Redis for tests: find the shared server (CI: fail loudly when absent; elsewhere: skip with a
// printed reason), give every test file its own key prefix, and clean up after it.
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { recommendedRedisOptions } from '@ciba-kit/storage-redis'

/** The shared test Redis (REDIS_URL, default 127.0.0.1:6379). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'

/**
 * Resolves to `undefined` when Redis answers PING, otherwise to the reason to skip. Under CI
 * (`process.env.CI` set) an absent Redis throws instead: the test file fails loudly.
 */
export async function redisSkipReason(what: string): Promise<string | undefined> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return undefined
  } catch (error) {
    const reason = `${what}: Redis is not reachable at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)})`
    if (process.env['CI']) throw new Error(`${reason}; CI requires Redis`)
    console.log(`# SKIP ${reason}`)
    return reason
  } finally {
    probe.disconnect()
  }
}

/** A connected client with the recommended (fail-fast) options. */
export async function connectTestRedis(url = REDIS_URL): Promise<Redis> {
  const client = new Redis(url, { ...recommendedRedisOptions, lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** A key prefix unique to this run and purpose. */
export function uniquePrefix(purpose: string): string {
  return `ciba-test:${purpose}:${randomBytes(6).toString('base64url')}:`
}

/** Deletes every key under `prefix` (SCAN, test clean-up only). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length > 0) await client.del(...keys)
  } while (cursor !== '0')
}

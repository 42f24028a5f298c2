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

/** A redis-server of the test's own (on a free port), which the test may kill, pause and restart. */
export interface PrivateRedis {
  readonly url: string
  /** (Re)starts the server on the same port and data directory; resolves once it answers PING. */
  start(): Promise<void>
  /** SIGKILL: a crash. */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT: a server that hangs (connections stay open, nothing is answered). */
  pause(): void
  resume(): void
}

/**
 * Starts a private redis-server with AOF (`appendfsync always`), so a restart keeps every write.
 * Resolves to a reason to skip when `redis-server` is not installed (under CI: throws).
 */
export async function startPrivateRedis(what: string): Promise<PrivateRedis | string> {
  const { spawn, spawnSync } = await import('node:child_process')
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { createServer } = await import('node:net')
  if (spawnSync('redis-server', ['--version']).error !== undefined) {
    const reason = `${what}: redis-server is not installed`
    if (process.env['CI']) throw new Error(`${reason}; CI requires it`)
    console.log(`# SKIP ${reason}`)
    return reason
  }
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as { port: number }
      probe.close(() => resolve(p))
    })
  })
  const dir = mkdtempSync(join(tmpdir(), 'ciba-redis-'))
  const url = `redis://127.0.0.1:${port}`
  let child: ReturnType<typeof spawn> | undefined
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]
  process.once('exit', () => {
    child?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  const server: PrivateRedis = {
    url,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' })
      const deadline = Date.now() + 5000
      for (;;) {
        const probe = new Redis(url, { lazyConnect: true, connectTimeout: 300, maxRetriesPerRequest: 0, retryStrategy: () => null })
        probe.on('error', () => {})
        try {
          await probe.connect()
          if ((await probe.ping()) === 'PONG') return
        } catch {
          if (Date.now() > deadline) throw new Error(`private redis-server did not start on port ${port}`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        } finally {
          probe.disconnect()
        }
      }
    },
    async kill() {
      const current = child
      if (current === undefined || current.exitCode !== null || current.signalCode !== null) return
      const exited = new Promise((resolve) => current.once('exit', resolve))
      current.kill('SIGCONT')
      current.kill('SIGKILL')
      await exited
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  }
  await server.start()
  return server
}

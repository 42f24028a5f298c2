/** Which targets can run in this checkout (ciba-kit targets need the core to exist). */
import { Redis } from 'ioredis'
import { redisUrl } from './config.js'
import type { TargetDef } from './targets.js'

async function redisReachable(): Promise<boolean> {
  const client = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

async function hasExport(specifier: string, name: string): Promise<boolean> {
  try {
    const mod = (await import(specifier)) as Record<string, unknown>
    return typeof mod[name] === 'function'
  } catch {
    return false
  }
}

/** All targets whose libraries are present; the others are named on stderr and skipped. */
export async function availableTargets(all: readonly TargetDef[]): Promise<TargetDef[]> {
  const core = await hasExport('@ciba-kit/core', 'createProvider')
  const redis = (await hasExport('@ciba-kit/storage-redis', 'connectRedisStorage')) && (await redisReachable())
  const out: TargetDef[] = []
  for (const def of all) {
    if (def.kind === 'ciba' && !core) {
      console.error(`skipping ${def.name}: @ciba-kit/core does not export createProvider yet`)
      continue
    }
    if (def.storage === 'redis' && !redis) {
      console.error(`skipping ${def.name}: @ciba-kit/storage-redis or Redis at ${redisUrl()} is not available`)
      continue
    }
    out.push(def)
  }
  return out
}

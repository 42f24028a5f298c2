/**
 * The scale benchmark's load generator: a process of its own (so that neither the target's heap
 * nor its event loop is shared with the client), driven by scale.ts over IPC. Per request it polls
 * one target's pending ids over HTTP (http-drive.ts) and reports the client's figures with the
 * target's own CPU time per poll.
 */
import { CONTROL_PREFIX } from '../config.js'
import type { DriveStats } from './drive.js'
import { readIds, type IdArena } from './drive.js'
import { pollOverHttp } from './http-drive.js'

export interface ScaleLoadRequest {
  readonly id: number
  readonly port: number
  readonly idsFile: string
  readonly authorization: string
  readonly connections: number
  readonly polls: number
  readonly epoch: number
}

export type ScaleStats = DriveStats & { readonly targetCpuMicrosPerOp: number }

export interface ScaleLoadReply {
  readonly id: number
  readonly stats?: ScaleStats
  readonly error?: string
}

const arenas = new Map<string, { ids: IdArena; order: Uint32Array; at: number }>()

async function controlCall(port: number, op: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${CONTROL_PREFIX}${op}`, { method: 'POST' })
  if (!res.ok) throw new Error(`${op}: HTTP ${res.status}`)
  return res.json()
}

async function targetCpu(port: number): Promise<number> {
  const { user, system } = (await controlCall(port, 'cpu')) as { user: number; system: number }
  return user + system
}

async function run(request: ScaleLoadRequest): Promise<ScaleStats> {
  let pool = arenas.get(request.idsFile)
  if (pool === undefined) {
    const ids = readIds(request.idsFile)
    pool = { ids, order: ids.permutation(), at: 0 }
    arenas.set(request.idsFile, pool)
  }
  const { ids } = pool
  // The previous run's last epoch may have polled any id: let `interval` pass first.
  await controlCall(request.port, 'tick')
  const cpuBefore = await targetCpu(request.port)
  const stats = await pollOverHttp({
    port: request.port,
    authorization: request.authorization,
    connections: request.connections,
    polls: request.polls,
    epoch: Math.min(request.epoch, ids.length),
    // Every id in a random order, then again in another: ids of one epoch are distinct.
    id: () => {
      if (pool.at === pool.order.length) {
        pool.order = ids.permutation()
        pool.at = 0
      }
      return ids.get(pool.order[pool.at++] as number)
    },
    nextEpoch: async () => {
      await controlCall(request.port, 'tick')
    },
  })
  const targetCpuMicrosPerOp = ((await targetCpu(request.port)) - cpuBefore) / request.polls
  return { ...stats, targetCpuMicrosPerOp }
}

process.on('message', (raw) => {
  const request = raw as ScaleLoadRequest | { type: 'shutdown' }
  if ('type' in request) process.exit(0)
  run(request).then(
    (stats) => process.send?.({ id: request.id, stats } satisfies ScaleLoadReply),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) } satisfies ScaleLoadReply),
  )
})
process.on('disconnect', () => process.exit(0))
process.send?.({ ready: true })

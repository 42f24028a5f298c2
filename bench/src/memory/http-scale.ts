/**
 * The HTTP half of the scale benchmark: polls at 1,000 vs 1,000,000 pending as a client sees them.
 * Each (store, size) is a server process of its own (scale-target.ts) that differs from its twin
 * only in how many requests it holds; one load generator process (scale-load.ts) polls them in
 * interleaved rounds (the order rotated every round), and the medians are compared. The control
 * is a bare Koa app answering from a bare Map of as many ids: what the machine itself loses at a
 * million entries, before any ciba-kit code runs.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLIENTS, CONTROL_PREFIX, basicAuth } from '../config.js'
import { median } from '../report.js'
import { CHILD_EXEC_ARGV, stopChild } from '../targets.js'
import type { ScaleLoadReply, ScaleLoadRequest, ScaleStats } from './scale-load.js'

export interface HttpScaleOptions {
  readonly small: number
  readonly large: number
  readonly rounds: number
  readonly polls: number
  readonly connections: number
  /** Polls per clock epoch (distinct ids), the same at every size. */
  readonly epoch: number
}

interface Server {
  readonly label: string
  readonly kind: 'ciba' | 'control'
  readonly size: number
  readonly idsFile: string
  readonly child: ChildProcess
  readonly port: number
  readonly runs: ScaleStats[]
}

export interface HttpScaleResult {
  /** ciba-kit at the large size against the small one: wall-clock rate, and from the target's CPU per poll. */
  readonly ciba: { readonly wall: number; readonly cpu: number }
  readonly control: { readonly wall: number; readonly cpu: number }
  readonly lines: readonly string[]
}

/** Flags of a server process: like the main bench's targets (no idle-time GCs), and gc() for settling. */
const SERVER_FLAGS = ['--no-memory-reducer', '--expose-gc', ...CHILD_EXEC_ARGV]

function startServer(kind: 'ciba' | 'control', size: number, dir: string): Promise<Server> {
  const idsFile = join(dir, `${kind}-${size}.ids`)
  const child = fork(fileURLToPath(new URL('./scale-target.ts', import.meta.url)), [kind, String(size), idsFile], {
    execArgv: SERVER_FLAGS,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} ${size} exited during start-up (code ${code})`)))
    child.once('message', (message) => {
      const { port } = message as { port: number }
      resolve({ label: `${kind === 'ciba' ? 'ciba-kit (Koa)' : 'control (bare Koa + Map)'}, ${size.toLocaleString('en-US')} pending`, kind, size, idsFile, child, port, runs: [] })
    })
  })
}

export async function httpScale(options: HttpScaleOptions): Promise<HttpScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ciba-scale-'))
  const lines: string[] = []
  const servers: Server[] = []
  const loadgen = fork(fileURLToPath(new URL('./scale-load.ts', import.meta.url)), [], {
    execArgv: CHILD_EXEC_ARGV,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    await new Promise<void>((resolve) => loadgen.once('message', () => resolve()))
    // The two servers of a size start together, one core each creating its requests.
    for (const size of [options.small, options.large]) {
      servers.push(...(await Promise.all([startServer('ciba', size, dir), startServer('control', size, dir)])))
    }
    let nextId = 0
    const waiting = new Map<number, (reply: ScaleLoadReply) => void>()
    loadgen.on('message', (raw) => {
      const reply = raw as ScaleLoadReply
      waiting.get(reply.id)?.(reply)
      waiting.delete(reply.id)
    })
    // A load generator that dies answers whatever it was asked with an error, not with silence.
    loadgen.once('exit', (code) => {
      for (const [id, answer] of waiting) answer({ id, error: `the load generator exited (code ${code})` })
      waiting.clear()
    })
    const measure = async (server: Server, polls: number): Promise<ScaleStats> => {
      const request: ScaleLoadRequest = {
        id: nextId++, port: server.port, idsFile: server.idsFile, authorization: basicAuth(CLIENTS.ES256),
        connections: options.connections, polls, epoch: options.epoch,
      }
      const reply = await new Promise<ScaleLoadReply>((resolve) => {
        waiting.set(request.id, resolve)
        loadgen.send(request)
      })
      if (reply.stats === undefined) throw new Error(`polling ${server.label} failed: ${reply.error ?? 'no answer'}`)
      return reply.stats
    }
    for (const server of servers) await measure(server, Math.min(options.polls, 10 * options.epoch)) // warm-up (JIT)
    for (let round = 0; round < options.rounds; round += 1) {
      const shift = round % servers.length
      for (const server of [...servers.slice(shift), ...servers.slice(0, shift)]) server.runs.push(await measure(server, options.polls))
    }
    for (const server of servers) {
      const memory = (await (await fetch(`http://127.0.0.1:${server.port}${CONTROL_PREFIX}memory`, { method: 'POST' })).json()) as { heapUsed: number }
      lines.push(`poll over HTTP, ${server.label}: ${summarize(server.runs)}; target heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`)
    }
  } finally {
    loadgen.send({ type: 'shutdown' })
    await Promise.all(servers.map((s) => stopChild(s.child)))
    rmSync(dir, { recursive: true, force: true })
  }
  const ratio = (kind: 'ciba' | 'control'): { wall: number; cpu: number } => {
    const small = servers.find((s) => s.kind === kind && s.size === options.small)!
    const large = servers.find((s) => s.kind === kind && s.size === options.large)!
    return {
      wall: median(large.runs.map((r) => r.opsPerSec)) / median(small.runs.map((r) => r.opsPerSec)),
      cpu: median(small.runs.map((r) => r.targetCpuMicrosPerOp)) / median(large.runs.map((r) => r.targetCpuMicrosPerOp)),
    }
  }
  return { ciba: ratio('ciba'), control: ratio('control'), lines }
}

function summarize(runs: readonly ScaleStats[]): string {
  const wrong = runs.reduce((a, r) => a + r.wrong, 0)
  const rates = runs.map((r) => Math.round(r.opsPerSec).toLocaleString('en-US'))
  return (
    `${Math.round(median(runs.map((r) => r.opsPerSec))).toLocaleString('en-US')} polls/s ` +
    `(median of ${runs.length}: ${rates.join(', ')}), target CPU ${median(runs.map((r) => r.targetCpuMicrosPerOp)).toFixed(1)} µs per poll, ` +
    `slowest poll ${Math.max(...runs.map((r) => r.maxOpMs)).toFixed(1)} ms${wrong > 0 ? `; ${wrong} WRONG answers` : ''}`
  )
}

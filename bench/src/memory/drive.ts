/**
 * In-process drivers for the memory/scale benchmark: call the provider's endpoint handlers
 * directly (no HTTP), in batches that yield to the event loop, timing every call.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setImmediate as yieldLoop } from 'node:timers/promises'
import type { CibaProvider } from '@ciba-kit/core'
import { BC_AUTH_BODY, CLIENTS, basicAuth } from '../config.js'
import { pollBody } from '../loadgen/scenarios.js'

const HEADERS = { authorization: basicAuth(CLIENTS.ES256), 'content-type': 'application/x-www-form-urlencoded' }
const AUTH_BODY = Buffer.from(BC_AUTH_BODY)
/** Calls between two yields to the event loop (so timers and I/O would get their turn). */
const BATCH = 64

export interface DriveStats {
  readonly ops: number
  readonly opsPerSec: number
  /** CPU time (all threads, so GC helpers too) per operation, µs: steadier than wall time on a shared machine. */
  readonly cpuMicrosPerOp: number
  /** Slowest single handler call, ms (an O(n) pause on the request path would show here). */
  readonly maxOpMs: number
  /** Longest event-loop delay seen while driving, ms. */
  readonly maxLoopDelayMs: number
  /** Responses that were not the expected status/error. */
  readonly wrong: number
}

/** Create one pending request through the backchannel authentication handler. */
export async function authenticate(provider: CibaProvider): Promise<string> {
  const res = await provider.handlers.backchannelAuthentication({ method: 'POST', path: '/backchannel-authentication', headers: HEADERS, body: AUTH_BODY })
  if (res.status !== 200 || res.body === undefined) throw new Error(`backchannel authentication failed: ${res.status} ${res.body ?? ''}`)
  return (JSON.parse(res.body) as { auth_req_id: string }).auth_req_id
}

/** Poll the token endpoint once; returns the OAuth error code (or 'tokens'). */
export async function poll(provider: CibaProvider, authReqId: string): Promise<string> {
  const res = await provider.handlers.token({ method: 'POST', path: '/token', headers: HEADERS, body: Buffer.from(pollBody(authReqId)) })
  if (res === undefined) return 'not-handled'
  if (res.status === 200) return 'tokens'
  return (JSON.parse(res.body ?? '{}') as { error?: string }).error ?? String(res.status)
}

/** Run `op(i)` `n` times; `op` resolves `true` when the answer was the expected one. */
export async function drive(n: number, op: (i: number) => Promise<boolean>): Promise<DriveStats> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  let maxOpMs = 0
  let wrong = 0
  const started = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + BATCH)
    for (; i < end; i += 1) {
      const t = performance.now()
      if (!(await op(i))) wrong += 1
      const ms = performance.now() - t
      if (ms > maxOpMs) maxOpMs = ms
    }
    await yieldLoop()
  }
  const elapsed = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  delay.disable()
  return { ops: n, opsPerSec: n / elapsed, cpuMicrosPerOp: (user + system) / n, maxOpMs, maxLoopDelayMs: delay.max / 1e6, wrong }
}

/** Heap in use after full collections (run with --expose-gc). */
export function settledHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/**
 * `auth_req_id`s kept off the JS heap (in one Buffer), so that the benchmark's own bookkeeping
 * does not count as the storage's heap bytes per pending request.
 */
export class IdArena {
  #buf: Buffer = Buffer.alloc(0)
  #width = 0
  #length = 0

  get length(): number {
    return this.#length
  }

  push(id: string): void {
    if (this.#width === 0) {
      this.#width = id.length
      this.#buf = Buffer.alloc(this.#width * 1024)
    }
    if (id.length !== this.#width) throw new Error('auth_req_id lengths differ; IdArena needs fixed-width ids')
    if ((this.#length + 1) * this.#width > this.#buf.length) {
      const next = Buffer.alloc(this.#buf.length * 2)
      this.#buf.copy(next)
      this.#buf = next
    }
    this.#buf.write(id, this.#length * this.#width, 'latin1')
    this.#length += 1
  }

  /** The ids as stored: `length` ids of one width each (see {@link IdArena.from}). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#length * this.#width)
  }

  /** The arena of {@link IdArena.bytes} output, given the width of one id. */
  static from(bytes: Buffer, width: number): IdArena {
    if (width <= 0 || bytes.length % width !== 0) throw new Error('not an IdArena of that width')
    const arena = new IdArena()
    arena.#buf = bytes
    arena.#width = width
    arena.#length = bytes.length / width
    return arena
  }

  get width(): number {
    return this.#width
  }

  get(i: number): string {
    return this.#buf.toString('latin1', i * this.#width, (i + 1) * this.#width)
  }

  /** A random permutation of 0..length-1 (off-heap too). */
  permutation(): Uint32Array {
    const order = new Uint32Array(this.#length)
    for (let i = 0; i < order.length; i += 1) order[i] = i
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1))
      const a = order[i] as number
      order[i] = order[j] as number
      order[j] = a
    }
    return order
  }
}

/** Write an arena to a file (its id width, then its ids) for another process. */
export function writeIds(file: string, ids: IdArena): void {
  const head = Buffer.alloc(2)
  head.writeUInt16LE(ids.width)
  writeFileSync(file, Buffer.concat([head, ids.bytes()]))
}

/** Read a file written by {@link writeIds}. */
export function readIds(file: string): IdArena {
  const raw = readFileSync(file)
  return IdArena.from(raw.subarray(2), raw.readUInt16LE(0))
}

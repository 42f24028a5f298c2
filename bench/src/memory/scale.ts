/**
 * Memory and scale of the in-memory storage (issue 8 point 4), in one process, no HTTP:
 *  1. heap bytes per pending request at 100,000 and 1,000,000 pending (through the real
 *     backchannel authentication handler, after full GCs);
 *  2. poll throughput with 1,000 vs 1,000,000 pending over HTTP, as a client sees it (http-scale.ts:
 *     a server process per size, a separate load-generator process, interleaved rounds, medians),
 *     with a control (a bare Koa app answering from a bare Map of as many ids); and, in-process,
 *     the handlers alone (poll and backchannel authentication) and random lookups in a bare Map,
 *     which is what this machine's caches make of a million entries before any ciba-kit code runs;
 *  3. after expiry (injected clock advanced), ordinary traffic sweeps the expired records:
 *     how many requests that takes, the slowest single request and the longest event-loop
 *     delay meanwhile, and the heap afterwards against the baseline.
 *
 *   node --expose-gc --conditions=@ciba-kit/source --import tsx src/memory/scale.ts [--quick]
 *   (pnpm --filter @ciba-kit/bench bench:memory)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createProvider, MemoryStorage, type CibaProvider } from '@ciba-kit/core'
import { POLL_INTERVAL, benchProviderBase } from '../config.js'
import { generateKeys } from '../keys.js'
import { median } from '../report.js'
import { IdArena, authenticate, drive, poll, settledHeap, type DriveStats } from './drive.js'
import { httpScale } from './http-scale.js'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false }, rounds: { type: 'string' } },
})
const SMALL = 1_000
const SIZES = args.quick ? [100_000] : [100_000, 1_000_000]
const REPEATS = 3
const POLLS = args.quick ? 10_000 : 30_000
const AUTHS = args.quick ? 5_000 : 10_000
const HTTP_POLLS = args.quick ? 20_000 : 60_000
const HTTP_ROUNDS = Number(args.rounds ?? (args.quick ? 3 : 7))
/** Polls per clock epoch over HTTP: the same at every size, so the epoch barrier costs the same. */
const HTTP_EPOCH = SMALL
const LOOKUPS = 300_000
const EXPIRY = 3600

let now = Math.floor(Date.now() / 1000)
const clock = (): number => now
const storage = new MemoryStorage({ clock })
const provider: CibaProvider = createProvider({
  ...benchProviderBase(),
  signingKeys: await generateKeys(),
  storage,
  requestedExpiry: { default: EXPIRY, max: EXPIRY },
  clock,
})
await provider.ready()

const ids = new IdArena()
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`
const out: string[] = []
const log = (line: string): void => {
  console.log(line)
  out.push(line)
}

async function grow(to: number): Promise<DriveStats> {
  const from = ids.length
  return drive(to - from, async () => {
    ids.push(await authenticate(provider))
    return true
  })
}

/**
 * `n` ids to poll: every id once in a random order, then again in another. Taken from the arena
 * before the clock starts, so that the benchmark's own random reads are not billed to the storage
 * (a server's `auth_req_id` arrives in the request it has just parsed).
 */
function pollOrder(n: number): string[] {
  const out: string[] = []
  let order = ids.permutation()
  for (let i = 0; i < n; i += 1) {
    if (i > 0 && i % order.length === 0) order = ids.permutation()
    out.push(ids.get(order[i % order.length] as number))
  }
  return out
}

/** Poll distinct pending ids in random order; when all were polled, let `interval` pass. */
async function pollThroughput(): Promise<DriveStats[]> {
  const runs: DriveStats[] = []
  for (let r = 0; r < REPEATS; r += 1) {
    const batch = pollOrder(POLLS)
    now += POLL_INTERVAL
    runs.push(
      await drive(POLLS, async (i) => {
        if (i > 0 && i % ids.length === 0) now += POLL_INTERVAL
        return (await poll(provider, batch[i] as string)) === 'authorization_pending'
      }),
    )
  }
  return runs
}

/**
 * Control: the same ids in a bare `Map` (one small object each, no ciba-kit code), looked up at
 * random (ns per lookup): what the 1,000,000-entry figures lose against the 1,000-entry ones here
 * is this machine's cache and TLB misses, a floor under any in-memory store's slowdown.
 */
function controlLookupNs(): number {
  const control = new Map<string, { status: string; expiresAt: number }>()
  for (let i = 0; i < ids.length; i += 1) control.set(ids.get(i), { status: 'pending', expiresAt: i })
  const keys = pollOrder(LOOKUPS)
  const lookup = (n: number): number => {
    let sink = 0
    for (let i = 0; i < n; i += 1) sink += control.get(keys[i] as string)?.expiresAt ?? 0
    return sink
  }
  lookup(10_000) // warm-up
  const started = process.hrtime.bigint()
  if (lookup(LOOKUPS) < 0) throw new Error('unreachable')
  return Number(process.hrtime.bigint() - started) / LOOKUPS
}

async function authThroughput(): Promise<DriveStats[]> {
  const runs: DriveStats[] = []
  for (let r = 0; r < REPEATS; r += 1) runs.push(await drive(AUTHS, async () => (await authenticate(provider)).length > 0))
  return runs
}

function summary(runs: readonly DriveStats[]): string {
  const wrong = runs.reduce((a, r) => a + r.wrong, 0)
  const ops = Math.round(median(runs.map((r) => r.opsPerSec))).toLocaleString('en-US')
  const cpu = median(runs.map((r) => r.cpuMicrosPerOp)).toFixed(1)
  return `${ops} ops/s, ${cpu} µs CPU per op (medians of ${runs.length}; slowest call ${Math.max(...runs.map((r) => r.maxOpMs)).toFixed(1)} ms${wrong > 0 ? `; ${wrong} WRONG answers` : ''})`
}

// ---- over HTTP: 1,000 vs the largest size, each in a process of its own -------------------------
const largestSize = SIZES[SIZES.length - 1] as number
const overHttp = await httpScale({ small: SMALL, large: largestSize, rounds: HTTP_ROUNDS, polls: HTTP_POLLS, connections: 16, epoch: HTTP_EPOCH })
for (const line of overHttp.lines) log(line)
log(
  `poll over HTTP at ${largestSize.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} pending (medians of ${HTTP_ROUNDS} interleaved rounds; wall clock, and from the target's CPU per poll): ` +
    `ciba-kit ${overHttp.ciba.wall.toFixed(2)}× (${overHttp.ciba.cpu.toFixed(2)}×), ` +
    `control ${overHttp.control.wall.toFixed(2)}× (${overHttp.control.cpu.toFixed(2)}×)`,
)

// ---- in-process: warm-up and baseline --------------------------------------------------------
await grow(SMALL)
await pollThroughput() // warm-up (JIT)
controlLookupNs()
const baseline = settledHeap()
log(`baseline heap (provider + ${SMALL.toLocaleString('en-US')} pending): ${mib(baseline)}`)

// ---- in-process: the handlers alone at 1,000 pending -------------------------------------------
const pollSmall = await pollThroughput()
log(`poll, handler alone, ${SMALL.toLocaleString('en-US')} pending: ${summary(pollSmall)}`)
const lookupSmall = controlLookupNs()
const authSmall = await authThroughput()
log(`backchannel authentication, handler alone, ~${SMALL.toLocaleString('en-US')} pending: ${summary(authSmall)}`)

// ---- growth: heap per pending request ----------------------------------------------------------
for (const size of SIZES) {
  const before = settledHeap()
  const count = ids.length
  const growth = await grow(size)
  const after = settledHeap()
  const perRecord = (after - before) / (size - count)
  log(`${size.toLocaleString('en-US')} pending: heap ${mib(after)}, ${perRecord.toFixed(0)} bytes per pending request; creation ${Math.round(growth.opsPerSec).toLocaleString('en-US')} ops/s, slowest call ${growth.maxOpMs.toFixed(1)} ms, longest event-loop delay ${growth.maxLoopDelayMs.toFixed(1)} ms`)
}
const largest = ids.length
const pollLarge = await pollThroughput()
log(`poll, handler alone, ${largest.toLocaleString('en-US')} pending: ${summary(pollLarge)}`)
const lookupLarge = controlLookupNs()
const authLarge = await authThroughput()
log(`backchannel authentication, handler alone, ~${largest.toLocaleString('en-US')} pending: ${summary(authLarge)}`)
const wallRatio = (a: DriveStats[], b: DriveStats[]): string => (median(a.map((r) => r.opsPerSec)) / median(b.map((r) => r.opsPerSec))).toFixed(2)
const cpuRatio = (a: DriveStats[], b: DriveStats[]): string => (median(b.map((r) => r.cpuMicrosPerOp)) / median(a.map((r) => r.cpuMicrosPerOp))).toFixed(2)
const pollExtraNs = (median(pollLarge.map((r) => r.cpuMicrosPerOp)) - median(pollSmall.map((r) => r.cpuMicrosPerOp))) * 1000
log(
  `handlers alone at ${largest.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} pending (wall clock; from CPU time per op): ` +
    `poll ${wallRatio(pollLarge, pollSmall)}× (${cpuRatio(pollLarge, pollSmall)}×, +${pollExtraNs.toFixed(0)} ns per poll), backchannel authentication ${wallRatio(authLarge, authSmall)}× (${cpuRatio(authLarge, authSmall)}×); ` +
    `a random lookup in a bare Map of the same ids takes ${lookupSmall.toFixed(0)} ns at ${SMALL.toLocaleString('en-US')} entries and ${lookupLarge.toFixed(0)} ns at ${largest.toLocaleString('en-US')} ` +
    `(+${(lookupLarge - lookupSmall).toFixed(0)} ns of cache and TLB misses)`,
)

// ---- expiry: traffic sweeps, heap returns to baseline -------------------------------------------
const peak = settledHeap()
const stored = storage.size.authRequests
now += EXPIRY + 3600 // past every expiresAt + expiredRetention (default 600 s)
// Clients still polling their (now expired) requests: each request sweeps a bounded batch.
const stale = ids.permutation()
let sweepOps = 0
const sweepRuns: DriveStats[] = []
while (storage.size.authRequests > 0 && sweepOps < 4 * stored) {
  const base = sweepOps
  sweepRuns.push(
    await drive(10_000, async (i) => {
      const answer = await poll(provider, ids.get(stale[(base + i) % stale.length] as number))
      return answer === 'invalid_grant' || answer === 'expired_token'
    }),
  )
  sweepOps += 10_000
}
const afterExpiry = settledHeap()
const left = storage.size
log(`after expiry: ${stored.toLocaleString('en-US')} stored requests swept by ${sweepOps.toLocaleString('en-US')} polls of expired ids (${storage.size.authRequests} left); slowest call ${Math.max(...sweepRuns.map((r) => r.maxOpMs)).toFixed(1)} ms, longest event-loop delay ${Math.max(...sweepRuns.map((r) => r.maxLoopDelayMs)).toFixed(1)} ms, ${summary(sweepRuns)}`)
log(`heap: baseline ${mib(baseline)}, peak ${mib(peak)}, after expiry and sweep ${mib(afterExpiry)} (${((afterExpiry / baseline) * 100).toFixed(0)}% of baseline; storage then holds ${JSON.stringify(left)})`)
log(`node ${process.version}; sizes ${SIZES.join(', ')}; in-process ${REPEATS} repeats of ${POLLS} polls / ${AUTHS} authentications; over HTTP ${HTTP_ROUNDS} rounds of ${HTTP_POLLS} polls per target, 16 connections`)

if (!args['no-write']) {
  const dir = fileURLToPath(new URL('../../results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}memory.md`, `# ciba-kit in-memory storage: memory and scale\n\nGenerated by \`pnpm --filter @ciba-kit/bench bench:memory\` (${new Date().toISOString()}).\n\n${out.map((l) => `- ${l}`).join('\n')}\n`)
}
await provider.close()

/**
 * Memory and scale of the in-memory storage (issue 8 point 4), in one process, no HTTP:
 *  1. heap bytes per pending request at 100,000 and 1,000,000 pending (through the real
 *     backchannel authentication handler, after full GCs);
 *  2. poll and backchannel-authentication throughput with 1,000 vs 1,000,000 pending: in-process
 *     (the handlers alone) and over HTTP (Koa adapter on 127.0.0.1, as a client sees it), plus a
 *     control: the same random lookups in a bare JS Map, which is what this machine's caches
 *     make of a million entries before any ciba-kit code runs;
 *  3. after expiry (injected clock advanced), ordinary traffic sweeps the expired records:
 *     how many requests that takes, the slowest single request and the longest event-loop
 *     delay meanwhile, and the heap afterwards against the baseline.
 *
 *   node --expose-gc --conditions=@ciba-kit/source --import tsx src/memory/scale.ts [--quick]
 *   (pnpm --filter @ciba-kit/bench bench:memory)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Koa from 'koa'
import { createProvider, MemoryStorage, type CibaProvider } from '@ciba-kit/core'
import { cibaKoa } from '@ciba-kit/koa'
import { CLIENTS, POLL_INTERVAL, basicAuth, benchProviderBase } from '../config.js'
import { generateKeys } from '../keys.js'
import { median } from '../report.js'
import { IdArena, authenticate, drive, poll, settledHeap, type DriveStats } from './drive.js'
import { pollOverHttp } from './http-drive.js'

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } })
const SMALL = 1_000
const SIZES = args.quick ? [100_000] : [100_000, 1_000_000]
const REPEATS = 3
const POLLS = args.quick ? 10_000 : 30_000
const AUTHS = args.quick ? 5_000 : 10_000
const HTTP_POLLS = args.quick ? 20_000 : 40_000
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
const app = new Koa()
app.use(cibaKoa(provider))
const server = app.listen(0, '127.0.0.1')
server.keepAliveTimeout = 60_000
await once(server, 'listening')
const { port } = server.address() as AddressInfo

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

/** Poll distinct pending ids in random order; when all were polled, let `interval` pass. */
async function pollThroughput(): Promise<DriveStats[]> {
  const runs: DriveStats[] = []
  for (let r = 0; r < REPEATS; r += 1) {
    let order = ids.permutation()
    let at = 0
    now += POLL_INTERVAL
    runs.push(
      await drive(POLLS, async () => {
        if (at === order.length) {
          order = ids.permutation()
          at = 0
          now += POLL_INTERVAL
        }
        return (await poll(provider, ids.get(order[at++] as number))) === 'authorization_pending'
      }),
    )
  }
  return runs
}

/**
 * Polls of distinct ids over HTTP to the server on `toPort`, in epochs (see http-drive.ts);
 * `nextEpoch` runs before each repeat and between epochs, with nothing in flight.
 */
async function pollsOverHttp(toPort: number, nextEpoch: () => void): Promise<DriveStats[]> {
  const runs: DriveStats[] = []
  for (let r = 0; r < REPEATS; r += 1) {
    let order = ids.permutation()
    nextEpoch()
    runs.push(
      await pollOverHttp({
        port: toPort,
        authorization: basicAuth(CLIENTS.ES256),
        connections: 16,
        polls: HTTP_POLLS,
        epoch: Math.min(HTTP_EPOCH, ids.length),
        id: (i) => {
          const at = i % order.length
          if (i > 0 && at === 0) order = ids.permutation()
          return ids.get(order[at] as number)
        },
        nextEpoch,
      }),
    )
  }
  return runs
}

/** The polls through ciba-kit's Koa adapter; the clock moves on by `interval` between epochs. */
const httpPollThroughput = (): Promise<DriveStats[]> =>
  pollsOverHttp(port, () => {
    now += POLL_INTERVAL
  })

/**
 * Control: the same ids in a bare `Map` (one small object each, no ciba-kit code), looked up at
 * random in-process (ns per lookup) and served by a bare Koa app over HTTP exactly like the polls
 * above. What the 1,000,000-entry figures lose against the 1,000-entry ones is this machine's cache
 * and TLB misses: a floor under any in-memory store's slowdown.
 */
const control = new Map<string, { status: string; expiresAt: number }>()
const controlApp = new Koa()
controlApp.use(async (ctx) => {
  let raw = ''
  ctx.req.setEncoding('utf8')
  for await (const chunk of ctx.req) raw += chunk as string
  const entry = control.get(new URLSearchParams(raw).get('auth_req_id') ?? '')
  ctx.status = 400
  ctx.set('cache-control', 'no-store')
  ctx.body = { error: entry === undefined ? 'invalid_grant' : 'authorization_pending' }
})
const controlServer = controlApp.listen(0, '127.0.0.1')
controlServer.keepAliveTimeout = 60_000
await once(controlServer, 'listening')
const controlPort = (controlServer.address() as AddressInfo).port

async function controlFigures(): Promise<{ lookupNs: number; http: DriveStats[] }> {
  for (let i = control.size; i < ids.length; i += 1) control.set(ids.get(i), { status: 'pending', expiresAt: i })
  const order = ids.permutation()
  let sink = 0
  const started = process.hrtime.bigint()
  for (let i = 0; i < LOOKUPS; i += 1) sink += control.get(ids.get(order[i % order.length] as number))?.expiresAt ?? 0
  const lookupNs = Number(process.hrtime.bigint() - started) / LOOKUPS
  if (sink < 0) throw new Error('unreachable')
  // The bare app keeps no poll times: no clock to move on.
  const http = await pollsOverHttp(controlPort, () => {})
  return { lookupNs, http }
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

// ---- warm-up and baseline -------------------------------------------------------------------
await grow(SMALL)
// Warm-up (JIT, and the HTTP server's own buffers and compiled code, before the baseline).
await pollThroughput()
await httpPollThroughput()
await controlFigures()
const baseline = settledHeap()
log(`baseline heap (provider + ${SMALL.toLocaleString('en-US')} pending): ${mib(baseline)}`)

// ---- throughput at 1,000 pending --------------------------------------------------------------
const pollSmall = await pollThroughput()
log(`poll, ${SMALL.toLocaleString('en-US')} pending: ${summary(pollSmall)}`)
const httpSmall = await httpPollThroughput()
log(`poll over HTTP (Koa, 16 connections), ${SMALL.toLocaleString('en-US')} pending: ${summary(httpSmall)}`)
const controlSmall = await controlFigures()
const authSmall = await authThroughput()
log(`backchannel authentication, ~${SMALL.toLocaleString('en-US')} pending: ${summary(authSmall)}`)

// ---- growth: heap per pending request ----------------------------------------------------------
let pollLarge: DriveStats[] = []
let authLarge: DriveStats[] = []
for (const size of SIZES) {
  const before = settledHeap()
  const count = ids.length
  const growth = await grow(size)
  const after = settledHeap()
  const perRecord = (after - before) / (size - count)
  log(`${size.toLocaleString('en-US')} pending: heap ${mib(after)}, ${perRecord.toFixed(0)} bytes per pending request; creation ${Math.round(growth.opsPerSec).toLocaleString('en-US')} ops/s, slowest call ${growth.maxOpMs.toFixed(1)} ms, longest event-loop delay ${growth.maxLoopDelayMs.toFixed(1)} ms`)
}
const largest = ids.length
pollLarge = await pollThroughput()
log(`poll, ${largest.toLocaleString('en-US')} pending: ${summary(pollLarge)}`)
const httpLarge = await httpPollThroughput()
log(`poll over HTTP (Koa, 16 connections), ${largest.toLocaleString('en-US')} pending: ${summary(httpLarge)}`)
const controlLarge = await controlFigures()
control.clear() // before the heap is measured again
authLarge = await authThroughput()
log(`backchannel authentication, ~${largest.toLocaleString('en-US')} pending: ${summary(authLarge)}`)
const wallRatio = (a: DriveStats[], b: DriveStats[]): string => (median(a.map((r) => r.opsPerSec)) / median(b.map((r) => r.opsPerSec))).toFixed(2)
const cpuRatio = (a: DriveStats[], b: DriveStats[]): string => (median(b.map((r) => r.cpuMicrosPerOp)) / median(a.map((r) => r.cpuMicrosPerOp))).toFixed(2)
log(
  `throughput at ${largest.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} pending (wall clock; from CPU time per op): ` +
    `poll over HTTP ${wallRatio(httpLarge, httpSmall)}× (${cpuRatio(httpLarge, httpSmall)}×); in-process poll ${wallRatio(pollLarge, pollSmall)}× (${cpuRatio(pollLarge, pollSmall)}×), backchannel authentication ${wallRatio(authLarge, authSmall)}× (${cpuRatio(authLarge, authSmall)}×)`,
)
const pollExtraNs = (median(pollLarge.map((r) => r.cpuMicrosPerOp)) - median(pollSmall.map((r) => r.cpuMicrosPerOp))) * 1000
log(
  `control, the same ids in a bare Map: a random lookup takes ${controlSmall.lookupNs.toFixed(0)} ns at ${SMALL.toLocaleString('en-US')} entries and ${controlLarge.lookupNs.toFixed(0)} ns at ${largest.toLocaleString('en-US')} ` +
    `(+${(controlLarge.lookupNs - controlSmall.lookupNs).toFixed(0)} ns of cache and TLB misses; an in-process poll costs +${pollExtraNs.toFixed(0)} ns); ` +
    `a bare Koa app answering from that Map over HTTP keeps ${wallRatio(controlLarge.http, controlSmall.http)}× (${cpuRatio(controlLarge.http, controlSmall.http)}×) of its throughput at ${largest.toLocaleString('en-US')} ` +
    `(${summary(controlLarge.http)} vs ${summary(controlSmall.http)})`,
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
log(`node ${process.version}; sizes ${SIZES.join(', ')}; ${REPEATS} repeats of ${POLLS} polls / ${AUTHS} authentications`)

if (!args['no-write']) {
  const dir = fileURLToPath(new URL('../../results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}memory.md`, `# ciba-kit in-memory storage: memory and scale\n\nGenerated by \`pnpm --filter @ciba-kit/bench bench:memory\` (${new Date().toISOString()}).\n\n${out.map((l) => `- ${l}`).join('\n')}\n`)
}
server.close()
controlServer.close()
await provider.close()

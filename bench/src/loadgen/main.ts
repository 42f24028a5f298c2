/**
 * The load generator: a process of its own (so it never shares an event loop with a target),
 * driven by the orchestrator over IPC. Per cell: make sure the seeded pools exist, run the
 * keep-alive client of http-load.ts bounded in time and requests, then verify the sampled ID tokens against the
 * target's JWKS and an access token against its userinfo endpoint.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { CONTROL_PREFIX, ISSUER, POLL_INTERVAL, USER } from '../config.js'
import type { CellResult, CellSpec, LoadgenReply, LoadgenRequest } from '../types.js'
import { runLoad } from './http-load.js'
import { probeRoundTrips } from './probe.js'
import { planFor, type Plan } from './scenarios.js'
import { Tally, percentile } from './tally.js'

interface Pool {
  ids: string[]
  /** performance.now() when its ids were last created or polled (the next poll must wait `interval`). */
  touchedAt: number
}
const pools = new Map<string, Pool>()
const jwksCache = new Map<string, ReturnType<typeof createLocalJWKSet>>()

async function seed(cell: CellSpec, key: string, size: number, spaced: boolean): Promise<string[]> {
  const pool = pools.get(key) ?? { ids: [], touchedAt: 0 }
  pools.set(key, pool)
  while (pool.ids.length < size) {
    const n = Math.min(20_000, size - pool.ids.length)
    const res = await fetch(`${cell.url}${CONTROL_PREFIX}seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `n=${n}&client_id=bench-es256`,
    })
    if (!res.ok) throw new Error(`seeding ${cell.target} failed: HTTP ${res.status}`)
    pool.ids.push(...((await res.json()) as { ids: string[] }).ids)
    pool.touchedAt = performance.now()
  }
  // Polling an id again sooner than `interval` is answered slow_down: wait it out.
  const wait = pool.touchedAt + (POLL_INTERVAL + 0.5) * 1000 - performance.now()
  if (spaced && wait > 0) await sleep(wait)
  return pool.ids.slice(0, size)
}

async function control(url: string, op: string, file: string): Promise<void> {
  const res = await fetch(`${url}${CONTROL_PREFIX}${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `file=${encodeURIComponent(file)}`,
  })
  if (!res.ok) throw new Error(`${op}: HTTP ${res.status}`)
}

/** CPU µs (user + system) the target process has used so far. */
async function cpuOf(url: string): Promise<number> {
  const res = await fetch(`${url}${CONTROL_PREFIX}cpu`, { method: 'POST' })
  const { user, system } = (await res.json()) as { user: number; system: number }
  return user + system
}

async function jwksFor(url: string): Promise<ReturnType<typeof createLocalJWKSet>> {
  let jwks = jwksCache.get(url)
  if (jwks === undefined) {
    const res = await fetch(`${url}/jwks`)
    jwks = createLocalJWKSet((await res.json()) as JSONWebKeySet)
    jwksCache.set(url, jwks)
  }
  return jwks
}

async function verifySamples(cell: CellSpec, plan: Plan, tally: Tally): Promise<void> {
  if (!plan.flow) return
  if (plan.samples.length === 0) return tally.problem('no token response to verify')
  const jwks = await jwksFor(cell.url)
  for (const { idToken } of plan.samples) {
    try {
      const { payload, protectedHeader } = await jwtVerify(idToken, jwks, {
        issuer: ISSUER,
        audience: plan.client.id,
        algorithms: [plan.client.alg],
      })
      if (payload.sub !== USER || protectedHeader.alg !== plan.client.alg) tally.problem('ID token has wrong sub/alg')
      tally.checked += 1
    } catch (err) {
      tally.problem(`ID token does not verify: ${(err as Error).message}`)
    }
  }
  const sample = plan.samples[plan.samples.length - 1]
  const res = await fetch(`${cell.url}/userinfo`, { headers: { authorization: `Bearer ${sample?.accessToken ?? ''}` } })
  const body = (await res.json()) as { sub?: string }
  if (res.status !== 200 || body.sub !== USER) tally.problem(`userinfo with an issued access token: HTTP ${res.status}`)
  tally.checked += 1
}

async function runCell(cell: CellSpec): Promise<CellResult> {
  const tally = new Tally()
  let pool: string[] = []
  if (cell.scenario === 'poll') pool = await seed(cell, `${cell.target}:poll`, cell.maxRequests, true)
  if (cell.scenario === 'slow-down') pool = await seed(cell, `${cell.target}:slow`, cell.connections, false)
  const plan = planFor(cell, tally, pool)
  const { hostname, port } = new URL(cell.url)
  if (cell.profileFile !== undefined) await control(cell.url, 'profile-start', cell.profileFile)
  const cpuBefore = await cpuOf(cell.url)
  const ownBefore = process.cpuUsage()
  const outcome = await runLoad(
    {
      host: hostname,
      port: Number(port),
      connections: cell.connections,
      durationSec: cell.durationSec,
      maxRequests: cell.maxRequests * (plan.flow ? 3 : 1),
    },
    plan.script,
  )
  const started = outcome.startedAt
  const own = process.cpuUsage(ownBefore)
  const cpuSpent = (await cpuOf(cell.url)) - cpuBefore
  if (cell.profileFile !== undefined) await control(cell.url, 'profile-stop', cell.profileFile)
  const used = pools.get(`${cell.target}:${cell.scenario === 'poll' ? 'poll' : 'slow'}`)
  if (used !== undefined) used.touchedAt = outcome.endedAt
  if (outcome.errors.length > 0) tally.problem(`connection errors: ${outcome.errors.join('; ')}`)
  tally.rejectUnexpected(plan.allowed)
  if (cell.scenario === 'slow-down' && cell.kind === 'ciba') {
    const slow = tally.counts.get('400 slow_down') ?? 0
    // Only the first poll of each id (one per connection's id) may be authorization_pending.
    if (slow < tally.successes - 2 * cell.connections) tally.problem(`only ${slow} of ${tally.successes} polls answered slow_down`)
  }
  await verifySamples(cell, plan, tally)
  const elapsedSec = Math.max(1e-3, (tally.lastAt - started) / 1000)
  const sorted = tally.latencies.sorted()
  return {
    target: cell.target,
    scenario: cell.scenario,
    group: cell.group,
    rate: tally.successes / elapsedSec,
    unit: plan.unit,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    units: tally.successes,
    elapsedSec,
    cpuMicros: tally.successes > 0 ? cpuSpent / tally.successes : Number.NaN,
    loadgenCpuMicros: tally.successes > 0 ? (own.user + own.system) / tally.successes : Number.NaN,
    counts: Object.fromEntries(tally.counts),
    problems: tally.problems,
    checked: tally.checked,
  }
}

function reply(message: LoadgenReply): void {
  process.send?.(message)
}

process.on('message', (raw) => {
  const message = raw as LoadgenRequest
  if (message.type === 'shutdown') process.exit(0)
  if (message.type === 'prepare') {
    const { cell } = message
    Promise.all([
      seed(cell, `${cell.target}:poll`, cell.maxRequests, false),
      seed(cell, `${cell.target}:slow`, cell.connections, false),
    ]).then(
      () => reply({ type: 'prepared', id: message.id }),
      (err: unknown) => reply({ type: 'error', id: message.id, message: (err as Error).stack ?? String(err) }),
    )
    return
  }
  if (message.type === 'probe') {
    probeRoundTrips(message.url).then(
      (roundTrips) => reply({ type: 'probe', id: message.id, roundTrips }),
      (err: unknown) => reply({ type: 'error', id: message.id, message: (err as Error).stack ?? String(err) }),
    )
    return
  }
  runCell(message.cell).then(
    (result) => reply({ type: 'result', id: message.id, result }),
    (err: unknown) => reply({ type: 'error', id: message.id, message: (err as Error).stack ?? String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready' })

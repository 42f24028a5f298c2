/**
 * `pnpm bench`: starts every target in its own process on 127.0.0.1 and a separate load
 * generator process, then runs every scenario against every target, interleaved, for a warm-up
 * round plus N measured rounds, and reports medians and ratios (printed and written to
 * bench/results/latest.md).
 *
 *   --quick               ~1-2 minutes: 0.5 s cells, no Redis target (default: 4 s cells, ~8 minutes)
 *   --rounds=N            measured rounds (default 5)
 *   --duration=S          seconds per cell
 *   --connections=N       concurrent connections (default 32)
 *   --targets=a,b         subset of targets (default: all available)
 *   --scenarios=a,b       subset of scenarios
 *   --profile=TARGET[:SCENARIO]  CPU-profile that target during its measured cells (of that
 *                         scenario) into bench/results/profiles/ (see src/profile-summary.ts)
 *   --source              run the ciba-kit packages from TypeScript sources (default: build
 *                         them with `tsc -b` and run their dist/, as an integrator would)
 *   --no-write            do not write bench/results/latest.{md,json}
 *   --pin                 pin every target to one core and the load generator to the other
 *                         (see src/pinning.ts): steadier figures, but each target then has a
 *                         single core for its GC helpers and thread pool too
 */
import { fork } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeys } from './keys.js'
import { renderMarkdown, type RunData } from './report.js'
import { CHILD_EXEC_ARGV, TARGETS, startTarget, stopChild, type RunningTarget, type TargetDef } from './targets.js'
import type { CellResult, CellSpec, LoadgenReply, LoadgenRequest, ScenarioId } from './types.js'
import { availableTargets } from './availability.js'
import { describePinning, pin, planPinning } from './pinning.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    targets: { type: 'string' },
    scenarios: { type: 'string' },
    profile: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
  },
})

const ORDER: readonly ScenarioId[] = ['ceiling', 'bc-auth', 'poll', 'slow-down', 'flow-es256', 'flow-rs256']
const rounds = Number(args.rounds ?? 5)
const duration = Number(args.duration ?? (args.quick ? 0.5 : 4))
const pause = args.quick ? 100 : 250
const connections = Number(args.connections ?? 32)
const scenarios = ORDER.filter((s) => args.scenarios === undefined || args.scenarios.split(',').includes(s))
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url))

let defs: TargetDef[] = await availableTargets(TARGETS)
if (args.targets !== undefined) {
  const wanted = args.targets.split(',')
  defs = defs.filter((d) => wanted.includes(d.name))
} else if (args.quick) {
  defs = defs.filter((d) => d.storage !== 'redis') // --quick: in-memory only, unless asked
}

if (!args.source) {
  // The targets run the packages' dist/: bring it up to date (incremental, quick when unchanged).
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
  const tsc = createRequire(`${repoRoot}package.json`).resolve('typescript/bin/tsc')
  console.log('building packages (tsc -b) ...')
  execFileSync(process.execPath, [tsc, '-b'], { cwd: repoRoot, stdio: 'inherit' })
}
const keys = await generateKeys()
const loadAvgBefore = loadavg().map((n) => n.toFixed(2)).join(' ')

// ---- processes ------------------------------------------------------------------------------
const running: RunningTarget[] = []
for (const def of defs) {
  running.push(await startTarget(def, keys, args.source))
}
const pinning = planPinning(args.pin)
const loadgen = fork(fileURLToPath(new URL('./loadgen/main.ts', import.meta.url)), [], {
  execArgv: CHILD_EXEC_ARGV,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
await new Promise<void>((resolve) => loadgen.once('message', () => resolve()))
if (typeof pinning !== 'string') {
  for (const target of running) pin(target.child.pid!, pinning.targetCpu)
  pin(loadgen.pid!, pinning.otherCpus)
  pin(process.pid, pinning.otherCpus)
}

let nextId = 0
const pending = new Map<number, { resolve(r: LoadgenReply): void; reject(e: Error): void }>()
loadgen.on('message', (raw) => {
  const m = raw as LoadgenReply
  if (m.type === 'ready') return
  const waiter = pending.get(m.id)
  pending.delete(m.id)
  if (m.type === 'error') waiter?.reject(new Error(m.message))
  else waiter?.resolve(m)
})
function ask(message: LoadgenRequest & { readonly id: number }): Promise<LoadgenReply> {
  return new Promise((resolve, reject) => {
    pending.set(message.id, { resolve, reject })
    loadgen.send(message)
  })
}
async function measure(cell: CellSpec): Promise<CellResult> {
  const reply = await ask({ type: 'run', id: nextId++, cell })
  if (reply.type !== 'result') throw new Error('unexpected reply')
  return reply.result
}

// ---- rounds ---------------------------------------------------------------------------------
/** Per target: the poll pool size (requests cap of a poll cell), sized from the warm-up rate. */
const pollPool = new Map<string, number>()
const measured: CellResult[][] = []
const started = Date.now()
const DEFAULT_POOL = 20_000
if (scenarios.includes('poll') || scenarios.includes('slow-down')) {
  await Promise.all(
    running
      .filter((t) => t.def.scenarios.includes('poll'))
      .map((t) => ask({ type: 'prepare', id: nextId++, cell: { target: t.def.name, kind: t.def.kind, scenario: 'poll', group: 'poll', url: t.url, durationSec: 0, connections, maxRequests: DEFAULT_POOL } })),
  )
}

/**
 * A round is a sequence of groups; the cells of a group run back-to-back (in an order rotated
 * every round), so that a ciba-kit cell and the framework ceiling it is compared with are
 * measured within seconds of each other.
 */
function groupsFor(): { group: ScenarioId; cells: { target: RunningTarget; scenario: ScenarioId }[] }[] {
  const groups = []
  for (const scenario of scenarios.filter((s) => s !== 'ceiling')) {
    const cells: { target: RunningTarget; scenario: ScenarioId }[] = running
      .filter((t) => t.def.scenarios.includes(scenario))
      .map((target) => ({ target, scenario }))
    if ((scenario === 'bc-auth' || scenario === 'poll') && scenarios.includes('ceiling')) {
      const ceilings = running.filter((t) => t.def.kind === 'bare').map((target) => ({ target, scenario: 'ceiling' as const }))
      cells.unshift(...ceilings)
    }
    groups.push({ group: scenario, cells })
  }
  if (groups.length === 0 && scenarios.includes('ceiling')) {
    groups.push({ group: 'poll' as const, cells: running.filter((t) => t.def.kind === 'bare').map((target) => ({ target, scenario: 'ceiling' as const })) })
  }
  return groups
}

for (let round = -1; round < rounds; round += 1) {
  const warmup = round < 0
  const cellSec = warmup ? Math.min(duration, Math.max(0.5, duration / 2)) : duration
  const results: CellResult[] = []
  console.log(warmup ? '\n== warm-up round' : `\n== round ${round + 1}/${rounds}`)
  for (const { group, cells } of groupsFor()) {
    const shift = cells.length === 0 ? 0 : (round + 1) % cells.length
    for (const { target: t, scenario } of [...cells.slice(shift), ...cells.slice(0, shift)]) {
      const maxRequests = scenario === 'poll' ? (pollPool.get(t.def.name) ?? DEFAULT_POOL) : 5_000_000
      const [profTarget, profScenario] = (args.profile ?? '').split(':')
      const profiled = !warmup && profTarget === t.def.name && (profScenario === undefined || profScenario === scenario)
      if (profiled) mkdirSync(`${resultsDir}profiles`, { recursive: true })
      const cell: CellSpec = {
        target: t.def.name, kind: t.def.kind, scenario, group, url: t.url, durationSec: cellSec, connections, maxRequests,
        ...(profiled ? { profileFile: `${resultsDir}profiles/${t.def.name}.${scenario}.r${round + 1}.cpuprofile` } : {}),
      }
      const r = await measure(cell)
      if (scenario === 'poll' && warmup) {
        pollPool.set(t.def.name, Math.min(300_000, Math.max(DEFAULT_POOL, Math.ceil(r.rate * duration * 1.6))))
      }
      results.push(r)
      const flag = r.problems.length > 0 ? `  INVALID: ${r.problems.join('; ')}` : ''
      const p = `p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} ms  cpu ${Math.round(r.cpuMicros)} µs (load generator ${Math.round(r.loadgenCpuMicros)} µs)`
      console.log(`  ${scenario.padEnd(10)} ${t.def.name.padEnd(18)} ${Math.round(r.rate).toString().padStart(7)} ${r.unit}  ${p}${flag}`)
      await sleep(pause)
    }
  }
  if (!warmup) measured.push(results)
}

// ---- report ---------------------------------------------------------------------------------
const roundTrips: Record<string, Readonly<Record<string, number>>> = {}
for (const t of running.filter((r) => r.def.storage === 'redis')) {
  const reply = await ask({ type: 'probe', id: nextId++, url: t.url })
  if (reply.type === 'probe') roundTrips[t.def.name] = reply.roundTrips
}
const memory: string[] = []
for (const t of running) {
  const m = (await (await fetch(`${t.url}/__bench/memory`, { method: 'POST' })).json()) as { rss: number; heapUsed: number }
  memory.push(`${t.def.name} rss ${(m.rss / 2 ** 20).toFixed(0)} MiB heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`)
}
loadgen.send({ type: 'shutdown' })
await Promise.all(running.map((t) => stopChild(t.child)))

let commit = 'unknown'
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
} catch {}
const data: RunData = {
  rounds: measured,
  targets: defs,
  roundTrips,
  meta: {
    date: new Date().toISOString(),
    commit,
    node: process.version,
    cpu: `${cpus()[0]?.model ?? '?'} × ${cpus().length}`,
    'load average before / after': `${loadAvgBefore} / ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    settings: `${rounds} rounds + warm-up, ${duration} s per cell, ${connections} connections, pipelining 1${args.quick ? ' (--quick)' : ''}; ciba-kit from ${args.source ? 'TypeScript sources (tsx)' : 'built dist/'}; ${describePinning(pinning)}`,
    'poll pool (distinct pending ids per poll cell)': [...pollPool].map(([k, v]) => `${k} ${v}`).join(', '),
    'target memory at end': memory.join('; '),
    'wall time': `${((Date.now() - started) / 1000).toFixed(0)} s`,
  },
}
const md = renderMarkdown(data)
console.log(`\n${md}`)
if (!args['no-write']) {
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(`${resultsDir}latest.md`, `# ciba-kit benchmark results\n\nGenerated by \`pnpm bench\`; see bench/README.md for how to read it.\n\n${md}\n`)
  writeFileSync(`${resultsDir}latest.json`, JSON.stringify(data, null, 2))
  console.log(`\nwritten: ${resultsDir}latest.md`)
}

/** The servers a run measures, and how the orchestrator starts each in its own process. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { KEYS_ENV, STORAGE_ENV, type BenchJwk } from './config.js'
import type { ScenarioId, TargetKind } from './types.js'

export interface TargetDef {
  readonly name: string
  readonly kind: TargetKind
  /** Entry file under src/targets/. */
  readonly entry: string
  /** Which bare app is this target's framework ceiling. */
  readonly ceiling?: string
  readonly scenarios: readonly ScenarioId[]
  /** ciba-kit targets: the storage backend (default memory). */
  readonly storage?: 'memory' | 'redis'
  /** For a Redis target: the in-memory target it is compared with. */
  readonly memoryTwin?: string
}

const CIBA_SCENARIOS: readonly ScenarioId[] = ['bc-auth', 'poll', 'slow-down', 'flow-es256', 'flow-rs256']

export const TARGETS: readonly TargetDef[] = [
  { name: 'bare-express', kind: 'bare', entry: 'bare-express.ts', scenarios: ['ceiling'] },
  { name: 'bare-koa', kind: 'bare', entry: 'bare-koa.ts', scenarios: ['ceiling'] },
  { name: 'ciba-express', kind: 'ciba', entry: 'ciba-express.ts', ceiling: 'bare-express', scenarios: CIBA_SCENARIOS },
  { name: 'ciba-koa', kind: 'ciba', entry: 'ciba-koa.ts', ceiling: 'bare-koa', scenarios: CIBA_SCENARIOS },
  { name: 'ciba-koa-redis', kind: 'ciba', entry: 'ciba-koa.ts', ceiling: 'bare-koa', scenarios: CIBA_SCENARIOS, storage: 'redis', memoryTwin: 'ciba-koa' },
  { name: 'oidc-provider', kind: 'peer', entry: 'oidc-provider.ts', scenarios: CIBA_SCENARIOS },
]

/** Node flags for the load generator: workspace packages resolve to their TypeScript sources. */
export const CHILD_EXEC_ARGV = ['--conditions=@ciba-kit/source', '--import', 'tsx']

/**
 * Node flags for a target. By default the ciba-kit packages are their built `dist/` (what an
 * integrator runs; run.ts builds them first); `source` runs their TypeScript through tsx, which
 * adds its own helpers (e.g. `__name` wrappers) to the profile.
 */
export function targetExecArgv(source: boolean): string[] {
  // CIBA_BENCH_TARGET_FLAGS: extra Node flags for every target (e.g. `--trace-gc` when investigating).
  const extra = process.env.CIBA_BENCH_TARGET_FLAGS?.split(' ').filter(Boolean) ?? []
  return [...ISOLATION_FLAGS, ...extra, ...(source ? CHILD_EXEC_ARGV : ['--import', 'tsx'])]
}

/**
 * Flags every target gets, so that an idle target does not work while another is measured: V8's
 * memory reducer runs full GCs in a process that has gone idle, and an idle peer holding a
 * gigabyte-heap (oidc-provider's store after the flow cells) then takes a core, and the shared
 * caches, from whichever target is under load (measured: ciba-express dropped from ~0.9x to ~0.72x
 * of bare Express in the rounds that followed such cells). It only acts when a process is idle.
 */
const ISOLATION_FLAGS = ['--no-memory-reducer']

export interface RunningTarget {
  readonly def: TargetDef
  readonly url: string
  readonly child: ChildProcess
}

/** Start one target; resolves once it listens. */
export function startTarget(def: TargetDef, keys: readonly BenchJwk[], source = false): Promise<RunningTarget> {
  const file = fileURLToPath(new URL(`./targets/${def.entry}`, import.meta.url))
  const child = fork(file, [], {
    execArgv: targetExecArgv(source),
    env: {
      ...process.env,
      [KEYS_ENV]: JSON.stringify(keys),
      [STORAGE_ENV]: def.storage ?? 'memory',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${def.name} did not start within 30 s`)), 30_000)
    child.once('exit', (code) => reject(new Error(`${def.name} exited during start-up (code ${code})`)))
    child.once('message', (message) => {
      clearTimeout(timer)
      const { port } = message as { port: number }
      resolve({ def, url: `http://127.0.0.1:${port}`, child })
    })
  })
}

/** Ask a child to exit normally (a Redis target deletes its keys first) and wait for it. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (child.connected) child.send({ type: 'shutdown' })
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

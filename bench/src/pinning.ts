/**
 * CPU pinning (`pnpm bench --pin`, Linux `taskset`): every target on one core, the load generator
 * and the orchestrator on the others. Unpinned (the default), the scheduler places a target's main
 * thread, its GC helpers, its thread pool and the load generator wherever it likes, and the ratio
 * of two targets moved by up to ±10% from run to run with where the processes happened to land;
 * pinned, it moves less. But pinned, a target's GC helpers and thread pool (where jose signs ID
 * tokens) share its one core: the run measures work per core, not what a server does with a
 * 2-core machine, and the ratios shift (measured on the same machine and code: ES256 flows
 * 2.68x oidc-provider pinned against about 3x unpinned). Hence opt-in. Every target gets the same
 * core, so no target is favoured. Skipped (noted in the report) without taskset or a second core.
 */
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'

export interface Pinning {
  /** The core every target runs on. */
  readonly targetCpu: number
  /** The cores of the load generator and the orchestrator (a `taskset -c` list). */
  readonly otherCpus: string
}

/** Where the processes go, or why they are not pinned. */
export function planPinning(enabled: boolean): Pinning | string {
  if (!enabled) return 'not pinned'
  const count = cpus().length
  if (count < 2) return 'not pinned (one core)'
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
  } catch {
    return 'not pinned (no taskset)'
  }
  return { targetCpu: count - 1, otherCpus: `0-${count - 2}` }
}

/** Pins every thread of a running process (`-a`: V8's helpers too) to `cpuList`. */
export function pin(pid: number, cpuList: string | number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpuList), String(pid)], { stdio: 'ignore' })
}

/** One line for the report. */
export function describePinning(pinning: Pinning | string): string {
  return typeof pinning === 'string' ? pinning : `targets pinned to CPU ${pinning.targetCpu}, load generator and orchestrator to CPU ${pinning.otherCpus}`
}

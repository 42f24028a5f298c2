/**
 * CPU pinning (Linux `taskset`): every target on one core, the load generator and the orchestrator
 * on the others. Unpinned, the scheduler places a target's main thread, its GC helpers and the load
 * generator wherever it likes, and a run's ratios moved by ±15% with where the processes happened to
 * land; pinned, each target has a core of its own and its CPU time per request is its own work.
 * Every target gets the same core, so no target is favoured. Skipped (with a note in the report)
 * where `taskset` is missing or the machine has a single core.
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
  if (!enabled) return 'not pinned (--no-pin)'
  const count = cpus().length
  if (count < 2) return 'not pinned (one core)'
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
  } catch {
    return 'not pinned (no taskset)'
  }
  return { targetCpu: count - 1, otherCpus: count === 2 ? '0' : `0-${count - 2}` }
}

/** Pins every thread of a running process (`-a`: V8's helpers too) to `cpuList`. */
export function pin(pid: number, cpuList: string | number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpuList), String(pid)], { stdio: 'ignore' })
}

/** One line for the report. */
export function describePinning(pinning: Pinning | string): string {
  return typeof pinning === 'string' ? pinning : `targets pinned to CPU ${pinning.targetCpu}, load generator and orchestrator to CPU ${pinning.otherCpus}`
}

/** Messages and records exchanged between the orchestrator and the load generator. */

/** What a target is, for the report: a framework ceiling, ciba-kit, or the peer library. */
export type TargetKind = 'bare' | 'ciba' | 'peer'

/**
 * - `ceiling`: bare framework, small form POST -> small JSON.
 * - `bc-auth`: backchannel authentication requests (CIBA Core §7), each creates a pending request.
 * - `poll`: token endpoint polls, each on a distinct pending `auth_req_id` (CIBA §10.1, §11).
 * - `slow-down`: token endpoint polls hammering a few pending ids far faster than `interval`.
 * - `flow-es256` / `flow-rs256`: authenticate -> approve (in the target, via its API) -> redeem.
 */
export type ScenarioId = 'ceiling' | 'bc-auth' | 'poll' | 'slow-down' | 'flow-es256' | 'flow-rs256'

/** One measurement: one scenario against one target, bounded in time and requests. */
export interface CellSpec {
  readonly target: string
  readonly kind: TargetKind
  readonly scenario: ScenarioId
  /** The group of back-to-back cells it ran in (a ceiling cell pairs with that group's scenario). */
  readonly group: ScenarioId
  readonly url: string
  readonly durationSec: number
  readonly connections: number
  /** Upper bound on requests (for `poll`: the size of the distinct-id pool used). */
  readonly maxRequests: number
  /** When set, the target CPU-profiles exactly the load window into this file. */
  readonly profileFile?: string
}

/** What one cell measured and whether its responses were right. */
export interface CellResult {
  readonly target: string
  readonly scenario: ScenarioId
  readonly group: ScenarioId
  /** Correct units per second (requests, or complete flows for the flow scenarios). */
  readonly rate: number
  readonly unit: 'req/s' | 'flows/s'
  /** Latency of one request (or one whole flow) in milliseconds. */
  readonly p50: number
  readonly p99: number
  readonly units: number
  readonly elapsedSec: number
  /**
   * CPU time (user + system, all threads) the target process spent per correct unit, in µs.
   * Less sensitive than throughput to other work sharing the machine.
   */
  readonly cpuMicros: number
  /**
   * CPU time the load generator spent per correct unit, in µs: on a 2-core machine the load
   * generator and the target share the CPU, so a target whose cost approaches the load
   * generator's is partly limited by it.
   */
  readonly loadgenCpuMicros: number
  /** Response classes seen, e.g. `400 authorization_pending`. */
  readonly counts: Readonly<Record<string, number>>
  /** Empty when every response (and every sampled body / ID token) was right. */
  readonly problems: readonly string[]
  /** Sampled bodies/tokens checked in depth. */
  readonly checked: number
}

export type LoadgenRequest =
  | { readonly type: 'run'; readonly id: number; readonly cell: CellSpec }
  | { readonly type: 'probe'; readonly id: number; readonly url: string }
  /** Seed a target's poll pools ahead of time (so the wait for `interval` overlaps other cells). */
  | { readonly type: 'prepare'; readonly id: number; readonly cell: CellSpec }
  | { readonly type: 'shutdown' }

export type LoadgenReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: CellResult }
  | { readonly type: 'probe'; readonly id: number; readonly roundTrips: Readonly<Record<string, number>> }
  | { readonly type: 'prepared'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string }

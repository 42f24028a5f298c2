/**
 * Aggregation (medians over rounds, per-round ratios) and the printed/Markdown report.
 */
import type { TargetDef } from './targets.js'
import type { CellResult, ScenarioId } from './types.js'

/** All valid and invalid results of a run, by round. */
export interface RunData {
  readonly rounds: CellResult[][]
  readonly targets: readonly TargetDef[]
  /** Redis targets: mean Redis round trips per request kind. */
  readonly roundTrips: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly meta: Readonly<Record<string, string>>
}

export const SCENARIO_LABELS: Readonly<Record<ScenarioId, string>> = {
  ceiling: 'ceiling: form POST -> small JSON',
  'bc-auth': 'backchannel authentication',
  poll: 'token poll, pending (distinct ids)',
  'slow-down': 'token poll, too fast (slow_down path)',
  'flow-es256': 'full flow, ES256 ID token',
  'flow-rs256': 'full flow, RS256 ID token',
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Which group's ceiling cell a scenario is compared with (measured back-to-back with it). */
export function ceilingGroup(scenario: ScenarioId): ScenarioId {
  return scenario === 'bc-auth' ? 'bc-auth' : 'poll'
}

function find(round: readonly CellResult[], target: string, scenario: ScenarioId, group?: ScenarioId): CellResult | undefined {
  const r = round.find((c) => c.target === target && c.scenario === scenario && (group === undefined || c.group === group))
  return r !== undefined && r.problems.length === 0 ? r : undefined
}

/** Median over all valid cells (rounds, and groups for ceilings) of rate, p50 and p99, or undefined. */
export function cellMedian(data: RunData, target: string, scenario: ScenarioId): { rate: number; p50: number; p99: number; cpu: number; n: number; unit: string } | undefined {
  const cells = data.rounds.flatMap((r) => r.filter((c) => c.target === target && c.scenario === scenario && c.problems.length === 0))
  if (cells.length === 0) return undefined
  return {
    rate: median(cells.map((c) => c.rate)),
    p50: median(cells.map((c) => c.p50)),
    p99: median(cells.map((c) => c.p99)),
    cpu: median(cells.map((c) => c.cpuMicros)),
    n: cells.length,
    unit: cells[0]?.unit ?? '',
  }
}

/**
 * Median over rounds of (a's rate / b's rate), pairing cells of the same round. With `cpu`, the
 * ratio of CPU cost per unit instead (b's µs / a's µs: the throughput ratio the two would reach
 * if each had a core to itself).
 */
export function ratio(data: RunData, a: [string, ScenarioId], b: [string, ScenarioId], cpu = false): number | undefined {
  const values: number[] = []
  for (const round of data.rounds) {
    const x = find(round, ...a)
    const y = find(round, b[0], b[1], b[1] === 'ceiling' ? ceilingGroup(a[1]) : undefined)
    if (x === undefined || y === undefined) continue
    if (cpu && x.cpuMicros > 0) values.push(y.cpuMicros / x.cpuMicros)
    if (!cpu && y.rate > 0) values.push(x.rate / y.rate)
  }
  return values.length === 0 ? undefined : median(values)
}

const fmtRate = (n: number): string => Math.round(n).toLocaleString('en-US')
const fmtMs = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1))
const fmtRatio = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`)

/** One issue-8 target: a ratio and its threshold. */
export interface Goal {
  readonly label: string
  readonly value: number | undefined
  /** The same comparison on CPU cost per request. */
  readonly cpu: number | undefined
  readonly min: number
}

export function goals(data: RunData): Goal[] {
  const goal = (label: string, a: string, s: ScenarioId, b: string, t: ScenarioId, min: number): Goal => ({
    label,
    value: ratio(data, [a, s], [b, t]),
    cpu: ratio(data, [a, s], [b, t], true),
    min,
  })
  return [
    goal('ciba-koa bc-auth ≥ 0.6× bare Koa', 'ciba-koa', 'bc-auth', 'bare-koa', 'ceiling', 0.6),
    goal('ciba-koa pending poll ≥ 0.6× bare Koa', 'ciba-koa', 'poll', 'bare-koa', 'ceiling', 0.6),
    goal('ciba-koa ES256 flows ≥ 3× oidc-provider', 'ciba-koa', 'flow-es256', 'oidc-provider', 'flow-es256', 3),
    goal('ciba-express bc-auth ≥ 0.8× bare Express', 'ciba-express', 'bc-auth', 'bare-express', 'ceiling', 0.8),
    goal('ciba-express pending poll ≥ 0.8× bare Express', 'ciba-express', 'poll', 'bare-express', 'ceiling', 0.8),
  ]
}

const SCENARIOS: readonly ScenarioId[] = ['ceiling', 'bc-auth', 'poll', 'slow-down', 'flow-es256', 'flow-rs256']

/** The report as Markdown (also what is printed). */
export function renderMarkdown(data: RunData): string {
  const names = data.targets.map((t) => t.name)
  const lines: string[] = []
  lines.push('## Throughput (median of rounds): rate; p50 / p99 latency; target CPU time per request or flow', '')
  lines.push(`| scenario | ${names.join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`)
  for (const s of SCENARIOS) {
    const cells = data.targets.map((t) => {
      if (!t.scenarios.includes(s)) return ''
      const m = cellMedian(data, t.name, s)
      return m === undefined ? 'INVALID' : `${fmtRate(m.rate)} ${m.unit}<br>${fmtMs(m.p50)} / ${fmtMs(m.p99)} ms<br>${Math.round(m.cpu)} µs CPU`
    })
    if (cells.some((c) => c !== '')) lines.push(`| ${SCENARIO_LABELS[s]} | ${cells.join(' | ')} |`)
  }
  const ciba = data.targets.filter((t) => t.kind === 'ciba')
  const peer = data.targets.find((t) => t.kind === 'peer')
  if (ciba.length > 0) {
    lines.push('', '## Ratios (median of per-round ratios)', '')
    lines.push('Each cell: throughput ratio (CPU-cost ratio). The CPU-cost ratio compares the target CPU time per request, so it barely moves when other work shares the machine.', '')
    const heads = ciba.flatMap((t) => [`${t.name} / ${t.ceiling ?? '?'}`, ...(peer ? [`${t.name} / ${peer.name}`] : [])])
    lines.push(`| scenario | ${heads.join(' | ')} |`, `|---|${heads.map(() => '---:').join('|')}|`)
    const both = (a: [string, ScenarioId], b: [string, ScenarioId]): string => `${fmtRatio(ratio(data, a, b))} (${fmtRatio(ratio(data, a, b, true))})`
    for (const s of SCENARIOS.slice(1)) {
      const row = ciba.flatMap((t) => [
        s === 'bc-auth' || s === 'poll' || s === 'slow-down' ? both([t.name, s], [t.ceiling ?? '', 'ceiling']) : '—',
        ...(peer ? [both([t.name, s], [peer.name, s])] : []),
      ])
      lines.push(`| ${SCENARIO_LABELS[s]} | ${row.join(' | ')} |`)
    }
    lines.push('', '## Issue 8 targets', '')
    for (const g of goals(data)) {
      const verdict = g.value === undefined ? 'NOT MEASURED' : g.value >= g.min ? 'PASS' : 'MISS'
      const cpuVerdict = g.cpu === undefined ? '' : `; on CPU cost ${fmtRatio(g.cpu)} (${g.cpu >= g.min ? 'PASS' : 'MISS'})`
      lines.push(`- ${verdict}: ${g.label} — measured ${fmtRatio(g.value)}${cpuVerdict}`)
    }
  }
  const redis = data.targets.filter((t) => t.storage === 'redis' && t.memoryTwin !== undefined)
  for (const t of redis) {
    const twin = t.memoryTwin ?? ''
    lines.push('', `## Redis storage: ${t.name} vs ${twin} (in-memory)`, '')
    lines.push('| scenario | throughput ratio to in-memory | CPU-cost ratio |', '|---|---:|---:|')
    for (const s of SCENARIOS.slice(1)) lines.push(`| ${SCENARIO_LABELS[s]} | ${fmtRatio(ratio(data, [t.name, s], [twin, s]))} | ${fmtRatio(ratio(data, [t.name, s], [twin, s], true))} |`)
    const trips = data.roundTrips[t.name]
    if (trips !== undefined) {
      const limits: Record<string, number> = { 'backchannel authentication': 2, 'poll, pending': 1, 'redeem (token response)': 2 }
      lines.push('', 'Redis round trips per request (sequential probe; issue 8 targets in brackets):', '')
      for (const [kind, n] of Object.entries(trips)) {
        const limit = limits[kind]
        const verdict = limit === undefined ? '' : n <= limit ? ` [≤ ${limit}: PASS]` : ` [≤ ${limit}: MISS]`
        lines.push(`- ${kind}: ${n.toFixed(2)}${verdict}`)
      }
    }
  }
  const invalid = data.rounds.flatMap((round, i) => round.filter((c) => c.problems.length > 0).map((c) => ({ c, i })))
  if (invalid.length > 0) {
    lines.push('', '## Invalid cells (excluded from medians)', '')
    for (const { c, i } of invalid) lines.push(`- round ${i + 1}, ${c.target} ${c.scenario}: ${c.problems.join('; ')}`)
  }
  lines.push('', '## Run', '')
  for (const [k, v] of Object.entries(data.meta)) lines.push(`- ${k}: ${v}`)
  return lines.join('\n')
}

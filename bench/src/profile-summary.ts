/**
 * Summarise a V8 `.cpuprofile` (from `pnpm bench --profile=TARGET`): self time per function and
 * per source area, as percentages of the samples.
 *
 *   node --import tsx src/profile-summary.ts results/profiles/CPU.*.cpuprofile [--top=30]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '30' } }, allowPositionals: true })

/** Where a frame's code lives, coarsely: a workspace package, a dependency, or Node itself. */
function area(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native/builtin)'
  const pkg = /packages\/([^/]+)\/(?:src|dist)\/(.+)$/.exec(url)
  if (pkg !== null) return `@ciba-kit/${pkg[1]}/${pkg[2]}`
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (dep !== null) return dep[1] ?? url
  if (url.startsWith('node:')) return url
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/')
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const fn = new Map<string, number>()
  const areas = new Map<string, number>()
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const where = area(url, functionName)
    const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`
    fn.set(key, (fn.get(key) ?? 0) + t)
    areas.set(where, (areas.get(where) ?? 0) + t)
  }
  const pct = (t: number): string => `${((t / total) * 100).toFixed(1).padStart(5)}%`
  const top = Number(values.top)
  console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by function:`)
  for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`)
  console.log('\nself time by area:')
  for (const [k, t] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`)
}

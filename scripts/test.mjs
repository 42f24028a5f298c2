// Runs every *.test.ts in the workspace with Node's own test runner (tsx strips types;
// the "@ciba-kit/source" condition makes workspace packages resolve to their TypeScript sources).
// Usage: node scripts/test.mjs [filter-substring ...]
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const roots = ['packages', 'test', 'examples']
const files = []
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) walk(full)
    else if (name.endsWith('.test.ts')) files.push(relative(root, full))
  }
}
for (const r of roots) walk(join(root, r))
const filters = process.argv.slice(2)
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort()
if (selected.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--conditions=@ciba-kit/source', '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...selected],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)

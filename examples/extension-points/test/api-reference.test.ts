// `pnpm run docs` keeps working: typedoc converts every public entry point without errors
// (--emit none: nothing written; the HTML is built by the root script).
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

it('builds the API reference without errors', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  const result = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none', '--logLevel', 'Error'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
  })
  assert.equal(result.status, 0, result.stdout + result.stderr)
  assert.doesNotMatch(result.stdout + result.stderr, /\[error\]/i)
})

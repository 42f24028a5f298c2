// The testkit itself: its standalone runner passes a correct storage and fails broken ones,
// naming the tests that catch each bug.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/broken-storage.ts', import.meta.url))

interface Run {
  readonly code: number
  readonly failed: string[]
  readonly passed: number
}

function runCli(bug: string): Promise<Run> {
  const args = ['--conditions=@ciba-kit/source', '--import', 'tsx', '--test-reporter=tap', cli, fixture]
  // NODE_TEST_CONTEXT would make the child talk to our runner instead of printing TAP.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...env, BROKEN_STORAGE_BUG: bug } }, (error, stdout) => {
      if (error !== null && typeof error.code !== 'number') return reject(error)
      const lines = stdout.split('\n')
      // Leaf tests only: suites report "not ok" too, with type: 'suite' in their YAML block.
      const failed = lines.filter((l) => /^\s+not ok \d+ - /.test(l)).map((l) => l.replace(/^\s+not ok \d+ - /, ''))
      const passed = lines.filter((l) => /^\s+ok \d+ - /.test(l)).length
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, failed, passed })
    })
  })
}

describe('storage-testkit standalone runner', { concurrency: true }, () => {
  it('passes a correct storage with exit code 0', async () => {
    const run = await runCli('none')
    assert.deepEqual(run.failed, [])
    assert.equal(run.code, 0)
    assert.ok(run.passed >= 40, `ran ${run.passed} tests`)
  })

  it('catches a check-then-act transition (concurrency: more than one winner)', async () => {
    const run = await runCli('racy-transitions')
    assert.equal(run.code, 1)
    assert.ok(run.failed.some((f) => f.startsWith('50 simultaneous transitions')), run.failed.join('\n'))
    assert.ok(run.failed.some((f) => f.startsWith('50 simultaneous approved -> consumed')), run.failed.join('\n'))
  })

  it('catches a patch that does not remove undefined keys', async () => {
    const run = await runCli('keeps-undefined')
    assert.equal(run.code, 1)
    assert.ok(run.failed.some((f) => f.startsWith('a patch key whose value is undefined')), run.failed.join('\n'))
  })

  it('catches client writes that create or replace (a registration overwriting a client, an update reviving a deleted one)', async () => {
    const run = await runCli('upsert-clients')
    assert.equal(run.code, 1)
    for (const name of ['createClient refuses an existing id', 'updateClient refuses a stale update', 'updateClient never creates', 'updateClient racing deleteClient']) {
      assert.ok(run.failed.some((f) => f.startsWith(name)), `${name}:\n${run.failed.join('\n')}`)
    }
  })

  it('catches a check-then-act client update (a lost update, a deleted client brought back)', async () => {
    const run = await runCli('racy-client-update')
    assert.equal(run.code, 1)
    assert.ok(run.failed.some((f) => f.startsWith('20 simultaneous updateClient from one revision')), run.failed.join('\n'))
    assert.ok(run.failed.some((f) => f.startsWith('updateClient racing deleteClient')), run.failed.join('\n'))
  })

  it('catches records that never expire', async () => {
    const run = await runCli('never-expires')
    assert.equal(run.code, 1)
    assert.ok(run.failed.some((f) => f.startsWith('an auth request is kept until')), run.failed.join('\n'))
    assert.ok(run.failed.some((f) => f.startsWith('a token is found until')), run.failed.join('\n'))
  })
})

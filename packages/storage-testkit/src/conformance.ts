import { describe } from 'node:test'
import { harnessFactory, type StorageConformanceOptions } from './harness.js'
import { authRequestSuite } from './suites/auth-requests.js'
import { concurrencySuite } from './suites/concurrency.js'
import { deliverySuite } from './suites/deliveries.js'
import { expirySuite } from './suites/expiry.js'
import { onceAndClientSuite } from './suites/once-and-clients.js'
import { tokenSuite } from './suites/tokens.js'

/**
 * Registers the storage conformance suite as `node:test` tests: every operation of
 * `CibaStorage`, TTL expiry, create-if-absent, compare-and-set, consume-once, one-time marks,
 * refresh rotation and reuse detection, revocation by grant, clients, the delivery outbox, and
 * concurrency (many simultaneous calls on one record, exactly one winner).
 *
 * Call it at the top level of a test file (or inside a `describe`). Assertions use
 * `node:assert/strict`; run the file with `node --test` or any runner that executes `node:test`
 * suites, or standalone with `node my-storage.test.js`.
 *
 * @example
 * import { runStorageConformance } from '@ciba-kit/storage-testkit'
 * import { MyStorage } from '../src/my-storage.js'
 *
 * runStorageConformance({
 *   name: 'MyStorage',
 *   createStorage: ({ clock, namespace }) => new MyStorage({ clock, tablePrefix: namespace }),
 * })
 */
export function runStorageConformance(options: StorageConformanceOptions): void {
  const withHarness = harnessFactory(options)
  describe(options.name ?? 'CibaStorage conformance', () => {
    authRequestSuite(withHarness)
    tokenSuite(withHarness)
    onceAndClientSuite(withHarness)
    deliverySuite(withHarness)
    expirySuite(withHarness)
    concurrencySuite(withHarness)
  })
}

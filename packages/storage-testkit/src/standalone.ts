import { runStorageConformance } from './conformance.js'
import type { StorageConformanceOptions } from './harness.js'

function isOptions(value: unknown): value is StorageConformanceOptions {
  return typeof value === 'object' && value !== null && typeof (value as { createStorage?: unknown }).createStorage === 'function'
}

/**
 * Runs the conformance suite without a test runner of your own: pass the options, or the URL/path
 * of a module whose default export is the options (or which exports `createStorage`). Node's test
 * runner starts by itself, prints a report and sets the exit code (1 on any failure).
 *
 * @example
 * // conformance.mjs, run with `node conformance.mjs`
 * import { runStandalone } from '@ciba-kit/storage-testkit'
 * await runStandalone({ name: 'MyStorage', createStorage: ({ clock }) => new MyStorage({ clock }) })
 */
export async function runStandalone(target: StorageConformanceOptions | string): Promise<void> {
  let options: unknown = target
  if (typeof target === 'string') {
    const mod = (await import(target)) as { default?: unknown; createStorage?: unknown }
    options = isOptions(mod.default) ? mod.default : mod
  }
  if (!isOptions(options)) {
    throw new TypeError('expected { createStorage(env) => CibaStorage, ... } as the default export or as named exports')
  }
  runStorageConformance(options)
}

#!/usr/bin/env node
/**
 * Standalone runner: `ciba-storage-testkit ./my-storage-conformance.js`.
 *
 * The module exports the {@link StorageConformanceOptions} as its default export (or a named
 * `createStorage` factory). Exit code 0 when every test passed, 1 otherwise.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runStandalone } from './standalone.js'

const target = process.argv[2]
if (target === undefined || target === '--help' || target === '-h') {
  console.error('usage: ciba-storage-testkit <module exporting default { createStorage, ... }>')
  process.exit(target === undefined ? 2 : 0)
}
await runStandalone(pathToFileURL(resolve(target)).href)

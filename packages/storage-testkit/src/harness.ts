import type { CibaStorage } from '@ciba-kit/core'
import { newId } from './fixtures.js'
import { createTestTime, type TestTime, type TimeMode } from './time.js'

/** What the storage factory receives for one test. */
export interface StorageTestEnvironment {
  /** Epoch seconds. A storage with an injectable clock must use this one (virtual time). */
  readonly clock: () => number
  /**
   * Unique to one test: use it as a key prefix, schema or table suffix so that tests (and test
   * files running in parallel) never see each other's records. Storages returned by
   * `createStorage` and `createPeer` for the same environment share it.
   */
  readonly namespace: string
}

/**
 * Options of {@link runStorageConformance}.
 *
 * @example
 * runStorageConformance({
 *   name: 'MemoryStorage',
 *   createStorage: ({ clock }) => new MemoryStorage({ clock }),
 * })
 */
export interface StorageConformanceOptions {
  /** Name of the top-level `describe` block. */
  readonly name?: string
  /** Returns a fresh storage that holds no record of a previous test (use `env.namespace`). */
  readonly createStorage: (env: StorageTestEnvironment) => CibaStorage | Promise<CibaStorage>
  /**
   * Optional: a second handle on the *same* data as `first` (another connection, as a second OP
   * process would have). When given, the concurrency tests spread their calls over both, so
   * atomicity is proven across connections, not only within one.
   */
  readonly createPeer?: (env: StorageTestEnvironment, first: CibaStorage) => CibaStorage | Promise<CibaStorage>
  /** Called after each test for every storage it created. Default: `storage.close?.()`. */
  readonly disposeStorage?: (storage: CibaStorage, env: StorageTestEnvironment) => void | Promise<void>
  /**
   * `virtual` (default): the storage uses `env.clock` and the testkit moves it instantly.
   * `real`: the storage relies on real time (e.g. Redis TTLs); expiry tests sleep a few hundred ms.
   */
  readonly time?: TimeMode
  /**
   * How long after a record's removal time a read may still return it (seconds). Default 0.01 in
   * virtual time, 0.1 in real time (server-side expiry, network latency).
   */
  readonly expiryGraceSeconds?: number
}

/** One test's view: the storage, its peers, the time. */
export interface Harness {
  readonly storage: CibaStorage
  /** `storage` followed by its peer, if any: concurrency tests round-robin over these. */
  readonly handles: readonly CibaStorage[]
  readonly time: TestTime
  /** Seconds to wait past a removal time before asserting that a record is gone. */
  readonly grace: number
}

/** Wraps a test body: builds a harness, runs the body, always disposes. */
export type WithHarness = (body: (h: Harness) => Promise<void>) => () => Promise<void>

/** Builds the {@link WithHarness} of a conformance run. */
export function harnessFactory(options: StorageConformanceOptions): WithHarness {
  const mode = options.time ?? 'virtual'
  const grace = options.expiryGraceSeconds ?? (mode === 'real' ? 0.1 : 0.01)
  const dispose = options.disposeStorage ?? ((s: CibaStorage) => s.close?.())
  return (body) => async () => {
    const time = createTestTime(mode)
    const env: StorageTestEnvironment = { clock: time.clock, namespace: `t${newId().slice(0, 12)}` }
    const created: CibaStorage[] = []
    try {
      const storage = await options.createStorage(env)
      created.push(storage)
      if (options.createPeer !== undefined) created.push(await options.createPeer(env, storage))
      await body({ storage, handles: created, time, grace })
    } finally {
      for (const s of created.reverse()) await dispose(s, env)
    }
  }
}

/** The handle for the `i`-th concurrent call. */
export function pick(h: Harness, i: number): CibaStorage {
  const handle = h.handles[i % h.handles.length]
  if (handle === undefined) throw new Error('no storage handle')
  return handle
}

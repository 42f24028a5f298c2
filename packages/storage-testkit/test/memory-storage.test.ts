// The in-memory storage (the embedded default) passes the whole contract, in virtual time.
import { MemoryStorage } from '@ciba-kit/core'
import { runStorageConformance } from '@ciba-kit/storage-testkit'

runStorageConformance({
  name: 'MemoryStorage conformance',
  createStorage: ({ clock }) => new MemoryStorage({ clock }),
})

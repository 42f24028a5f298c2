import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ClientRecord } from '@ciba-kit/core'
import { client, newId } from '../fixtures.js'
import type { WithHarness } from '../harness.js'

/** markOnce and client records. */
export function onceAndClientSuite(withHarness: WithHarness): void {
  describe('one-time marks', () => {
    it('markOnce answers true the first time and false for a replay', withHarness(async ({ storage, time }) => {
      const key = `jti:client-1:${newId()}`
      const until = Math.floor(time.clock()) + 300
      assert.equal(await storage.markOnce(key, until), true)
      assert.equal(await storage.markOnce(key, until), false)
      assert.equal(await storage.markOnce(key, until + 600), false)
    }))

    it('markOnce keys are independent of each other', withHarness(async ({ storage, time }) => {
      const until = Math.floor(time.clock()) + 300
      const base = newId()
      assert.equal(await storage.markOnce(`a:${base}`, until), true)
      assert.equal(await storage.markOnce(`b:${base}`, until), true)
      assert.equal(await storage.markOnce(`a:${base}`, until), false)
    }))
  })

  describe('clients', () => {
    it('putClient then getClient returns the record as given', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      await storage.putClient(record)
      assert.deepEqual(await storage.getClient(record.clientId), record)
    }))

    it('putClient replaces an existing record', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      await storage.putClient(record)
      const { clientSecret: _dropped, ...rest } = record
      const replaced: ClientRecord = { ...rest, metadata: { client_name: 'renamed' }, updatedAt: record.createdAt + 1 }
      await storage.putClient(replaced)
      assert.deepEqual(await storage.getClient(record.clientId), replaced)
    }))

    it('getClient answers undefined for an unknown client', withHarness(async ({ storage }) => {
      assert.equal(await storage.getClient(newId()), undefined)
    }))

    it('deleteClient removes the record and answers whether it existed', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      const other = client(time.clock())
      await storage.putClient(record)
      await storage.putClient(other)
      assert.equal(await storage.deleteClient(record.clientId), true)
      assert.equal(await storage.getClient(record.clientId), undefined)
      assert.equal(await storage.deleteClient(record.clientId), false)
      assert.deepEqual(await storage.getClient(other.clientId), other)
    }))

    it('client records are copies', withHarness(async ({ storage, time }) => {
      const input = structuredClone(client(time.clock())) as ClientRecord
      const expected = structuredClone(input)
      await storage.putClient(input)
      Reflect.set(input.metadata, 'client_name', 'tampered')
      const got = await storage.getClient(input.clientId)
      assert.ok(got)
      try {
        Reflect.set(got.metadata, 'client_name', 'tampered')
      } catch {
        // frozen records are fine too
      }
      assert.deepEqual(await storage.getClient(input.clientId), expected)
    }))
  })
}

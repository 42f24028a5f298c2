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
    it('createClient then getClient returns the record as given', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      assert.equal(await storage.createClient(record), true)
      assert.deepEqual(await storage.getClient(record.clientId), record)
    }))

    it('createClient refuses an existing id and leaves the stored client as it was', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      assert.equal(await storage.createClient(record), true)
      const intruder = client(time.clock(), { clientId: record.clientId, metadata: { client_name: 'intruder' } })
      assert.equal(await storage.createClient(intruder), false)
      assert.deepEqual(await storage.getClient(record.clientId), record)
    }))

    it('updateClient replaces the client when the stored revision is the expected one', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      await storage.createClient(record)
      const { clientSecret: _dropped, ...rest } = record
      const first: ClientRecord = { ...rest, metadata: { client_name: 'renamed' }, updatedAt: record.createdAt + 1, revision: 1 }
      assert.equal(await storage.updateClient(first, 0), true, 'a record without revision is at revision 0')
      assert.deepEqual(await storage.getClient(record.clientId), first)
      const second: ClientRecord = { ...first, metadata: { client_name: 'again' }, revision: 2 }
      assert.equal(await storage.updateClient(second, 1), true)
      assert.deepEqual(await storage.getClient(record.clientId), second)
    }))

    it('updateClient refuses a stale update (made from an older revision) and changes nothing', withHarness(async ({ storage, time }) => {
      const record = client(time.clock(), { revision: 3 })
      await storage.createClient(record)
      for (const expected of [0, 2, 4]) {
        assert.equal(await storage.updateClient({ ...record, metadata: { client_name: `from ${expected}` }, revision: expected + 1 }, expected), false)
      }
      assert.deepEqual(await storage.getClient(record.clientId), record)
    }))

    it('updateClient never creates: an update of a deleted or unknown client answers false', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      await storage.createClient(record)
      assert.equal(await storage.deleteClient(record.clientId), true)
      assert.equal(await storage.updateClient({ ...record, revision: 1 }, 0), false)
      assert.equal(await storage.getClient(record.clientId), undefined)
      const unknown = client(time.clock())
      assert.equal(await storage.updateClient(unknown, 0), false)
      assert.equal(await storage.getClient(unknown.clientId), undefined)
    }))

    it('getClient answers undefined for an unknown client', withHarness(async ({ storage }) => {
      assert.equal(await storage.getClient(newId()), undefined)
    }))

    it('deleteClient removes the record and answers whether it existed', withHarness(async ({ storage, time }) => {
      const record = client(time.clock())
      const other = client(time.clock())
      await storage.createClient(record)
      await storage.createClient(other)
      assert.equal(await storage.deleteClient(record.clientId), true)
      assert.equal(await storage.getClient(record.clientId), undefined)
      assert.equal(await storage.deleteClient(record.clientId), false)
      assert.deepEqual(await storage.getClient(other.clientId), other)
      assert.equal(await storage.createClient(record), true, 'a deleted id is free again')
    }))

    it('client records are copies', withHarness(async ({ storage, time }) => {
      const input = structuredClone(client(time.clock())) as ClientRecord
      const expected = structuredClone(input)
      await storage.createClient(input)
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

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AuthRequestRecord, ClientRecord } from '@ciba-kit/core'
import { authRequest, client, delivery, newId, refreshToken, token } from '../fixtures.js'
import { pick, type WithHarness } from '../harness.js'

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

/**
 * Many simultaneous calls on one record, spread over every handle (the storage and its peer):
 * every atomic operation has exactly one winner.
 */
export function concurrencySuite(withHarness: WithHarness): void {
  describe('concurrency', () => {
    it('50 simultaneous createAuthRequest with one id: exactly one true, and its record is stored', withHarness(async (h) => {
      const id = newId()
      const records = range(50).map((i) => authRequest(h.time.clock(), { id, sub: `user-${i}` }))
      const results = await Promise.all(records.map((r, i) => pick(h, i).createAuthRequest(r, 60)))
      assert.equal(results.filter(Boolean).length, 1)
      assert.deepEqual(await h.storage.getAuthRequest(id), records[results.indexOf(true)])
    }))

    it('50 simultaneous transitions pending -> approved|denied: exactly one winner, its patch is stored', withHarness(async (h) => {
      const record = authRequest(h.time.clock())
      await h.storage.createAuthRequest(record, 60)
      const patches = range(50).map((i): Partial<AuthRequestRecord> =>
        i % 2 === 0
          ? { status: 'approved', approval: { sub: record.sub, authTime: record.createdAt + i }, updatedAt: record.createdAt + i }
          : { status: 'denied', denial: { error: 'access_denied', description: `no ${i}` }, updatedAt: record.createdAt + i },
      )
      const results = await Promise.all(patches.map((p, i) => pick(h, i).transitionAuthRequest(record.id, ['pending'], p)))
      const winners = results.filter((r) => r !== undefined)
      assert.equal(winners.length, 1, 'exactly one transition wins')
      const winner = results.findIndex((r) => r !== undefined)
      const expected = { ...record, ...patches[winner] }
      assert.deepEqual(winners[0], expected)
      assert.deepEqual(await h.storage.getAuthRequest(record.id), expected)
    }))

    it('50 simultaneous approved -> consumed with token effects: exactly one set of tokens exists', withHarness(async (h) => {
      const now = Math.floor(h.time.clock())
      const record = authRequest(now, { status: 'approved' })
      await h.storage.createAuthRequest(record, 60)
      const sets = range(50).map(() => [token(now, record.id), refreshToken(now, record.id)])
      const results = await Promise.all(
        sets.map((tokens, i) => pick(h, i).transitionAuthRequest(record.id, ['approved'], { status: 'consumed' }, { tokens })),
      )
      assert.equal(results.filter((r) => r !== undefined).length, 1)
      const winner = results.findIndex((r) => r !== undefined)
      const found = await Promise.all(sets.flat().map((t) => h.storage.findToken(t.id)))
      const stored = found.filter((t) => t !== undefined)
      assert.deepEqual(stored, sets[winner])
    }))

    it('20 simultaneous recordPoll: each caller sees a different previous state (no lost update)', withHarness(async (h) => {
      const record = authRequest(h.time.clock())
      await h.storage.createAuthRequest(record, 60)
      const times = range(20).map((i) => record.createdAt + 1 + i)
      const previous = await Promise.all(times.map((t, i) => pick(h, i).recordPoll(record.id, t)))
      const seen = previous.map((p) => p?.lastPolledAt)
      assert.equal(seen.filter((s) => s === undefined).length, 1, 'exactly one caller saw the record before any poll')
      assert.equal(new Set(seen).size, 20, 'no two callers saw the same previous poll')
      const last = (await h.storage.getAuthRequest(record.id))?.lastPolledAt
      assert.ok(last !== undefined && times.includes(last) && !seen.includes(last), 'the stored poll time is the one nobody saw')
    }))

    it('50 simultaneous markOnce of one key: exactly one true', withHarness(async (h) => {
      const key = `jti:${newId()}`
      const until = Math.floor(h.time.clock()) + 300
      const results = await Promise.all(range(50).map((i) => pick(h, i).markOnce(key, until)))
      assert.equal(results.filter(Boolean).length, 1)
    }))

    it('20 simultaneous useRefreshToken of one token: exactly one used, the rest reused (or missing once revoked)', withHarness(async (h) => {
      const now = Math.floor(h.time.clock())
      const grant = newId()
      const old = refreshToken(now, grant)
      await h.storage.saveTokens([old])
      const replacements = range(20).map(() => [token(now + 1, grant), refreshToken(now + 1, grant)])
      const results = await Promise.all(replacements.map((r, i) => pick(h, i).useRefreshToken(old.id, now + 1, r)))
      const outcomes = results.map((r) => r.outcome)
      assert.equal(outcomes.filter((o) => o === 'used').length, 1, `outcomes: ${outcomes.join(',')}`)
      // The first reuse revokes the grant; later callers may then find the token revoked (missing).
      assert.ok(outcomes.includes('reused'), 'a second use is detected as reuse')
      // The reuse revoked the grant, so even the winner's replacements are gone.
      for (const t of replacements.flat()) assert.equal(await h.storage.findToken(t.id), undefined)
    }))

    it('20 simultaneous createClient with one id: exactly one true, and its record is stored', withHarness(async (h) => {
      const clientId = `dyn-${newId()}`
      const records = range(20).map((i) => client(h.time.clock(), { clientId, metadata: { client_name: `client ${i}` } }))
      const results = await Promise.all(records.map((r, i) => pick(h, i).createClient(r)))
      assert.equal(results.filter(Boolean).length, 1)
      assert.deepEqual(await h.storage.getClient(clientId), records[results.indexOf(true)])
    }))

    it('20 simultaneous updateClient from one revision: exactly one wins, its record is stored', withHarness(async (h) => {
      const record = client(h.time.clock(), { revision: 1 })
      await h.storage.createClient(record)
      const updates = range(20).map((i): ClientRecord => ({ ...record, metadata: { client_name: `update ${i}` }, updatedAt: record.createdAt + i, revision: 2 }))
      const results = await Promise.all(updates.map((u, i) => pick(h, i).updateClient(u, 1)))
      assert.equal(results.filter(Boolean).length, 1, 'exactly one update wins')
      assert.deepEqual(await h.storage.getClient(record.clientId), updates[results.indexOf(true)])
    }))

    it('updateClient racing deleteClient: one outcome, and a deleted client stays deleted', withHarness(async (h) => {
      for (let round = 0; round < 10; round++) {
        const record = client(h.time.clock())
        await h.storage.createClient(record)
        // Alternate which call is issued first, and on which handle.
        const update = (): Promise<boolean> => pick(h, round).updateClient({ ...record, metadata: { client_name: 'updated' }, revision: 1 }, 0)
        const remove = (): Promise<boolean> => pick(h, round + 1).deleteClient(record.clientId)
        let updating: Promise<boolean>
        let deleting: Promise<boolean>
        if (round % 2 === 0) {
          updating = update()
          deleting = remove()
        } else {
          deleting = remove()
          updating = update()
        }
        const [updated, deleted] = await Promise.all([updating, deleting])
        // Either the update landed first and the delete removed it, or the delete came first and
        // the update was refused: never a client that is back, nor a delete that found nothing.
        assert.equal(deleted, true, `round ${round}: the delete found the client (updated: ${String(updated)})`)
        assert.equal(await h.storage.getClient(record.clientId), undefined, `round ${round}: the update did not bring the client back`)
      }
    }))

    it('8 simultaneous claimers over 40 due deliveries: each delivery is handed out exactly once', withHarness(async (h) => {
      const now = Math.floor(h.time.clock())
      const all = range(40).map((i) => delivery(now, { nextAttemptAt: now - (i % 7) }))
      await Promise.all(all.map((d, i) => pick(h, i).enqueueDelivery(d)))
      const claims = await Promise.all(range(8).map((i) => pick(h, i).claimDeliveries(now, 10, now + 30)))
      const claimed = claims.flat().map((d) => d.id)
      assert.equal(new Set(claimed).size, claimed.length, 'no delivery handed out twice')
      assert.deepEqual(claimed.sort(), all.map((d) => d.id).sort())
      for (const c of claims) assert.ok(c.length <= 10)
    }))
  })
}

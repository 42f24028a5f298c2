import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { authRequest, newId, refreshToken, token } from '../fixtures.js'
import type { WithHarness } from '../harness.js'

/** saveTokens, findToken, useRefreshToken, revokeGrant (single caller). */
export function tokenSuite(withHarness: WithHarness): void {
  describe('tokens', () => {
    it('saveTokens stores every record; findToken returns each as given', withHarness(async ({ storage, time }) => {
      const grant = newId()
      const records = [token(time.clock(), grant), refreshToken(time.clock(), grant), token(time.clock(), newId(), { amr: [] })]
      await storage.saveTokens(records)
      for (const record of records) assert.deepEqual(await storage.findToken(record.id), record)
    }))

    it('findToken answers undefined for an unknown id', withHarness(async ({ storage }) => {
      assert.equal(await storage.findToken(newId()), undefined)
    }))

    it('useRefreshToken: first use marks usedAt, stores the replacements and answers used', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const grant = newId()
      const old = refreshToken(now, grant)
      await storage.saveTokens([old])
      const replacements = [token(now + 1, grant), refreshToken(now + 1, grant)]
      const result = await storage.useRefreshToken(old.id, now + 1, replacements)
      assert.deepEqual(result, { outcome: 'used', record: { ...old, usedAt: now + 1 } })
      for (const r of replacements) assert.deepEqual(await storage.findToken(r.id), r)
      assert.deepEqual(await storage.findToken(old.id), { ...old, usedAt: now + 1 }, 'a used refresh token stays findable with usedAt')
    }))

    it('useRefreshToken: a second use answers reused and revokes the whole grant', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const grant = newId()
      const other = token(now, newId())
      const access = token(now, grant)
      const old = refreshToken(now, grant)
      await storage.saveTokens([access, old, other])
      const firstReplacements = [token(now + 1, grant), refreshToken(now + 1, grant)]
      assert.equal((await storage.useRefreshToken(old.id, now + 1, firstReplacements)).outcome, 'used')
      const secondReplacements = [token(now + 2, grant), refreshToken(now + 2, grant)]
      const reuse = await storage.useRefreshToken(old.id, now + 2, secondReplacements)
      assert.equal(reuse.outcome, 'reused')
      assert.deepEqual(reuse.outcome === 'reused' ? reuse.record : undefined, { ...old, usedAt: now + 1 })
      for (const r of [access, old, ...firstReplacements, ...secondReplacements]) {
        assert.equal(await storage.findToken(r.id), undefined, `token of the reused grant (${r.kind}) must be gone`)
      }
      assert.deepEqual(await storage.findToken(other.id), other, 'other grants are untouched')
      const late = token(now + 3, grant)
      await storage.saveTokens([late])
      assert.equal(await storage.findToken(late.id), undefined, 'the grant stays revoked for new tokens')
      assert.deepEqual(await storage.useRefreshToken(firstReplacements[1]?.id ?? '', now + 3, []), { outcome: 'missing' })
    }))

    it('useRefreshToken answers missing for an unknown id, and for an access token', withHarness(async ({ storage, time }) => {
      const access = token(time.clock(), newId())
      await storage.saveTokens([access])
      assert.deepEqual(await storage.useRefreshToken(newId(), Math.floor(time.clock()), []), { outcome: 'missing' })
      assert.deepEqual(await storage.useRefreshToken(access.id, Math.floor(time.clock()), []), { outcome: 'missing' })
      assert.deepEqual(await storage.findToken(access.id), access, 'the access token is not marked used')
    }))

    it('revokeGrant: tokens of the grant are no longer found, other grants are', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const grant = newId()
      const mine = [token(now, grant), refreshToken(now, grant)]
      const theirs = token(now, newId())
      await storage.saveTokens([...mine, theirs])
      await storage.revokeGrant(grant, now + 86_400)
      for (const r of mine) assert.equal(await storage.findToken(r.id), undefined)
      assert.deepEqual(await storage.findToken(theirs.id), theirs)
      assert.deepEqual(await storage.useRefreshToken(mine[1]?.id ?? '', now + 1, [token(now + 1, grant)]), { outcome: 'missing' })
    }))

    it('revokeGrant before any token exists: later saveTokens and transition effects of that grant are ignored', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const grant = newId()
      await storage.revokeGrant(grant, now + 3600)
      const late = [token(now, grant), refreshToken(now, grant)]
      await storage.saveTokens(late)
      for (const r of late) assert.equal(await storage.findToken(r.id), undefined)
      const request = authRequest(now, { id: grant, status: 'approved' })
      await storage.createAuthRequest(request, 60)
      const effect = token(now, grant)
      assert.equal((await storage.transitionAuthRequest(grant, ['approved'], { status: 'consumed' }, { tokens: [effect] }))?.status, 'consumed')
      assert.equal(await storage.findToken(effect.id), undefined, 'token effects of a revoked grant are ignored')
      const unrelated = token(now, newId())
      await storage.saveTokens([unrelated])
      assert.deepEqual(await storage.findToken(unrelated.id), unrelated, 'saveTokens of a non-revoked grant still works')
    }))

    it('revokeGrant of an unknown grant is harmless', withHarness(async ({ storage, time }) => {
      await storage.revokeGrant(newId(), Math.floor(time.clock()) + 60)
      const t = token(time.clock(), newId())
      await storage.saveTokens([t])
      assert.deepEqual(await storage.findToken(t.id), t)
    }))
  })
}

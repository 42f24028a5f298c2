import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { authRequest, newId, refreshToken, token } from '../fixtures.js'
import type { Harness, WithHarness } from '../harness.js'

/** TTL used by the expiry tests: short, so real-time backends wait only a few hundred ms. */
const TTL = 0.3

/**
 * Asserts `check` while it is still before `deadline`. In real time a slow machine may already
 * be past it when the read returns; the observation then proves nothing and is not asserted.
 */
async function beforeDeadline(h: Harness, deadline: number, check: () => Promise<void>): Promise<void> {
  await h.time.passUntil(deadline - TTL / 3)
  const started = h.time.clock()
  try {
    await check()
  } catch (error) {
    if (started < deadline && h.time.clock() < deadline) throw error
  }
}

/** TTL expiry: records stay until their time, and are gone after it. Tests run concurrently. */
export function expirySuite(withHarness: WithHarness): void {
  describe('expiry', { concurrency: true }, () => {
    it('an auth request is kept until expiresAt + retainSeconds (even past expiresAt), then removed', withHarness(async (h) => {
      const { storage, time } = h
      const now = time.clock()
      const record = authRequest(now, { expiresAt: now + TTL / 2 })
      assert.equal(await storage.createAuthRequest(record, TTL / 2), true)
      const removeAt = record.expiresAt + TTL / 2
      await beforeDeadline(h, removeAt, async () => {
        assert.deepEqual(await storage.getAuthRequest(record.id), record, 'still retained after expiresAt (late polls get expired_token)')
      })
      await time.passUntil(removeAt + h.grace)
      assert.equal(await storage.getAuthRequest(record.id), undefined)
      assert.equal(await storage.recordPoll(record.id, time.clock()), undefined)
      assert.equal(await storage.transitionAuthRequest(record.id, ['pending'], { status: 'expired' }), undefined)
      assert.equal(await storage.createAuthRequest(record, 60), true, 'the id is free again')
    }))

    it('recordPoll and transitionAuthRequest keep the original removal time', withHarness(async (h) => {
      const { storage, time } = h
      const now = time.clock()
      const record = authRequest(now, { expiresAt: now + TTL })
      await storage.createAuthRequest(record, 0)
      await storage.recordPoll(record.id, Math.floor(now))
      await storage.transitionAuthRequest(record.id, ['pending'], { status: 'approved', approval: { sub: 'user-1', authTime: Math.floor(now) } })
      await beforeDeadline(h, record.expiresAt, async () => {
        assert.equal((await storage.getAuthRequest(record.id))?.status, 'approved')
      })
      await time.passUntil(record.expiresAt + h.grace)
      assert.equal(await storage.getAuthRequest(record.id), undefined)
    }))

    it('a token is found until its expiresAt, then not found and not usable', withHarness(async (h) => {
      const { storage, time } = h
      const now = time.clock()
      const grant = newId()
      const access = token(now, grant, { expiresAt: now + TTL })
      const refresh = refreshToken(now, grant, { expiresAt: now + TTL })
      await storage.saveTokens([access, refresh])
      await beforeDeadline(h, access.expiresAt, async () => {
        assert.deepEqual(await storage.findToken(access.id), access)
      })
      await time.passUntil(access.expiresAt + h.grace)
      assert.equal(await storage.findToken(access.id), undefined)
      assert.deepEqual(await storage.useRefreshToken(refresh.id, time.clock(), [token(time.clock(), grant)]), { outcome: 'missing' })
    }))

    it('token effects of a transition expire at their own expiresAt', withHarness(async (h) => {
      const { storage, time } = h
      const now = time.clock()
      const record = authRequest(now, { status: 'approved' })
      await storage.createAuthRequest(record, 60)
      const access = token(now, record.id, { expiresAt: now + TTL })
      await storage.transitionAuthRequest(record.id, ['approved'], { status: 'consumed' }, { tokens: [access] })
      await time.passUntil(access.expiresAt + h.grace)
      assert.equal(await storage.findToken(access.id), undefined)
      assert.equal((await storage.getAuthRequest(record.id))?.status, 'consumed')
    }))

    it('a one-time mark refuses replays until its expiresAt; afterwards the key may be marked again', withHarness(async (h) => {
      const { storage, time } = h
      const key = `jti:${newId()}`
      const expiresAt = time.clock() + TTL
      assert.equal(await storage.markOnce(key, expiresAt), true)
      await beforeDeadline(h, expiresAt, async () => {
        assert.equal(await storage.markOnce(key, expiresAt), false)
      })
      await time.passUntil(expiresAt + h.grace)
      assert.equal(await storage.markOnce(key, time.clock() + 60), true)
      assert.equal(await storage.markOnce(key, time.clock() + 60), false)
    }))

    it('a revocation holds until `until`: tokens saved while it holds are ignored', withHarness(async (h) => {
      const { storage, time } = h
      const now = time.clock()
      const grant = newId()
      await storage.revokeGrant(grant, now + TTL)
      await beforeDeadline(h, now + TTL, async () => {
        const t = token(time.clock(), grant)
        await storage.saveTokens([t])
        assert.equal(await storage.findToken(t.id), undefined)
      })
    }))
  })
}

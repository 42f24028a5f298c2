import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AuthRequestRecord, CibaStorage } from '@ciba-kit/core'
import { authRequest, delivery, newId, token, without } from '../fixtures.js'
import type { WithHarness } from '../harness.js'

type Patch = Parameters<CibaStorage['transitionAuthRequest']>[2]

/** createAuthRequest, getAuthRequest, recordPoll, transitionAuthRequest (single caller). */
export function authRequestSuite(withHarness: WithHarness): void {
  describe('auth requests', () => {
    it('createAuthRequest stores the record exactly as given; getAuthRequest returns it', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock())
      assert.equal(await storage.createAuthRequest(record, 60), true)
      assert.deepEqual(await storage.getAuthRequest(record.id), record)
    }))

    it('a minimal record (no optional field) round-trips without gaining keys', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const record: AuthRequestRecord = {
        id: newId(), clientId: 'c', status: 'pending', sub: 's', scope: 'openid', deliveryMode: 'poll',
        createdAt: now, expiresAt: now + 120, interval: 5,
      }
      assert.equal(await storage.createAuthRequest(record, 0), true)
      assert.deepEqual(await storage.getAuthRequest(record.id), record)
    }))

    it('createAuthRequest is create-if-absent: a second record with the same id is refused and not stored', withHarness(async ({ storage, time }) => {
      const first = authRequest(time.clock())
      const second = authRequest(time.clock(), { id: first.id, sub: 'someone-else', clientId: 'other' })
      assert.equal(await storage.createAuthRequest(first, 60), true)
      assert.equal(await storage.createAuthRequest(second, 60), false)
      assert.deepEqual(await storage.getAuthRequest(first.id), first)
    }))

    it('getAuthRequest answers undefined for an unknown id', withHarness(async ({ storage }) => {
      assert.equal(await storage.getAuthRequest(newId()), undefined)
    }))

    it('records are copies: mutating the input or a returned record does not change storage', withHarness(async ({ storage, time }) => {
      const input = structuredClone(authRequest(time.clock())) as AuthRequestRecord
      const expected = structuredClone(input)
      await storage.createAuthRequest(input, 60)
      Reflect.set(input, 'status', 'approved')
      Reflect.set(input.acrValues ?? [], 0, 'tampered')
      const got = await storage.getAuthRequest(input.id)
      assert.ok(got)
      try {
        Reflect.set(got, 'status', 'denied')
        Reflect.set(got.acrValues ?? [], 0, 'tampered')
        Reflect.set((got.claimsRequest ?? {}) as object, 'userinfo', 'tampered')
      } catch {
        // frozen records are fine too
      }
      assert.deepEqual(await storage.getAuthRequest(input.id), expected)
    }))

    it('recordPoll sets lastPolledAt and returns the record as it was before', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock())
      await storage.createAuthRequest(record, 60)
      const t1 = record.createdAt + 5
      const t2 = record.createdAt + 11
      assert.deepEqual(await storage.recordPoll(record.id, t1), record)
      assert.deepEqual(await storage.recordPoll(record.id, t2), { ...record, lastPolledAt: t1 })
      assert.deepEqual(await storage.getAuthRequest(record.id), { ...record, lastPolledAt: t2 })
    }))

    it('recordPoll answers undefined for an unknown id and creates nothing', withHarness(async ({ storage, time }) => {
      const id = newId()
      assert.equal(await storage.recordPoll(id, Math.floor(time.clock())), undefined)
      assert.equal(await storage.getAuthRequest(id), undefined)
    }))

    it('transitionAuthRequest applies the patch when the status matches and returns the new record', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock())
      await storage.createAuthRequest(record, 60)
      const approval = { sub: record.sub, authTime: record.createdAt + 3, acr: 'urn:acr:high', amr: ['hwk'], claims: { email: 'a@b.c', nested: { list: [] } } }
      const patch = { status: 'approved', approval, updatedAt: record.createdAt + 3 } as const
      const next = await storage.transitionAuthRequest(record.id, ['pending'], patch)
      const expected = { ...record, ...patch }
      assert.deepEqual(next, expected)
      assert.deepEqual(await storage.getAuthRequest(record.id), expected)
    }))

    it('transitionAuthRequest accepts any of several `from` statuses', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock(), { status: 'approved' })
      await storage.createAuthRequest(record, 60)
      const next = await storage.transitionAuthRequest(record.id, ['pending', 'approved'], { status: 'expired' })
      assert.equal(next?.status, 'expired')
    }))

    it('transitionAuthRequest changes nothing when the status does not match', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock())
      await storage.createAuthRequest(record, 60)
      const grantToken = token(time.clock(), record.id)
      const outbox = delivery(time.clock(), { authReqId: record.id, nextAttemptAt: Math.floor(time.clock()) - 1 })
      const result = await storage.transitionAuthRequest(record.id, ['approved', 'denied'], { status: 'consumed' }, { tokens: [grantToken], delivery: outbox })
      assert.equal(result, undefined)
      assert.deepEqual(await storage.getAuthRequest(record.id), record)
      assert.equal(await storage.findToken(grantToken.id), undefined, 'effects of a failed transition must not be applied')
      assert.deepEqual(await storage.claimDeliveries(Math.floor(time.clock()) + 10, 10, Math.floor(time.clock()) + 60), [])
    }))

    it('transitionAuthRequest answers undefined for an unknown id and creates nothing', withHarness(async ({ storage }) => {
      const id = newId()
      assert.equal(await storage.transitionAuthRequest(id, ['pending'], { status: 'approved' }), undefined)
      assert.equal(await storage.getAuthRequest(id), undefined)
    }))

    it('a patch key whose value is undefined removes that key; other keys are kept', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock(), { lastPolledAt: Math.floor(time.clock()) })
      await storage.createAuthRequest(record, 60)
      // `undefined` values are how a patch removes keys (the type, under exactOptionalPropertyTypes, needs the cast).
      const patch = {
        status: 'denied',
        denial: { error: 'access_denied', description: 'user said no' },
        clientNotificationToken: undefined,
        bindingMessage: undefined,
      } as unknown as Patch
      const next = await storage.transitionAuthRequest(record.id, ['pending'], patch)
      const expected = { ...without(without(record, 'clientNotificationToken'), 'bindingMessage'), status: 'denied', denial: { error: 'access_denied', description: 'user said no' } }
      assert.deepEqual(next, expected)
      const stored = await storage.getAuthRequest(record.id)
      assert.deepEqual(stored, expected)
      assert.equal(Object.hasOwn(stored ?? {}, 'clientNotificationToken'), false)
    }))

    it('transition effects: tokens and the delivery are stored with the transition', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const record = authRequest(now, { status: 'approved' })
      await storage.createAuthRequest(record, 60)
      const access = token(now, record.id)
      const refresh = token(now, record.id, { kind: 'refresh_token', expiresAt: now + 7200 })
      const outbox = delivery(now, { authReqId: record.id, nextAttemptAt: now })
      const next = await storage.transitionAuthRequest(record.id, ['approved'], { status: 'consumed', updatedAt: now }, { tokens: [access, refresh], delivery: outbox })
      assert.equal(next?.status, 'consumed')
      assert.deepEqual(await storage.findToken(access.id), access)
      assert.deepEqual(await storage.findToken(refresh.id), refresh)
      const claimed = await storage.claimDeliveries(now, 10, now + 30)
      assert.deepEqual(claimed.map((d) => d.id), [outbox.id])
    }))

    it('a consumed request cannot be consumed again', withHarness(async ({ storage, time }) => {
      const record = authRequest(time.clock(), { status: 'approved' })
      await storage.createAuthRequest(record, 60)
      const first = token(time.clock(), record.id)
      const second = token(time.clock(), record.id)
      assert.ok(await storage.transitionAuthRequest(record.id, ['approved'], { status: 'consumed' }, { tokens: [first] }))
      assert.equal(await storage.transitionAuthRequest(record.id, ['approved'], { status: 'consumed' }, { tokens: [second] }), undefined)
      assert.equal(await storage.findToken(second.id), undefined)
    }))
  })
}

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DeliveryRecord } from '@ciba-kit/core'
import { delivery, newId } from '../fixtures.js'
import type { WithHarness } from '../harness.js'

/** The record a claim hands out, compared without `nextAttemptAt` (before or after the lease: both are fine). */
function withoutSchedule(record: DeliveryRecord): Omit<DeliveryRecord, 'nextAttemptAt'> {
  const { nextAttemptAt: _n, ...rest } = record
  return rest
}

function ids(records: readonly DeliveryRecord[]): string[] {
  return records.map((r) => r.id).sort()
}

/** enqueueDelivery, claimDeliveries, rescheduleDelivery, removeDelivery (single caller). */
export function deliverySuite(withHarness: WithHarness): void {
  describe('deliveries', () => {
    it('claimDeliveries hands out due deliveries, as enqueued, and not those due later', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const due = [delivery(now, { nextAttemptAt: now - 5 }), delivery(now, { nextAttemptAt: now, kind: 'push', lastError: 'x' })]
      const later = delivery(now, { nextAttemptAt: now + 1 })
      for (const d of [...due, later]) await storage.enqueueDelivery(d)
      const claimed = await storage.claimDeliveries(now, 10, now + 30)
      assert.deepEqual(ids(claimed), ids(due))
      for (const d of due) assert.deepEqual(withoutSchedule(claimed.find((c) => c.id === d.id) ?? d), withoutSchedule(d))
    }))

    it('a claimed delivery is invisible until its lease lapses, then handed out again', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const d = delivery(now)
      await storage.enqueueDelivery(d)
      assert.deepEqual(ids(await storage.claimDeliveries(now, 10, now + 30)), [d.id])
      assert.deepEqual(await storage.claimDeliveries(now, 10, now + 30), [])
      assert.deepEqual(await storage.claimDeliveries(now + 29, 10, now + 60), [])
      const again = await storage.claimDeliveries(now + 30, 10, now + 60)
      assert.deepEqual(ids(again), [d.id], 'a crashed claimer’s delivery comes back after the lease')
    }))

    it('claimDeliveries returns at most `limit` deliveries and leaves the rest due', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const all = Array.from({ length: 5 }, (_, i) => delivery(now, { nextAttemptAt: now - i }))
      for (const d of all) await storage.enqueueDelivery(d)
      const first = await storage.claimDeliveries(now, 3, now + 30)
      assert.equal(first.length, 3)
      const second = await storage.claimDeliveries(now, 3, now + 30)
      assert.equal(second.length, 2)
      assert.deepEqual([...ids(first), ...ids(second)].sort(), ids(all))
      assert.deepEqual(await storage.claimDeliveries(now, 3, now + 30), [])
    }))

    it('rescheduleDelivery updates attempts, nextAttemptAt and lastError', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const d = delivery(now)
      await storage.enqueueDelivery(d)
      await storage.claimDeliveries(now, 10, now + 30)
      await storage.rescheduleDelivery(d.id, { attempts: 1, nextAttemptAt: now + 4, lastError: 'HTTP 503' })
      assert.deepEqual(await storage.claimDeliveries(now + 3, 10, now + 60), [], 'not due before nextAttemptAt')
      const [again, ...rest] = await storage.claimDeliveries(now + 4, 10, now + 60)
      assert.deepEqual(rest, [])
      assert.ok(again)
      assert.deepEqual(withoutSchedule(again), { ...withoutSchedule(d), attempts: 1, lastError: 'HTTP 503' })
    }))

    it('rescheduleDelivery of an unknown or removed delivery creates nothing', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const d = delivery(now)
      await storage.enqueueDelivery(d)
      await storage.removeDelivery(d.id)
      await storage.rescheduleDelivery(d.id, { attempts: 1, nextAttemptAt: now })
      await storage.rescheduleDelivery(newId(), { attempts: 1, nextAttemptAt: now })
      assert.deepEqual(await storage.claimDeliveries(now + 10, 10, now + 60), [])
    }))

    it('removeDelivery removes it for good (also while leased); removing an unknown id is harmless', withHarness(async ({ storage, time }) => {
      const now = Math.floor(time.clock())
      const kept = delivery(now)
      const leased = delivery(now)
      const idle = delivery(now, { nextAttemptAt: now + 5 })
      for (const d of [kept, leased, idle]) await storage.enqueueDelivery(d)
      await storage.claimDeliveries(now, 10, now + 30)
      await storage.removeDelivery(leased.id)
      await storage.removeDelivery(idle.id)
      await storage.removeDelivery(newId())
      assert.deepEqual(ids(await storage.claimDeliveries(now + 100, 10, now + 200)), [kept.id])
    }))
  })
}

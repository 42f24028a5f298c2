import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { AuthenticationNotice } from '@ciba-kit/core'
import { createDemoDevice, type DeviceApproval, type DeviceDecisions } from '../src/index.js'
import { openSse } from './sse.js'

/** A provider stand-in: records decisions and answers like `provider.approve()`/`deny()`. */
class FakeProvider implements DeviceDecisions {
  readonly calls: Array<{ what: 'approve' | 'deny'; id: string; approval?: DeviceApproval }> = []
  readonly decided = new Set<string>()
  async approve(id: string, approval: DeviceApproval) {
    this.calls.push({ what: 'approve', id, approval })
    return this.#decide(id)
  }
  async deny(id: string) {
    this.calls.push({ what: 'deny', id })
    return this.#decide(id)
  }
  #decide(id: string) {
    if (this.decided.has(id)) return { ok: false as const, reason: 'already_decided' as const }
    this.decided.add(id)
    return { ok: true as const }
  }
}

let clock = 1_000_000
const device = createDemoDevice({ now: () => clock })
let provider = new FakeProvider()
let server: Server
let base: string
let seq = 0

function notice(overrides: Partial<AuthenticationNotice> = {}): AuthenticationNotice {
  seq += 1
  return {
    authReqId: `req-${seq}-${'x'.repeat(22)}`,
    sub: 'alice',
    clientId: 'demo-client',
    clientName: 'Demo Client',
    scope: ['openid', 'profile'],
    bindingMessage: `Pump ${seq}`,
    deliveryMode: 'poll',
    createdAt: clock,
    expiresAt: clock + 120,
    ...overrides,
  }
}

const post = (path: string) => fetch(base + path, { method: 'POST' })

before(async () => {
  server = createServer((req, res) => {
    device.handler(provider)(req, res, () => {
      res.statusCode = 418
      res.end('not mine')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(async () => {
  device.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  provider = new FakeProvider()
  clock += 10_000 // everything from earlier tests is expired now
  device.sweep()
})

describe('demo device API', () => {
  it('lists what the notifier received, with the contract fields, filtered by sub', async () => {
    const a = notice()
    const { bindingMessage: _, ...b } = notice({ sub: 'bob' })
    device.notifier.notify(a)
    device.notifier.notify(b)
    const all = (await (await fetch(`${base}/device/api/requests`)).json()) as Array<Record<string, unknown>>
    assert.deepEqual(all.map((r) => r.id), [a.authReqId, b.authReqId])
    assert.deepEqual(all[0], {
      id: a.authReqId,
      sub: 'alice',
      client_id: 'demo-client',
      client_name: 'Demo Client',
      binding_message: a.bindingMessage,
      scope: 'openid profile',
      acr_values: [],
      delivery_mode: 'poll',
      created_at: a.createdAt,
      expires_at: a.expiresAt,
    })
    assert.equal(all[1]?.binding_message, null)
    const bob = (await (await fetch(`${base}/device/api/requests?sub=bob`)).json()) as Array<Record<string, unknown>>
    assert.deepEqual(bob.map((r) => r.id), [b.authReqId])
  })

  it('approve answers 204 and calls provider.approve with the user; a second approve is 404', async () => {
    const n = notice()
    device.notifier.notify(n)
    const res = await post(`/device/api/requests/${n.authReqId}/approve`)
    assert.equal(res.status, 204)
    assert.deepEqual(provider.calls, [{ what: 'approve', id: n.authReqId, approval: { sub: 'alice', authTime: clock, amr: ['user'] } }])
    assert.deepEqual(device.list(), [])
    assert.equal((await post(`/device/api/requests/${n.authReqId}/approve`)).status, 404)
    assert.equal((await post(`/device/api/requests/${n.authReqId}/deny`)).status, 404)
  })

  it('deny answers 204 and calls provider.deny', async () => {
    const n = notice()
    device.notifier.notify(n)
    assert.equal((await post(`/device/api/requests/${n.authReqId}/deny`)).status, 204)
    assert.deepEqual(provider.calls, [{ what: 'deny', id: n.authReqId }])
  })

  it('an unknown id is 404 and never reaches the provider', async () => {
    assert.equal((await post('/device/api/requests/nope/approve')).status, 404)
    assert.equal((await post('/device/api/requests/nope/deny')).status, 404)
    assert.deepEqual(provider.calls, [])
  })

  it('a request the provider already decided is 404 and leaves the list', async () => {
    const n = notice()
    device.notifier.notify(n)
    provider.decided.add(n.authReqId)
    assert.equal((await post(`/device/api/requests/${n.authReqId}/approve`)).status, 404)
    assert.deepEqual(device.list(), [])
  })

  it('an expired request disappears from the list and cannot be approved', async () => {
    const n = notice({ expiresAt: clock + 30 })
    device.notifier.notify(n)
    assert.equal(device.list().length, 1)
    clock += 30
    assert.deepEqual(device.list(), [])
    assert.equal((await post(`/device/api/requests/${n.authReqId}/approve`)).status, 404)
    assert.deepEqual(provider.calls, [])
  })

  it('concurrent approvals of one request: exactly one 204', async () => {
    const n = notice()
    device.notifier.notify(n)
    const statuses = await Promise.all([1, 2, 3, 4].map(() => post(`/device/api/requests/${n.authReqId}/approve`).then((r) => r.status)))
    assert.deepEqual(statuses.sort(), [204, 404, 404, 404])
  })

  it('wrong methods are 405 and other paths go to next()', async () => {
    assert.equal((await fetch(`${base}/device/api/requests`, { method: 'POST' })).status, 405)
    assert.equal((await fetch(`${base}/device/api/requests/x/approve`)).status, 405)
    assert.equal((await fetch(`${base}/device/api/other`)).status, 404)
    const other = await fetch(`${base}/token`)
    assert.equal(other.status, 418)
    assert.equal(await other.text(), 'not mine')
  })
})

describe('demo device live feed', () => {
  it('sends a snapshot, then added and removed events for the chosen user only', async () => {
    const old = notice()
    device.notifier.notify(old)
    const stream = await openSse(`${base}/device/api/events?sub=alice`)
    try {
      const snapshot = await stream.next()
      assert.equal(snapshot.event, 'snapshot')
      const snap = snapshot.data as { now: number; requests: Array<{ id: string }> }
      assert.equal(snap.now, clock)
      assert.deepEqual(snap.requests.map((r) => r.id), [old.authReqId])

      device.notifier.notify(notice({ sub: 'bob' })) // not for alice: never sent
      const fresh = notice({ expiresAt: clock + 5 })
      device.notifier.notify(fresh)
      const added = await stream.next()
      assert.equal(added.event, 'added')
      assert.equal((added.data as { id: string; binding_message: string }).id, fresh.authReqId)
      assert.equal((added.data as { binding_message: string }).binding_message, fresh.bindingMessage)

      assert.equal((await post(`/device/api/requests/${old.authReqId}/approve`)).status, 204)
      assert.deepEqual((await stream.next()).data, { id: old.authReqId, reason: 'approved' })

      clock += 5
      device.sweep()
      const expired = await stream.next()
      assert.equal(expired.event, 'removed')
      assert.deepEqual(expired.data, { id: fresh.authReqId, reason: 'expired' })
    } finally {
      stream.close()
    }
  })
})

describe('demo device page', () => {
  it('is self-contained, accessible HTML', async () => {
    const res = await fetch(`${base}/device`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    const html = await res.text()
    assert.match(html, /<html lang="en">/)
    assert.match(html, /<legend>I am<\/legend>/)
    assert.match(html, /<label><input type="radio" name="sub" value="alice" checked>/)
    assert.match(html, /aria-live/)
    // Nothing loaded from anywhere else: no external src/href, no @import.
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//)
    assert.doesNotMatch(html, /@import|<link /)
  })
})

// Pure parts of delivery: the back-off schedule and the private-address guard.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelayMs } from '../src/delivery/backoff.js'
import { isPrivateAddress } from '../src/delivery/address-guard.js'

describe('backoffDelayMs', () => {
  const backoff = { baseMs: 100, maxMs: 1000 }
  it('grows exponentially, with jitter over the upper half, capped at maxMs', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, backoff, () => 0)), [50, 100, 200, 400, 500, 500])
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, backoff, () => 0.999999)).map(Math.round), [100, 200, 400, 800, 1000, 1000])
    assert.equal(backoffDelayMs(1000, backoff, () => 0.5), 750)
  })
  it('spreads retries: different random draws give different delays', () => {
    const draws = [0.1, 0.4, 0.7].map((r) => backoffDelayMs(3, backoff, () => r))
    assert.equal(new Set(draws).size, 3)
  })
  it('honours Retry-After within maxMs', () => {
    assert.equal(backoffDelayMs(1, backoff, () => 0, 600), 600)
    assert.equal(backoffDelayMs(1, backoff, () => 0, 60_000), 1000)
    assert.equal(backoffDelayMs(4, backoff, () => 0, 10), 400)
  })
})

describe('isPrivateAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, unique-local and mapped addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
      '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a00:1', 'not-an-ip']) {
      assert.equal(isPrivateAddress(address), true, address)
    }
  })
  it('allows public addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      assert.equal(isPrivateAddress(address), false, address)
    }
  })
})

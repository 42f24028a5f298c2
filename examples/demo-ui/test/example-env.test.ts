import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createDemoUsers, demoClientMetadata, isDemoPath, readExampleEnv } from '../src/index.js'

describe('example configuration', () => {
  it('reads PORT, ISSUER and POLL_INTERVAL with their defaults', () => {
    assert.deepEqual(readExampleEnv({}), { port: 3000, pollInterval: 5 })
    assert.deepEqual(readExampleEnv({ PORT: '8080', POLL_INTERVAL: '2', ISSUER: 'https://op.example.com' }), {
      port: 8080,
      pollInterval: 2,
      issuer: 'https://op.example.com',
    })
    assert.throws(() => readExampleEnv({ PORT: 'eighty' }), /PORT must be an integer/)
    assert.throws(() => readExampleEnv({ POLL_INTERVAL: '0' }), /POLL_INTERVAL must be an integer >= 1/)
  })

  it('resolves the demo login hints and releases claims by scope', () => {
    const users = createDemoUsers()
    const ctx = { client: { client_id: 'demo-client' }, params: {} }
    for (const hint of ['alice', 'alice@example.com', 'ALICE@example.com']) assert.deepEqual(users.findByLoginHint(hint, ctx), { sub: 'alice' })
    for (const hint of ['bob', 'bob@example.com']) assert.deepEqual(users.findByLoginHint(hint, ctx), { sub: 'bob' })
    assert.equal(users.findByLoginHint('mallory', ctx), undefined)
    assert.deepEqual(users.claims('bob', ['openid', 'email'], { clientId: 'demo-client' }), { sub: 'bob', email: 'bob@example.com', email_verified: false })
    assert.deepEqual(users.claims('alice', ['openid'], { clientId: 'demo-client' }), { sub: 'alice' })
  })

  it('describes demo-client as a poll client with the CIBA and refresh_token grants', () => {
    const [poll, ping] = demoClientMetadata({ baseUrl: 'http://localhost:3000', modes: ['poll', 'ping'] })
    assert.equal(poll?.client_id, 'demo-client')
    assert.equal(poll?.client_secret, 'demo-secret')
    assert.equal(poll?.token_endpoint_auth_method, 'client_secret_basic')
    assert.deepEqual(poll?.grant_types, ['urn:openid:params:grant-type:ciba', 'refresh_token'])
    assert.equal(poll?.backchannel_token_delivery_mode, 'poll')
    assert.equal(poll?.require_auth_time, true)
    assert.equal(ping?.backchannel_client_notification_endpoint, 'http://localhost:3000/client/api/notify')
  })

  it('knows which paths are the demo pages', () => {
    for (const p of ['/device', '/device/api/requests', '/client', '/client/api/flows']) assert.equal(isDemoPath(p), true, p)
    for (const p of ['/token', '/devices', '/clients', '/.well-known/openid-configuration']) assert.equal(isDemoPath(p), false, p)
  })
})

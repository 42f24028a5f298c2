// Safety of outbound notifications (CIBA §4, §10): https only (loopback http only in development),
// TLS verified against the trusted CAs, an optional guard against private destinations, checks
// repeated at send time; and the registration rules for ping and push clients.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigurationError, createProvider, MemoryStorage, type ClientMetadata, type DeliveryRecord, type ProviderConfig } from '@ciba-kit/core'
import { CIBA, basic, testKeys } from './helpers/op.js'
import { startHttpReceiver, startHttpsReceiver, type Receiver } from './helpers/https-receiver.js'
import { PING_AUTH, startDeliveryOp } from './helpers/delivery-op.js'

const QUIET = { pollIntervalMs: 3_600_000 }

describe('notification endpoint rules for static clients', () => {
  const base = async (clients: ClientMetadata[], extra: Partial<ProviderConfig> = {}): Promise<ProviderConfig> => ({
    issuer: 'https://op.example.com',
    signingKeys: await testKeys(),
    users: { findByLoginHint: () => undefined, claims: () => ({}) },
    notifier: { notify: () => {} },
    deliveryModes: ['poll', 'ping', 'push'],
    clients,
    ...extra,
  })
  const client = (extra: Partial<ClientMetadata>): ClientMetadata => ({ client_id: 'c', client_secret: 's', grant_types: [CIBA], ...extra })
  const rejects = async (name: string, metadata: ClientMetadata, pattern: RegExp, extra: Partial<ProviderConfig> = {}) => {
    const config = await base([metadata], extra)
    assert.throws(() => createProvider(config), (e: unknown) => e instanceof ConfigurationError && pattern.test(e.message), name)
  }
  const accepts = async (metadata: ClientMetadata, extra: Partial<ProviderConfig> = {}) => {
    const provider = createProvider(await base([metadata], { delivery: { worker: false }, ...extra }))
    await provider.close()
  }

  it('requires an https notification endpoint for ping and push clients', async () => {
    await rejects('ping without endpoint', client({ backchannel_token_delivery_mode: 'ping' }), /backchannel_client_notification_endpoint is required for ping/)
    await rejects('push without endpoint', client({ backchannel_token_delivery_mode: 'push' }), /backchannel_client_notification_endpoint is required for push/)
    await rejects('http endpoint', client({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://rp.example.com/cb' }), /must be an https URL/)
    await rejects('http loopback without the development option',
      client({ backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'http://127.0.0.1:9/cb' }), /must be an https URL/)
    await rejects('http off loopback even in development', client({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://rp.example.com/cb' }),
      /must be an https URL/, { development: { allowHttpNotificationEndpoints: true } })
    await accepts(client({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://127.0.0.1:9/cb' }),
      { development: { allowHttpNotificationEndpoints: true } })
    await accepts(client({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'https://rp.example.com/cb' }))
  })

  it('requires the CIBA grant of poll and ping clients, not of push clients', async () => {
    await rejects('poll without grant', client({ grant_types: ['refresh_token'], backchannel_token_delivery_mode: 'poll' }), /grant_types must include urn:openid:params:grant-type:ciba for poll/)
    await rejects('ping without grant', client({ grant_types: ['refresh_token'], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'https://rp.example.com/cb' }),
      /grant_types must include urn:openid:params:grant-type:ciba for ping/)
    await accepts(client({ grant_types: ['refresh_token'], backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://rp.example.com/cb' }))
  })

  it('refuses a mode the OP has not enabled, and discovery lists exactly the enabled modes', async () => {
    await rejects('push not enabled', client({ backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://rp.example.com/cb' }),
      /backchannel_token_delivery_mode push is not enabled/, { deliveryModes: ['poll', 'ping'] })
    for (const modes of [['poll'], ['ping'], ['push'], ['poll', 'push'], ['push', 'ping', 'poll']] as const) {
      const provider = createProvider(await base([], { deliveryModes: modes, delivery: { worker: false } }))
      assert.deepEqual(provider.metadata.backchannel_token_delivery_modes_supported, modes)
      await provider.close()
    }
  })

  it('validates delivery options at start-up', async () => {
    const config = await base([])
    for (const [delivery, message] of [
      [{ timeoutMs: 0 }, /delivery.timeoutMs must be a positive integer/],
      [{ maxAttempts: 1.5 }, /delivery.maxAttempts must be a positive integer/],
      [{ backoff: { baseMs: 500, maxMs: 100 } }, /baseMs must not exceed/],
      [{ ca: 'not a certificate' }, /delivery.ca must be PEM/],
    ] as const) {
      assert.throws(() => createProvider({ ...config, delivery }), (e: unknown) => e instanceof ConfigurationError && message.test(e.message))
    }
    assert.throws(() => createProvider({ ...config, delivery: { ca: 'nope' } }), /delivery.ca must be PEM/)
  })
})

describe('outbound safety at send time', () => {
  let receiver: Receiver
  before(async () => {
    receiver = await startHttpsReceiver()
  })
  after(() => receiver.close())
  const hits = (id: string) => receiver.received.filter((r) => r.body.includes(id))

  it('verifies TLS: without the test CA the receiver is never reached', async () => {
    const op = await startDeliveryOp(receiver.origin, { delivery: { ...QUIET, ca: [] } })
    try {
      const id = await op.start(PING_AUTH, 'tls')
      await op.provider.approve(id)
      const retried = await op.events.next('delivery.retried', id)
      assert.match(retried.reason, /^network_(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/)
      assert.equal(hits(id).length, 0)
    } finally {
      await op.close()
    }
  })

  it('refuses private destinations when the guard is on, by literal address and by name', async () => {
    for (const origin of [receiver.origin, receiver.origin.replace('127.0.0.1', 'localhost')]) {
      const op = await startDeliveryOp(origin, { delivery: { ...QUIET, blockPrivateAddresses: true } })
      try {
        const id = await op.start(PING_AUTH, 'guard')
        await op.provider.approve(id)
        const failed = await op.events.next('delivery.failed', id)
        assert.deepEqual({ reason: failed.reason, attempts: failed.attempts }, { reason: 'address_not_allowed', attempts: 1 }, origin)
        assert.equal(hits(id).length, 0)
      } finally {
        await op.close()
      }
    }
  })

  it('sends over loopback http only with the development option', async () => {
    const http = await startHttpReceiver()
    const op = await startDeliveryOp(http.origin, { development: { allowHttpNotificationEndpoints: true }, delivery: QUIET })
    try {
      const id = await op.start(PING_AUTH, 'dev-http')
      await op.provider.approve(id)
      await op.events.next('delivery.delivered', id)
      assert.equal(http.received[0]?.headers.authorization, 'Bearer dev-http')
    } finally {
      await op.close()
      await http.close()
    }
  })

  it('re-checks the client at send time: a deleted registration gets nothing', async () => {
    const storage = new MemoryStorage()
    const op = await startDeliveryOp(receiver.origin, { storage, delivery: { ...QUIET, worker: false } })
    try {
      await storage.createClient({
        clientId: 'registered-ping', clientSecret: 'reg-secret', createdAt: op.clock.now,
        metadata: { grant_types: [CIBA], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: `${receiver.origin}/reg`, token_endpoint_auth_method: 'client_secret_basic' },
      })
      const id = await op.start(basic('registered-ping', 'reg-secret'), 'reg-bearer')
      await op.provider.approve(id)
      await storage.deleteClient('registered-ping')
      const summary = await op.provider.deliveries.runOnce()
      assert.equal(summary.failed, 1)
      assert.equal(op.events.of('delivery.failed', id)[0]?.reason, 'client_unknown')
      assert.equal(hits(id).length, 0)
    } finally {
      await op.close()
    }
  })

  it('drops an expiry notification whose request was decided, without sending it', async () => {
    const storage = new MemoryStorage()
    const op = await startDeliveryOp(receiver.origin, { storage, delivery: { ...QUIET, worker: false } })
    try {
      const id = await op.start(PING_AUTH, 'stale', { requested_expiry: '30' })
      await op.provider.deny(id)
      await op.provider.deliveries.runOnce()
      assert.equal(hits(id).length, 1) // the denial ping
      // As if removing the expiry notification had failed at decision time:
      const stale: DeliveryRecord = {
        id: 'stale-expiry', authReqId: id, clientId: 'ping-client', kind: 'expiry', endpoint: `${receiver.origin}/ping`,
        notificationToken: 'stale', payload: JSON.stringify({ auth_req_id: id }), attempts: 0,
        nextAttemptAt: op.clock.now + 30, createdAt: op.clock.now + 30, deadline: op.clock.now + 630,
      }
      await storage.enqueueDelivery(stale)
      op.clock.advance(30)
      assert.deepEqual(await op.provider.deliveries.runOnce(), { claimed: 1, delivered: 0, retried: 0, failed: 0, skipped: 1 })
      assert.equal(hits(id).length, 1)
      assert.equal(storage.size.deliveries, 0)
    } finally {
      await op.close()
    }
  })
})

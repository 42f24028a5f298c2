// Ping mode (CIBA §10.2) end to end: a real HTTPS receiver gets {auth_req_id} with the client's
// bearer, and oauth4webapi redeems the result at the token endpoint as in poll mode.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as oauth from 'oauth4webapi'
import { MemoryStorage } from '@ciba-kit/core'
import { CIBA } from './helpers/op.js'
import { startHttpsReceiver, type Receiver } from './helpers/https-receiver.js'
import { PING_AUTH, startDeliveryOp, type DeliveryOp } from './helpers/delivery-op.js'

describe('ping delivery', () => {
  let receiver: Receiver
  let op: DeliveryOp
  let storage: MemoryStorage
  before(async () => {
    receiver = await startHttpsReceiver()
    storage = new MemoryStorage({ clock: () => op.clock.now })
    op = await startDeliveryOp(receiver.origin, { storage })
  })
  after(async () => {
    await op.close()
    await receiver.close()
  })

  const pings = (id: string) => receiver.received.filter((r) => r.path === '/ping' && r.body.includes(id))

  it('requires a client_notification_token with b64token syntax of at most 1024 characters', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /client_notification_token is required/],
      [{ client_notification_token: 'has space' }, /client_notification_token has invalid syntax/],
      [{ client_notification_token: 'a'.repeat(1025) }, /client_notification_token is too long/],
      [{ client_notification_token: '=abc' }, /invalid syntax/],
    ]
    for (const [extra, description] of cases) {
      const res = await op.bc({ scope: 'openid', login_hint: 'alice', ...extra }, PING_AUTH)
      assert.equal(res.status, 400)
      assert.equal(res.body.error, 'invalid_request')
      assert.match(res.body.error_description as string, description)
    }
    assert.equal((await op.bc({ scope: 'openid', login_hint: 'alice', client_notification_token: 'a'.repeat(1024) }, PING_AUTH)).status, 200)
    assert.equal((await op.bc({ scope: 'openid', login_hint: 'alice', client_notification_token: 'Ab-._~+/9==' }, PING_AUTH)).status, 200)
  })

  it('pings after approval only, with the bearer; oauth4webapi then redeems once', async () => {
    const notificationToken = 'ping-Secret.token_' + 'x'.repeat(40)
    // Through a real client library: discovery, backchannel request, then the token request.
    const issuer = new URL(op.issuer)
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }))
    assert.deepEqual(as.backchannel_token_delivery_modes_supported, ['poll', 'ping', 'push'])
    const client: oauth.Client = { client_id: 'ping-client' }
    const auth = oauth.ClientSecretBasic('ping-secret')
    const opts = { [oauth.allowInsecureRequests]: true }
    const started = await oauth.processBackchannelAuthenticationResponse(as, client,
      await oauth.backchannelAuthenticationRequest(as, client, auth, { scope: 'openid email', login_hint: 'alice', client_notification_token: notificationToken }, opts))
    const id = started.auth_req_id
    assert.equal(started.interval, 5) // ping clients may poll too (CIBA §7.3)

    // No result yet: nothing is sent, however often the worker runs.
    await op.provider.deliveries.runOnce()
    assert.equal(pings(id).length, 0)
    // The token is kept for the delivery, sealed (compact JWE, dir + A256GCM): a storage dump does not reveal it.
    const sealed = (await storage.getAuthRequest(id))?.clientNotificationToken
    assert.equal(sealed?.split('.').length, 5)
    assert.equal(sealed?.includes(notificationToken), false)
    assert.deepEqual(JSON.parse(Buffer.from(sealed!.split('.')[0]!, 'base64url').toString()).enc, 'A256GCM')
    const queued = storage.size.deliveries // includes this request's expiry notification

    const approved = await op.provider.approve(id, { acr: 'urn:acr:pin' })
    assert.deepEqual(approved, { ok: true })
    await op.events.next('delivery.delivered', id)
    const [ping] = pings(id)
    assert.ok(ping)
    assert.equal(ping.method, 'POST')
    assert.equal(ping.headers.authorization, `Bearer ${notificationToken}`)
    assert.match(ping.headers['content-type'] ?? '', /^application\/json/)
    assert.deepEqual(JSON.parse(ping.body), { auth_req_id: id })
    assert.equal(pings(id).length, 1)
    assert.equal(op.events.of('delivery.delivered', id)[0]?.attempts, 1)

    // The secret is gone from storage once delivered: not on the request, and neither the ping nor
    // the expiry notification is left in the outbox.
    assert.equal((await storage.getAuthRequest(id))?.clientNotificationToken, undefined)
    assert.equal(storage.size.deliveries, queued - 1)

    const tokens = await oauth.processBackchannelAuthenticationGrantResponse(as, client,
      await oauth.backchannelAuthenticationGrantRequest(as, client, auth, id, opts))
    assert.equal(tokens.token_type, 'bearer')
    assert.equal(typeof tokens.access_token, 'string')
    const claims = oauth.getValidatedIdTokenClaims(tokens)!
    assert.equal(claims.sub, 'alice')
    assert.equal(claims.acr, 'urn:acr:pin')

    // A redeemed auth_req_id cannot be redeemed again.
    const again = await op.token({ grant_type: CIBA, auth_req_id: id }, PING_AUTH)
    assert.equal(again.status, 400)
    assert.equal(again.body.error, 'invalid_grant')
    assert.equal(pings(id).length, 1)
  })

  it('pings on denial; the token endpoint then answers access_denied', async () => {
    const id = await op.start(PING_AUTH, 'deny-token')
    assert.deepEqual(await op.provider.deny(id), { ok: true })
    await op.events.next('delivery.delivered', id)
    assert.deepEqual(JSON.parse(pings(id)[0]!.body), { auth_req_id: id })
    assert.equal(pings(id)[0]!.headers.authorization, 'Bearer deny-token')
    const res = await op.token({ grant_type: CIBA, auth_req_id: id }, PING_AUTH)
    assert.equal(res.body.error, 'access_denied')
  })

  it('pings on expiry; the token endpoint then answers expired_token', async () => {
    const id = await op.start(PING_AUTH, 'expiry-token', { requested_expiry: '60' })
    op.clock.advance(59)
    await op.provider.deliveries.runOnce()
    assert.equal(pings(id).length, 0, 'not before expiresAt')
    op.clock.advance(1)
    const summary = await op.provider.deliveries.runOnce()
    assert.equal(summary.delivered, 1)
    assert.deepEqual(JSON.parse(pings(id)[0]!.body), { auth_req_id: id })
    assert.equal(pings(id)[0]!.headers.authorization, 'Bearer expiry-token')
    const record = await storage.getAuthRequest(id)
    assert.equal(record?.status, 'expired')
    assert.equal(record?.clientNotificationToken, undefined)
    assert.equal((await op.token({ grant_type: CIBA, auth_req_id: id }, PING_AUTH)).body.error, 'expired_token')
    // Too late to decide.
    assert.deepEqual(await op.provider.approve(id), { ok: false, reason: 'expired' })
  })

  it('sends no expiry ping for a decided request', async () => {
    const id = await op.start(PING_AUTH, 'decided-token', { requested_expiry: '30' })
    await op.provider.approve(id)
    await op.events.next('delivery.delivered', id)
    op.clock.advance(31)
    await op.provider.deliveries.runOnce()
    assert.equal(pings(id).length, 1)
  })

  it('never puts a client_notification_token in an event', () => {
    const text = JSON.stringify(op.events.entries)
    for (const secret of ['ping-Secret.token_', 'deny-token', 'expiry-token', 'decided-token']) assert.equal(text.includes(secret), false, secret)
    assert.ok(op.events.of('delivery.delivered').length >= 4)
  })
})

// Push mode (CIBA §10.3): tokens or the error payload POSTed to a real HTTPS receiver. The ID
// token's hashes are recomputed here from the pushed values, independently of the provider.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { MemoryStorage } from '@ciba-kit/core'
import { CIBA } from './helpers/op.js'
import { startHttpsReceiver, type Receiver } from './helpers/https-receiver.js'
import { PUSH_AUTH, PUSH_LITE_AUTH, startDeliveryOp, type DeliveryOp } from './helpers/delivery-op.js'

/** OIDC Core §3.1.3.6: base64url of the left half of the hash of the ASCII value. */
function halfHash(value: string, hash: 'sha256' | 'sha512'): string {
  const digest = createHash(hash).update(Buffer.from(value, 'ascii')).digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

describe('push delivery', () => {
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

  const pushed = (path: string, id: string) => receiver.received.filter((r) => r.path === path && r.body.includes(id))
  const verify = async (jwt: string): Promise<JWTPayload> =>
    (await jwtVerify(jwt, createLocalJWKSet(await op.provider.jwks() as { keys: never[] }), { issuer: op.issuer })).payload

  it('answers a push client without interval and never lets it use the CIBA grant', async () => {
    const res = await op.bc({ scope: 'openid', login_hint: 'alice', client_notification_token: 'tok' }, PUSH_AUTH)
    assert.equal(res.status, 200)
    assert.equal('interval' in res.body, false)
    const token = await op.token({ grant_type: CIBA, auth_req_id: res.body.auth_req_id as string }, PUSH_AUTH)
    assert.equal(token.status, 400)
    assert.equal(token.body.error, 'unauthorized_client')
    const missing = await op.bc({ scope: 'openid', login_hint: 'alice' }, PUSH_AUTH)
    assert.equal(missing.body.error, 'invalid_request')
  })

  it('pushes the tokens with auth_req_id, at_hash and rt_hash in the ID token', async () => {
    const id = await op.start(PUSH_AUTH, 'push-bearer-1', { scope: 'openid email' })
    const approved = await op.provider.approve(id, { acr: 'urn:acr:bio', amr: ['fpt'], authTime: op.clock.now - 5 })
    assert.deepEqual(approved, { ok: true })
    await op.events.next('delivery.delivered', id)
    const [push] = pushed('/push', id)
    assert.ok(push)
    assert.equal(push.method, 'POST')
    assert.equal(push.headers.authorization, 'Bearer push-bearer-1')
    assert.match(push.headers['content-type'] ?? '', /^application\/json/)
    const body = JSON.parse(push.body) as Record<string, unknown>
    assert.equal(body.auth_req_id, id)
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, 3600)
    assert.equal(typeof body.access_token, 'string')
    assert.equal(typeof body.refresh_token, 'string')
    const claims = await verify(body.id_token as string)
    assert.equal(claims.sub, 'alice')
    assert.equal(claims.aud, 'push-client')
    assert.equal(claims.acr, 'urn:acr:bio')
    assert.deepEqual(claims.amr, ['fpt'])
    assert.equal(claims.auth_time, op.clock.now - 5)
    assert.equal(claims['urn:openid:params:jwt:claim:auth_req_id'], id)
    assert.equal(claims.at_hash, halfHash(body.access_token as string, 'sha256'))
    assert.equal(claims['urn:openid:params:jwt:claim:rt_hash'], halfHash(body.refresh_token as string, 'sha256'))

    // The pushed tokens are live: userinfo answers, and the refresh token rotates.
    const info = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${body.access_token as string}` } })
    assert.equal(info.status, 200)
    assert.deepEqual(await info.json(), { sub: 'alice', email: 'alice@example.com' })
    const refreshed = await op.token({ grant_type: 'refresh_token', refresh_token: body.refresh_token as string }, PUSH_AUTH)
    assert.equal(refreshed.status, 200)

    // Redeemed by the push itself; deciding again is refused.
    assert.equal((await storage.getAuthRequest(id))?.status, 'consumed')
    assert.equal((await storage.getAuthRequest(id))?.clientNotificationToken, undefined)
    assert.deepEqual(await op.provider.deny(id), { ok: false, reason: 'already_decided' })
    assert.equal(pushed('/push', id).length, 1)
  })

  it('omits refresh_token and rt_hash when the client has no refresh grant; hashes follow the ID token alg', async () => {
    const id = await op.start(PUSH_LITE_AUTH, 'lite-bearer')
    await op.provider.approve(id)
    await op.events.next('delivery.delivered', id)
    const body = JSON.parse(pushed('/push-lite', id)[0]!.body) as Record<string, unknown>
    assert.equal('refresh_token' in body, false)
    const header = JSON.parse(Buffer.from((body.id_token as string).split('.')[0]!, 'base64url').toString()) as { alg: string }
    assert.equal(header.alg, 'EdDSA')
    const claims = await verify(body.id_token as string)
    assert.equal(claims.at_hash, halfHash(body.access_token as string, 'sha512'))
    assert.equal('urn:openid:params:jwt:claim:rt_hash' in claims, false)
    assert.equal(claims['urn:openid:params:jwt:claim:auth_req_id'], id)
  })

  it('pushes access_denied and transaction_failed error payloads with auth_req_id', async () => {
    const denied = await op.start(PUSH_AUTH, 'deny-bearer')
    await op.provider.deny(denied)
    await op.events.next('delivery.delivered', denied)
    const a = JSON.parse(pushed('/push', denied)[0]!.body) as Record<string, unknown>
    assert.deepEqual(Object.keys(a).sort(), ['auth_req_id', 'error', 'error_description'])
    assert.equal(a.error, 'access_denied')
    assert.equal(a.auth_req_id, denied)
    assert.equal(pushed('/push', denied)[0]!.headers.authorization, 'Bearer deny-bearer')

    const failed = await op.start(PUSH_AUTH, 'fail-bearer')
    await op.provider.deny(failed, { error: 'transaction_failed', description: 'risk check failed' })
    await op.events.next('delivery.delivered', failed)
    assert.deepEqual(JSON.parse(pushed('/push', failed)[0]!.body), { error: 'transaction_failed', error_description: 'risk check failed', auth_req_id: failed })
  })

  it('pushes expired_token when the request expires undecided', async () => {
    const id = await op.start(PUSH_AUTH, 'expire-bearer', { requested_expiry: '45' })
    op.clock.advance(45)
    await op.provider.deliveries.runOnce()
    const [push] = pushed('/push', id)
    assert.ok(push)
    assert.equal(push.headers.authorization, 'Bearer expire-bearer')
    const body = JSON.parse(push.body) as Record<string, unknown>
    assert.equal(body.error, 'expired_token')
    assert.equal(body.auth_req_id, id)
    assert.equal(typeof body.error_description, 'string')
    assert.deepEqual(await op.provider.approve(id), { ok: false, reason: 'expired' })
  })

  it('keeps token values and notification tokens out of events', () => {
    const text = JSON.stringify(op.events.entries)
    for (const secret of ['push-bearer-1', 'lite-bearer', 'deny-bearer', 'expire-bearer', 'access_token', 'eyJ']) {
      assert.equal(text.includes(secret), false, secret)
    }
    assert.ok(op.events.entries.some((e) => e.name === 'tokens.issued'))
  })
})

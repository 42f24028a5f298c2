// Secrets storage must keep readable (notification tokens, pushed token responses) are sealed at
// rest: a storage dump shows JWEs, and only a sealer with the right key opens them.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import { ConfigurationError, createProvider, MemoryStorage, type NeutralRequest } from '@ciba-kit/core'
import { createSealer, deriveSealingKeys } from '../src/storage/sealing.js'

const CIBA = 'urn:openid:params:grant-type:ciba'
const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const signingKey = { ...(await exportJWK(privateKey)), kid: 'k1' }

describe('sealer', () => {
  it('round-trips, hides the plaintext, and opens with any configured key (rotation)', async () => {
    const oldKey = new Uint8Array(randomBytes(32))
    const newKey = new Uint8Array(randomBytes(32))
    const sealed = await createSealer([oldKey]).seal('secret-value')
    assert.equal(sealed.split('.').length, 5)
    assert.equal(sealed.includes('secret-value'), false)
    assert.equal(await createSealer([newKey, oldKey]).open(sealed), 'secret-value')
    await assert.rejects(createSealer([newKey]).open(sealed), /unknown key/)
  })

  it('rejects keys that are not 256 bits, and derives stable keys from signing keys', () => {
    assert.throws(() => createSealer([new Uint8Array(16)]), ConfigurationError)
    assert.throws(() => createSealer([]), ConfigurationError)
    assert.deepEqual(deriveSealingKeys([signingKey]), deriveSealingKeys([signingKey]))
    assert.equal(deriveSealingKeys([signingKey])[0]!.byteLength, 32)
  })
})

describe('what storage holds for push clients', () => {
  it('keeps the notification token and the pushed tokens sealed until the worker sends them', async () => {
    const storage = new MemoryStorage()
    const provider = createProvider({
      issuer: 'https://op.example.com',
      signingKeys: [signingKey],
      storage,
      deliveryModes: ['poll', 'push'],
      delivery: { worker: false },
      clients: [{
        client_id: 'pusher', client_secret: 's', grant_types: [CIBA, 'refresh_token'], id_token_signed_response_alg: 'ES256',
        backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://client.example/cb',
      }],
      users: { findByLoginHint: (hint) => ({ sub: hint }), claims: () => ({}) },
      notifier: { notify() {} },
    })
    const req: NeutralRequest = {
      method: 'POST',
      path: '/backchannel-authentication',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from('pusher:s').toString('base64') },
      body: 'scope=openid&login_hint=alice&client_notification_token=very-secret-notification-token',
    }
    const { auth_req_id } = JSON.parse((await provider.handle(req))!.body!) as { auth_req_id: string }
    assert.deepEqual(await provider.approve(auth_req_id), { ok: true })

    const now = Math.floor(Date.now() / 1000) + 1
    const queued = await storage.claimDeliveries(now + 10_000, 10, now + 20_000) // includes the expiry notification
    const push = queued.find((d) => d.kind === 'push')!
    const dump = JSON.stringify(queued) + JSON.stringify(await storage.getAuthRequest(auth_req_id))
    assert.equal(dump.includes('very-secret-notification-token'), false)
    assert.equal(dump.includes('access_token'), false)

    const sealer = createSealer(deriveSealingKeys([signingKey]))
    assert.equal(await sealer.open(push.notificationToken), 'very-secret-notification-token')
    const body = JSON.parse(await sealer.open(push.payload)) as Record<string, unknown>
    assert.equal(body.auth_req_id, auth_req_id)
    assert.equal(typeof body.access_token, 'string')
    assert.equal(typeof body.id_token, 'string')
    await provider.close()
  })
})

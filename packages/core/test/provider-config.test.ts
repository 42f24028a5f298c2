// createProvider() validates configuration at start-up, signs with every supported key type,
// and keeps memory bounded. Calls the provider's handlers directly (no server).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose'
import { ConfigurationError, createProvider, MemoryStorage, type NeutralRequest, type ProviderConfig } from '@ciba-kit/core'

const CIBA = 'urn:openid:params:grant-type:ciba'

async function privateJwk(alg: string, opts: Record<string, unknown> = {}): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { ...opts, extractable: true })
  return exportJWK(privateKey)
}

const rsa = await privateJwk('RS256')
const base = (): ProviderConfig => ({
  issuer: 'https://op.example.com',
  signingKeys: [{ ...rsa, kid: 'k1' }],
  users: { findByLoginHint: (hint) => ({ sub: hint }), claims: () => ({}) },
  notifier: { notify() {} },
})

const form = (path: string, params: Record<string, string>, auth?: string): NeutralRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === undefined ? {} : { authorization: auth }) },
  body: new URLSearchParams(params).toString(),
})
const basic = (id: string, secret: string) => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64')

describe('configuration is validated at start-up', () => {
  const cases: Array<[string, (c: ProviderConfig) => unknown, RegExp]> = [
    ['missing issuer', (c) => ({ ...c, issuer: undefined }), /issuer is required/],
    ['issuer with a query', (c) => ({ ...c, issuer: 'https://op.example.com/?x=1' }), /query or fragment/],
    ['plain http issuer off loopback', (c) => ({ ...c, issuer: 'http://op.example.com' }), /https/],
    ['no signing keys', (c) => ({ ...c, signingKeys: [] }), /at least one private JWK/],
    ['a public key as signing key', (c) => ({ ...c, signingKeys: [{ kty: 'RSA', n: rsa.n, e: rsa.e }] }), /public key/],
    ['a symmetric key', (c) => ({ ...c, signingKeys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /symmetric/],
    ['a user resolver without claims()', (c) => ({ ...c, users: { findByLoginHint: () => undefined } }), /claims/],
    ['no notifier', (c) => ({ ...c, notifier: undefined }), /notifier/],
    ['client_secret_basic without a secret', (c) => ({ ...c, clients: [{ client_id: 'a', token_endpoint_auth_method: 'client_secret_basic' }] }), /clients\[0\]: client_secret is required/],
    ['duplicate client ids', (c) => ({ ...c, clients: [{ client_id: 'a', client_secret: 's' }, { client_id: 'a', client_secret: 's' }] }), /duplicate client_id/],
    ['a delivery mode that is not enabled', (c) => ({ ...c, clients: [{ client_id: 'a', client_secret: 's', backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://c.example/cb' }] }), /not enabled/],
    ['an id token alg without a key', (c) => ({ ...c, clients: [{ client_id: 'a', client_secret: 's', id_token_signed_response_alg: 'ES256' }] }), /ES256 is not supported/],
    ['requested expiry bounds out of order', (c) => ({ ...c, requestedExpiry: { min: 100, max: 50 } }), /min <= default <= max/],
    // NaN (an unset environment variable through Number()) would make every JWT time check pass.
    ['a clock skew that is not a number', (c) => ({ ...c, clockSkew: Number(undefined) }), /clockSkew must be an integer from 0 to 300/],
    ['a clock skew given as a string', (c) => ({ ...c, clockSkew: '30' }), /clockSkew must be an integer/],
    ['a negative clock skew', (c) => ({ ...c, clockSkew: -1 }), /clockSkew must be an integer/],
    ['a clock skew of more than 5 minutes', (c) => ({ ...c, clockSkew: 3600 }), /clockSkew must be an integer from 0 to 300/],
  ]
  for (const [name, mutate, message] of cases) {
    it(`rejects ${name}`, () => {
      assert.throws(() => createProvider(mutate(base()) as ProviderConfig), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError, String(error))
        assert.match(error.message, message)
        assert.doesNotMatch(error.message, new RegExp(rsa.d!.slice(0, 12))) // never prints key material
        return true
      })
    })
  }

  it('does not mutate the caller\'s configuration', () => {
    const config = base()
    const frozen = structuredClone({ ...config, users: undefined, notifier: undefined })
    createProvider(config)
    assert.deepEqual({ ...config, users: undefined, notifier: undefined }, frozen)
  })
})

describe('signing keys', () => {
  it('signs ID tokens with RS256, PS256, ES256 and EdDSA keys and derives missing kids from the thumbprint', async () => {
    const ec = await privateJwk('ES256')
    const ed = await privateJwk('EdDSA', { crv: 'Ed25519' })
    const algs = ['RS256', 'PS256', 'ES256', 'EdDSA']
    const provider = createProvider({
      ...base(),
      signingKeys: [rsa, ec, ed], // no kid on any of them
      clients: algs.map((alg) => ({ client_id: alg, client_secret: 's', grant_types: [CIBA], id_token_signed_response_alg: alg })),
    })
    const jwks = await provider.jwks()
    assert.deepEqual(jwks.keys.map((k) => k.kid), [
      await calculateJwkThumbprint(rsa), await calculateJwkThumbprint(ec), await calculateJwkThumbprint(ed),
    ])
    for (const alg of algs) {
      const started = await provider.handle(form('/backchannel-authentication', { scope: 'openid', login_hint: 'u1' }, basic(alg, 's')))
      const { auth_req_id } = JSON.parse(started!.body!) as { auth_req_id: string }
      assert.deepEqual(await provider.approve(auth_req_id), { ok: true })
      const res = await provider.handle(form('/token', { grant_type: CIBA, auth_req_id }, basic(alg, 's')))
      assert.equal(res?.status, 200, res?.body)
      const { id_token } = JSON.parse(res!.body!) as { id_token: string }
      const { protectedHeader, payload } = await jwtVerify(id_token, createLocalJWKSet(jwks as { keys: JWK[] }), { issuer: 'https://op.example.com', audience: alg })
      assert.equal(protectedHeader.alg, alg)
      assert.equal(payload.sub, 'u1')
    }
  })
})

describe('token requests for other grant types', () => {
  it('are handed back to the host by default, and answered unsupported_grant_type on request', async () => {
    const clients = [{ client_id: 'c', client_secret: 's', grant_types: [CIBA] }]
    const passing = createProvider({ ...base(), clients })
    assert.equal(await passing.handle(form('/token', { grant_type: 'client_credentials' }, basic('c', 's'))), undefined)
    const rejecting = createProvider({ ...base(), clients, otherGrantTypes: 'reject' })
    const res = await rejecting.handle(form('/token', { grant_type: 'client_credentials' }, basic('c', 's')))
    assert.equal(res?.status, 400)
    assert.equal(JSON.parse(res!.body!).error, 'unsupported_grant_type')
    assert.throws(() => createProvider({ ...base(), otherGrantTypes: 'drop' as never }), /otherGrantTypes/)
  })
})

describe('memory stays bounded', () => {
  it('sweeps expired requests and tokens without a full pass', async () => {
    let now = 1_000_000
    const storage = new MemoryStorage({ clock: () => now })
    const provider = createProvider({ ...base(), clock: () => now, storage, expiredRetention: 60, clients: [{ client_id: 'c', client_secret: 's', grant_types: [CIBA] }] })
    for (let i = 0; i < 200; i++) {
      const res = await provider.handle(form('/backchannel-authentication', { scope: 'openid', login_hint: `u${i}`, requested_expiry: '30' }, basic('c', 's')))
      assert.equal(res?.status, 200)
    }
    assert.equal(storage.size.authRequests, 200)
    now += 30 + 60 + 1 // past expiry and retention
    // Each write sweeps a bounded batch; a handful of writes clear everything.
    for (let i = 0; i < 10; i++) await storage.markOnce(`k${i}`, now + 1)
    assert.equal(storage.size.authRequests, 0)
    assert.equal(storage.size.scheduled, 10)
  })
})

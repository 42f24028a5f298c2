// Dynamic Client Registration (RFC 7591, CIBA Core §4): the seed's request, one test per metadata rule,
// initial access tokens and configuration. Calls the provider's router directly (no server).
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { ConfigurationError, createProvider, MemoryStorage, OAuthError, type CibaProvider, type ProviderConfig } from '@ciba-kit/core'
import { CIBA, CLIENTS, TestClock, testKeys } from './helpers/op.js'
import { bearer, callJson, SEED_REGISTRATION_BODY } from './helpers/registration.js'

const ISSUER = 'https://op.example.com'
const NOTIFY = 'https://rp.example.com/cb'
let keys: Awaited<ReturnType<typeof testKeys>>
before(async () => {
  keys = await testKeys()
})

/** Counts client writes, so a test can show a rejected request stored nothing. */
class CountingStorage extends MemoryStorage {
  writes = 0
  override async createClient(record: Parameters<MemoryStorage['createClient']>[0]): Promise<boolean> {
    this.writes++
    return super.createClient(record)
  }
  override async updateClient(record: Parameters<MemoryStorage['updateClient']>[0], expectedRevision: number): Promise<boolean> {
    this.writes++
    return super.updateClient(record, expectedRevision)
  }
}

/** Config overrides; `undefined` removes a default of {@link op} (e.g. `registration: undefined` disables it). */
type Overrides = { [K in keyof ProviderConfig]?: ProviderConfig[K] | undefined }

function op(overrides: Overrides = {}): { provider: CibaProvider; storage: CountingStorage; clock: TestClock } {
  const clock = new TestClock()
  const storage = new CountingStorage({ clock: clock.fn })
  const provider = createProvider({
    issuer: ISSUER,
    signingKeys: keys,
    clients: CLIENTS,
    storage,
    users: { findByLoginHint: (hint) => ({ sub: hint }), claims: () => ({}) },
    notifier: { notify() {} },
    deliveryModes: ['poll', 'ping', 'push'],
    registration: { open: true },
    clock: clock.fn,
    ...overrides,
  } as ProviderConfig)
  return { provider, storage, clock }
}

const register = (provider: CibaProvider, body: unknown, headers: Record<string, string> = {}) => callJson(provider, 'POST', '/register', body, headers)
const poll = (extra: Record<string, unknown> = {}) => ({ grant_types: [CIBA], backchannel_token_delivery_mode: 'poll', ...extra })

describe('registration: the seed request', () => {
  it('accepts the seed\'s exact body with 201 and answers like the seed\'s response', async () => {
    const { provider, storage, clock } = op()
    const res = await register(provider, SEED_REGISTRATION_BODY)
    // RFC 7591 §3.2.1 says 201 Created (the seed's Gluu server answered 200).
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers.pragma, 'no-cache')
    const b = res.body
    for (const [name, value] of Object.entries(JSON.parse(SEED_REGISTRATION_BODY) as Record<string, unknown>)) {
      assert.deepEqual(b[name], value, `${name} is echoed`)
    }
    assert.match(b.client_id as string, /^[A-Za-z0-9_-]{43}$/)
    assert.match(b.client_secret as string, /^[A-Za-z0-9_-]{86}$/) // 512 bits: also a full HS512 key
    assert.match(b.registration_access_token as string, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(b.client_id_issued_at, clock.now)
    assert.equal(b.client_secret_expires_at, 0)
    assert.equal(b.registration_client_uri, `${ISSUER}/register/${b.client_id as string}`)
    assert.equal(b.token_endpoint_auth_method, 'client_secret_basic')
    assert.equal(b.id_token_signed_response_alg, 'RS256')
    // The registration access token is stored only as its hash.
    const record = await storage.getClient(b.client_id as string)
    assert.ok(record)
    assert.equal(record.registrationAccessTokenHash, createHash('sha256').update(b.registration_access_token as string).digest('base64url'))
    assert.ok(!JSON.stringify(record).includes(b.registration_access_token as string))
    assert.equal(record.clientSecret, b.client_secret)
  })

  it('advertises registration_endpoint only when enabled, and serves nothing when disabled', async () => {
    assert.equal(op().provider.metadata.registration_endpoint, `${ISSUER}/register`)
    const disabled = op({ registration: undefined }).provider
    assert.equal('registration_endpoint' in disabled.metadata, false)
    assert.equal(disabled.matches('/register'), false)
    assert.equal(disabled.matches('/register/abc'), false)
    assert.equal((await register(disabled, poll())).body.notMine, true)
  })
})

describe('registration: CIBA Core §4 metadata rules', () => {
  const rejects = (name: string, body: Record<string, unknown>, field: RegExp, overrides: Overrides = {}, error = 'invalid_client_metadata') =>
    it(`rejects ${name}`, async () => {
      const { provider, storage } = op(overrides)
      const res = await register(provider, body)
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error, error)
      assert.match(res.body.error_description as string, field)
      assert.equal(res.headers['cache-control'], 'no-store')
      assert.equal(storage.writes, 0, 'nothing stored')
    })
  const accepts = (name: string, body: Record<string, unknown>, overrides: Overrides = {}) =>
    it(`accepts ${name}`, async () => {
      const res = await register(op(overrides).provider, body)
      assert.equal(res.status, 201, JSON.stringify(res.body))
    })

  rejects('a CIBA client without backchannel_token_delivery_mode', { grant_types: [CIBA] }, /^backchannel_token_delivery_mode is required/)
  rejects('a client without grant_types nor delivery mode', {}, /^backchannel_token_delivery_mode is required/)
  rejects('a delivery mode that is not a CIBA mode', poll({ backchannel_token_delivery_mode: 'pigeon' }), /^backchannel_token_delivery_mode /)
  rejects('a delivery mode the OP has not enabled', poll({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: NOTIFY }),
    /^backchannel_token_delivery_mode ping is not enabled/, { deliveryModes: ['poll'] })
  rejects('ping without a notification endpoint', poll({ backchannel_token_delivery_mode: 'ping' }), /^backchannel_client_notification_endpoint is required for ping/)
  rejects('push without a notification endpoint', { backchannel_token_delivery_mode: 'push' }, /^backchannel_client_notification_endpoint is required for push/)
  rejects('an http notification endpoint', poll({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://rp.example.com/cb' }),
    /^backchannel_client_notification_endpoint must be an https URL/)
  rejects('an http notification endpoint off loopback even in development', poll({ backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'http://rp.example.com/cb' }),
    /^backchannel_client_notification_endpoint must be an https URL/, { development: { allowHttpNotificationEndpoints: true } })
  accepts('an http loopback notification endpoint in development', poll({ backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://127.0.0.1:9/cb' }),
    { development: { allowHttpNotificationEndpoints: true } })
  rejects('a notification endpoint that is not a URL, even for poll', poll({ backchannel_client_notification_endpoint: 'not a url' }), /^backchannel_client_notification_endpoint must be an https URL/)
  rejects('a poll client without the CIBA grant', { grant_types: ['refresh_token'], backchannel_token_delivery_mode: 'poll' }, /^grant_types must include urn:openid:params:grant-type:ciba for poll/)
  rejects('a ping client without the CIBA grant', { grant_types: ['refresh_token'], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: NOTIFY },
    /^grant_types must include urn:openid:params:grant-type:ciba for ping/)
  accepts('a push client without the CIBA grant', { grant_types: ['refresh_token'], backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: NOTIFY })
  rejects('request signing with none', poll({ backchannel_authentication_request_signing_alg: 'none' }), /^backchannel_authentication_request_signing_alg none is not supported/)
  rejects('request signing with HMAC', poll({ backchannel_authentication_request_signing_alg: 'HS256' }), /^backchannel_authentication_request_signing_alg HS256 is not supported/)
  accepts('request signing with PS256', poll({ backchannel_authentication_request_signing_alg: 'PS256' }))
  rejects('a non-boolean backchannel_user_code_parameter', poll({ backchannel_user_code_parameter: 'yes' }), /^backchannel_user_code_parameter must be boolean/)
  rejects('grant types the OP does not support', poll({ grant_types: [CIBA, 'password'] }), /^grant_types: password is not supported/)
})

describe('registration: generic metadata rules', () => {
  const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }
  const rejects = (name: string, body: Record<string, unknown>, field: RegExp, error = 'invalid_client_metadata', overrides: Overrides = {}) =>
    it(`rejects ${name}`, async () => {
      const res = await register(op(overrides).provider, body)
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error, error)
      assert.match(res.body.error_description as string, field)
    })

  rejects('jwks together with jwks_uri', poll({ jwks: { keys: [jwk] }, jwks_uri: 'https://rp.example.com/jwks' }), /^jwks and jwks_uri are mutually exclusive/)
  rejects('private_key_jwt without keys', poll({ token_endpoint_auth_method: 'private_key_jwt' }), /^private_key_jwt requires jwks or jwks_uri/)
  rejects('a private key in jwks', poll({ jwks: { keys: [{ ...jwk, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' }] } }), /^jwks must hold public keys only/)
  rejects('a symmetric key in jwks', poll({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), /^jwks /)
  rejects('an HMAC assertion alg for private_key_jwt', poll({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, token_endpoint_auth_signing_alg: 'HS256' }),
    /^token_endpoint_auth_signing_alg HS256 is not supported for private_key_jwt/)
  rejects('an asymmetric assertion alg for client_secret_jwt', poll({ token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'RS256' }),
    /^token_endpoint_auth_signing_alg RS256 is not supported for client_secret_jwt/)
  rejects('an assertion alg without a JWT auth method', poll({ token_endpoint_auth_signing_alg: 'RS256' }), /^token_endpoint_auth_signing_alg RS256 is not supported for client_secret_basic/)
  rejects('a jwks_uri that is not https', poll({ jwks_uri: 'http://rp.example.com/jwks' }), /^jwks_uri must be an https URL/)
  rejects('an auth method the OP does not offer', poll({ token_endpoint_auth_method: 'tls_client_auth' }), /^token_endpoint_auth_method tls_client_auth is not supported/)
  rejects('the none auth method (CIBA clients are confidential)', poll({ token_endpoint_auth_method: 'none' }), /^token_endpoint_auth_method none is not supported/)
  rejects('an ID token alg without an OP key', poll({ id_token_signed_response_alg: 'ES384' }), /^id_token_signed_response_alg ES384 is not supported/)
  rejects('unsigned ID tokens', poll({ id_token_signed_response_alg: 'none' }), /^id_token_signed_response_alg none is not supported/)
  rejects('scopes the OP does not offer', poll({ scope: 'openid payments' }), /^scope: payments is not supported/)
  rejects('pairwise subjects', poll({ subject_type: 'pairwise' }), /^subject_type /)
  rejects('ID token encryption', poll({ id_token_encrypted_response_alg: 'RSA-OAEP' }), /^id_token_encrypted_response_alg: ID token encryption is not supported/)
  rejects('response types without their grant', poll({ response_types: ['code'] }), /^response_types: code needs the authorization_code grant/)
  rejects('a malformed redirect URI', poll({ redirect_uris: ['https://rp.example.com/cb#frag'] }), /^redirect_uris must hold absolute URIs/, 'invalid_redirect_uri')
  rejects('a web client with an http redirect URI', poll({ redirect_uris: ['http://rp.example.com/cb'] }), /^redirect_uris of a web client must use https/, 'invalid_redirect_uri')
  rejects('a redirect URI that is not a string', poll({ redirect_uris: [42] }), /^redirect_uris /, 'invalid_redirect_uri')
  rejects('authorization_code without redirect URIs', poll({ grant_types: [CIBA, 'authorization_code'] }), /^redirect_uris is required/, 'invalid_redirect_uri',
    { registration: { open: true, additionalGrantTypes: ['authorization_code'] } })
  rejects('a logo_uri that is not http(s)', poll({ logo_uri: 'javascript:alert(1)' }), /^logo_uri must be an http\(s\) URL/)
  rejects('an over-long client_name', poll({ client_name: 'x'.repeat(256) }), /^client_name /)

  it('registers private_key_jwt clients with keys, without a secret', async () => {
    const res = await register(op().provider, poll({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, token_endpoint_auth_signing_alg: 'ES256' }))
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal('client_secret' in res.body, false)
    assert.equal('client_secret_expires_at' in res.body, false)
    assert.deepEqual(res.body.jwks, { keys: [jwk] })
  })

  it('does not require redirect URIs from CIBA-only clients, and accepts them with a host grant', async () => {
    assert.equal((await register(op().provider, poll())).status, 201)
    const host = op({ registration: { open: true, additionalGrantTypes: ['authorization_code'] } }).provider
    const res = await register(host, poll({ grant_types: [CIBA, 'authorization_code'], redirect_uris: ['https://rp.example.com/cb'], response_types: ['code'] }))
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.deepEqual(res.body.redirect_uris, ['https://rp.example.com/cb'])
  })

  it('drops unknown members, keeps localized names, and never takes server-assigned values', async () => {
    const { provider, storage } = op()
    const res = await register(provider, poll({
      client_name: 'Teller', 'client_name#ja-Jpan-JP': 'テラー', favourite_colour: 'green', __proto__: { admin: true },
      client_id: 'chosen-id', client_secret: 'chosen-secret', registration_access_token: 'chosen-token', client_id_issued_at: 1,
    }))
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body['client_name#ja-Jpan-JP'], 'テラー')
    assert.equal('favourite_colour' in res.body, false)
    assert.equal('admin' in res.body, false)
    assert.notEqual(res.body.client_id, 'chosen-id')
    assert.notEqual(res.body.client_secret, 'chosen-secret')
    assert.notEqual(res.body.registration_access_token, 'chosen-token')
    assert.notEqual(res.body.client_id_issued_at, 1)
    const record = await storage.getClient(res.body.client_id as string)
    assert.equal('favourite_colour' in record!.metadata, false)
  })

  it('never hands out the id of an existing client, even from an injected generator', async () => {
    const ids = ['poll-client', 'host-client', 'fresh-client-id']
    const { provider } = op({
      generateId: () => ids.shift() ?? 'exhausted',
      clientLookup: { find: (id) => (id === 'host-client' ? { client_id: id, client_secret: 'host-secret' } : undefined) },
    })
    const res = await register(provider, poll())
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.client_id, 'fresh-client-id')
  })

  it('fills in defaults and issues no secret to private_key_jwt clients', async () => {
    const res = await register(op().provider, { backchannel_token_delivery_mode: 'poll' })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.deepEqual(res.body.grant_types, [CIBA]) // CIBA, not RFC 7591's authorization_code: no authorization endpoint here
    assert.equal(res.body.application_type, 'web')
    assert.equal(res.body.token_endpoint_auth_method, 'client_secret_basic')
    assert.equal(res.body.id_token_signed_response_alg, 'RS256')
    assert.equal(res.body.backchannel_user_code_parameter, false)
  })

  it('answers malformed requests with JSON errors and stores nothing', async () => {
    const { provider, storage } = op()
    const cases: Array<[unknown, Record<string, string>, number, string]> = [
      ['{"grant_types":', {}, 400, 'invalid_request'],
      [JSON.stringify(poll()), { 'content-type': 'application/x-www-form-urlencoded' }, 400, 'invalid_request'],
      ['[1,2]', {}, 400, 'invalid_client_metadata'],
      ['null', {}, 400, 'invalid_client_metadata'],
      [JSON.stringify(poll({ client_name: 'x'.repeat(40_000) })), {}, 413, 'invalid_request'],
    ]
    for (const [body, headers, status, error] of cases) {
      const res = await register(provider, body, headers)
      assert.equal(res.status, status, String(body).slice(0, 40))
      assert.equal(res.body.error, error)
      assert.equal(res.headers['cache-control'], 'no-store')
    }
    const get = await callJson(provider, 'GET', '/register')
    assert.equal(get.status, 405)
    assert.equal(storage.writes, 0)
  })
})

describe('registration: initial access token (RFC 7591 §3)', () => {
  const TOKEN = 'iat-0123456789abcdefghijklmnop'

  it('requires the static token, compared as a secret', async () => {
    const { provider } = op({ registration: { initialAccessToken: TOKEN } })
    const none = await register(provider, poll())
    assert.equal(none.status, 401)
    assert.equal(none.body.error, 'invalid_token')
    assert.equal(none.headers['www-authenticate'], 'Bearer')
    const wrong = await register(provider, poll(), bearer(TOKEN + 'x'))
    assert.equal(wrong.status, 401)
    assert.match(wrong.headers['www-authenticate'] ?? '', /^Bearer error="invalid_token"/)
    assert.ok(!JSON.stringify(wrong).includes(TOKEN))
    assert.equal((await register(provider, poll(), bearer(TOKEN))).status, 201)
  })

  it('asks the hook, which may refuse with its own error', async () => {
    const seen: string[] = []
    const { provider } = op({
      registration: {
        initialAccessToken: (token) => {
          seen.push(token)
          if (token === 'banned-token') throw new OAuthError('access_denied', { description: 'this partner is suspended' })
          return token === 'good-token'
        },
      },
    })
    assert.equal((await register(provider, poll(), bearer('good-token'))).status, 201)
    assert.equal((await register(provider, poll(), bearer('other-token'))).status, 401)
    const banned = await register(provider, poll(), bearer('banned-token'))
    assert.equal(banned.status, 403)
    assert.equal(banned.body.error, 'access_denied')
    assert.deepEqual(seen, ['good-token', 'other-token', 'banned-token'])
  })

  const invalid: Array<[string, unknown, RegExp]> = [
    ['neither open nor a token', {}, /exactly one of open: true or initialAccessToken/],
    ['both open and a token', { open: true, initialAccessToken: TOKEN }, /exactly one of/],
    ['a short static token', { initialAccessToken: 'short' }, /at least 22 characters/],
    ['a body limit above the provider\'s', { open: true, bodyLimit: 1_000_000 }, /registration.bodyLimit/],
  ]
  for (const [name, registration, message] of invalid) {
    it(`refuses ${name} at start-up`, () => {
      assert.throws(() => op({ registration: registration as Overrides['registration'] }), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError)
        assert.match(error.message, message)
        assert.ok(!error.message.includes(TOKEN))
        return true
      })
    })
  }
})

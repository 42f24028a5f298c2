// JWT client authentication (RFC 7523, OIDC Core §9): private_key_jwt and client_secret_jwt at the
// backchannel authentication and token endpoints, over HTTP on a real adapter.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryStorage, type ClientMetadata } from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, postForm, startOp, type TestOp } from './helpers/op.js'
import { assertionClaims, clientKey, JWT_BEARER, signHmac, signJwt, unsignedJwt, type ClientKey } from './helpers/client-jwt.js'

const SECRET = 'jwt-secret-0123456789-0123456789-0123456789-0123456789'

describe('JWT client authentication (RFC 7523, OIDC Core §9)', () => {
  let op: TestOp
  let storage: MemoryStorage
  let rsa: ClientKey
  let ec: ClientKey
  let other: ClientKey

  before(async () => {
    rsa = await clientKey('RS256')
    ec = await clientKey('ES256')
    other = await clientKey('ES256', 'other')
    const clients: ClientMetadata[] = [
      ...CLIENTS,
      {
        client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsa.publicJwk, ec.publicJwk] },
        grant_types: [CIBA, 'refresh_token'], backchannel_token_delivery_mode: 'poll',
      },
      {
        client_id: 'pkj-es', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [rsa.publicJwk, ec.publicJwk] }, grant_types: [CIBA], backchannel_token_delivery_mode: 'poll',
      },
      {
        client_id: 'csj', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt',
        grant_types: [CIBA], backchannel_token_delivery_mode: 'poll',
      },
    ]
    storage = new MemoryStorage({ clock: () => op.clock.now })
    op = await startOp('express', { storage, clients })
  })
  after(() => op.close())

  const bcUrl = () => `${op.issuer}/backchannel-authentication`
  const tokenUrl = () => `${op.issuer}/token`
  const claims = (clientId = 'pkj', extra: Record<string, unknown> = {}, aud: string | string[] = op.issuer) =>
    assertionClaims(clientId, aud, op.clock.now, extra)
  const withAssertion = (assertion: string, params: Record<string, string>) =>
    ({ ...params, client_assertion_type: JWT_BEARER, client_assertion: assertion })
  const bc = async (assertion: string, clientId?: string) =>
    postForm(bcUrl(), withAssertion(assertion, { scope: 'openid', login_hint: 'alice', ...(clientId === undefined ? {} : { client_id: clientId }) }))
  const unauthorized = (res: { status: number; headers: Headers; body: Record<string, unknown> }, pattern: RegExp) => {
    assert.equal(res.status, 401, JSON.stringify(res.body))
    assert.equal(res.body.error, 'invalid_client')
    assert.ok(res.headers.get('www-authenticate'))
    assert.match(String(res.body.error_description), pattern)
  }

  it('advertises the JWT methods and their algorithms in discovery', async () => {
    const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>
    for (const member of ['token_endpoint_auth_methods_supported', 'backchannel_authentication_endpoint_auth_methods_supported']) {
      assert.deepEqual(doc[member], ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'])
    }
    assert.deepEqual(doc.token_endpoint_auth_signing_alg_values_supported,
      ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])
  })

  it('runs a whole poll flow with private_key_jwt at both endpoints', async () => {
    const started = await bc(await signJwt(claims(), rsa))
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const authReqId = started.body.auth_req_id as string
    await op.provider.approve(authReqId, { sub: 'alice' })
    // aud = the token endpoint URL (OIDC Core §9 SHOULD), signed with the EC key this time.
    const tokens = await postForm(tokenUrl(), withAssertion(await signJwt(claims('pkj', {}, tokenUrl()), ec), { grant_type: CIBA, auth_req_id: authReqId }))
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    assert.equal(typeof tokens.body.access_token, 'string')
    assert.equal(typeof tokens.body.refresh_token, 'string')
    const refreshed = await postForm(tokenUrl(), withAssertion(await signJwt(claims(), rsa), { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string }))
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body))
  })

  it('runs a whole poll flow with client_secret_jwt (HS256, HS384, HS512)', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const started = await bc(await signHmac(claims('csj'), SECRET, alg))
      assert.equal(started.status, 200, `${alg}: ${JSON.stringify(started.body)}`)
      await op.provider.approve(started.body.auth_req_id as string, { sub: 'alice' })
      const tokens = await postForm(tokenUrl(), withAssertion(await signHmac(claims('csj'), SECRET, alg), { grant_type: CIBA, auth_req_id: started.body.auth_req_id as string, client_id: 'csj' }))
      assert.equal(tokens.status, 200, `${alg}: ${JSON.stringify(tokens.body)}`)
    }
  })

  it('accepts aud as the issuer, the endpoint URL, or an array holding one', async () => {
    assert.equal((await bc(await signJwt(claims('pkj', {}, bcUrl()), rsa))).status, 200)
    assert.equal((await bc(await signJwt(claims('pkj', {}, ['https://rp.example', op.issuer]), rsa))).status, 200)
    unauthorized(await bc(await signJwt(claims('pkj', {}, 'https://op.example.com'), rsa)), /aud must be the OP issuer or this endpoint's URL/)
    unauthorized(await bc(await signJwt(claims('pkj', { aud: undefined }), rsa)), /aud must be/)
    // The backchannel endpoint URL is not an audience of the token endpoint.
    const atToken = await postForm(tokenUrl(), withAssertion(await signJwt(claims('pkj', {}, bcUrl()), rsa), { grant_type: CIBA, auth_req_id: 'x' }))
    unauthorized(atToken, /aud must be/)
  })

  it('bounds exp: required, not expired, not too far ahead', async () => {
    const now = op.clock.now
    unauthorized(await bc(await signJwt(claims('pkj', { exp: undefined }), rsa)), /exp is missing/)
    unauthorized(await bc(await signJwt(claims('pkj', { exp: now - 31 }), rsa)), /has expired/)
    unauthorized(await bc(await signJwt(claims('pkj', { exp: now + 3600 }), rsa)), /exp is more than 600 seconds ahead/)
    assert.equal((await bc(await signJwt(claims('pkj', { exp: now + 600 }), rsa))).status, 200)
    unauthorized(await bc(await signJwt(claims('pkj', { nbf: now + 120 }), rsa)), /not yet valid/)
    unauthorized(await bc(await signJwt(claims('pkj', { iat: now + 120 }), rsa)), /iat is in the future/)
  })

  it('accepts a jti once, and requires one', async () => {
    const assertion = await signJwt(claims(), rsa)
    assert.equal((await bc(assertion)).status, 200)
    unauthorized(await bc(assertion), /jti has already been used/)
    unauthorized(await bc(await signJwt(claims('pkj', { jti: undefined }), rsa)), /jti is missing/)
  })

  it('still refuses a replayed assertion after its exp, while the clock skew would accept it', async () => {
    const assertion = await signJwt(claims('pkj', { exp: op.clock.now + 10 }), rsa)
    assert.equal((await bc(assertion)).status, 200)
    op.clock.advance(25) // 15 s past exp, inside the default 30 s skew: the assertion itself still passes
    unauthorized(await bc(assertion), /jti has already been used/)
  })

  it('requires iss and sub to be the client_id', async () => {
    unauthorized(await bc(await signJwt(claims('pkj', { sub: 'someone' }), rsa), 'pkj'), /sub must be the client_id/)
    unauthorized(await bc(await signJwt(claims('pkj', { iss: 'pkj-es' }), rsa)), /iss must be the client_id/)
    // client_id in the form names the client; the assertion must be its own.
    const res = await postForm(bcUrl(), withAssertion(await signJwt(claims('pkj-es'), ec), { scope: 'openid', login_hint: 'alice', client_id: 'pkj' }))
    unauthorized(res, /iss must be the client_id/)
  })

  it('rejects alg none, the wrong key, a tampered payload, and an encrypted assertion, without touching storage', async () => {
    const before = storage.size
    unauthorized(await bc(unsignedJwt(claims())), /alg none is not allowed/)
    unauthorized(await bc(await signJwt(claims(), { ...other, kid: ec.kid })), /signature does not verify/)
    unauthorized(await bc(await signJwt(claims(), other)), /no key of the client matches/)
    const [h, , s] = (await signJwt(claims(), rsa)).split('.')
    unauthorized(await bc(`${h}.${Buffer.from(JSON.stringify(claims('pkj', { exp: op.clock.now + 500 }))).toString('base64url')}.${s}`), /signature does not verify/)
    unauthorized(await bc('a.b.c.d.e', 'pkj'), /not an encrypted one/)
    unauthorized(await bc('garbage', 'pkj'), /not a compact JWS/)
    unauthorized(await bc(`${'a'.repeat(16_000)}.${'b'.repeat(1000)}.c`, 'pkj'), /longer than 16384 characters/)
    unauthorized(await bc('garbage'), /client authentication failed/)
    assert.deepEqual(storage.size, before)
  })

  it('rejects an HMAC assertion keyed with the client\'s public key (alg confusion)', async () => {
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(rsa.publicJwk))
    unauthorized(await bc(await signHmac(claims(), publicKeyBytes, 'HS256')), /alg HS256 does not fit the registered method private_key_jwt/)
  })

  it('requires the alg to fit the method and the registered token_endpoint_auth_signing_alg', async () => {
    unauthorized(await bc(await signJwt(claims('csj'), rsa)), /alg RS256 does not fit the registered method client_secret_jwt/)
    unauthorized(await bc(await signJwt(claims('pkj-es'), rsa)), /registered token_endpoint_auth_signing_alg ES256/)
    assert.equal((await bc(await signJwt(claims('pkj-es'), ec))).status, 200)
    unauthorized(await bc(await signHmac(claims('csj'), 'wrong-secret-0123456789-0123456789-0123')), /signature is invalid/)
  })

  it('requires the method the client registered', async () => {
    const viaBasic = await postForm(bcUrl(), { scope: 'openid', login_hint: 'alice' }, { authorization: basic('csj', SECRET) })
    unauthorized(viaBasic, /^client authentication failed$/)
    const basicClientJwt = await bc(await signHmac(claims('poll-client'), 'poll-secret'))
    unauthorized(basicClientJwt, /^client authentication failed$/)
    // The same answer as for a client that does not exist: the method a client uses is not told.
    const ghost = await postForm(bcUrl(), { scope: 'openid', login_hint: 'alice' }, { authorization: basic('no-such-client', SECRET) })
    unauthorized(ghost, /^client authentication failed$/)
    assert.deepEqual(viaBasic.body, ghost.body)
    const wrongType = await postForm(bcUrl(), { scope: 'openid', login_hint: 'alice', client_assertion_type: 'urn:x', client_assertion: await signJwt(claims(), rsa) })
    assert.equal(wrongType.status, 400)
    assert.equal(wrongType.body.error, 'invalid_request')
  })
})

// Signed authentication requests (CIBA Core §7.1.1), one test per rule, request objects built
// with jose exactly as a client would, sent over HTTP to a real adapter.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { EncryptJWT } from 'jose'
import { AccessDenied, MemoryStorage, type ClientMetadata, type RequestContext } from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, postForm, startOp, type TestOp } from './helpers/op.js'
import { clientKey, requestClaims, signHmac, signJwt, SIGNING_ALGS, unsignedJwt, type ClientKey, type SigningAlg } from './helpers/client-jwt.js'

const SECRET = 'ro-secret-0123456789-0123456789-01'

describe('signed authentication requests (CIBA §7.1.1)', () => {
  let op: TestOp
  let storage: MemoryStorage
  const keys = new Map<SigningAlg, ClientKey>()
  let otherRsa: ClientKey
  const contexts: RequestContext[] = []

  before(async () => {
    for (const alg of SIGNING_ALGS) keys.set(alg, await clientKey(alg))
    otherRsa = await clientKey('RS256', 'other', true)
    const signed: ClientMetadata[] = SIGNING_ALGS.map((alg) => ({
      client_id: `ro-${alg}`, client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA], backchannel_token_delivery_mode: 'poll',
      backchannel_authentication_request_signing_alg: alg, jwks: { keys: [keys.get(alg)!.publicJwk] },
    }))
    signed.push({
      client_id: 'ro-post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post',
      grant_types: [CIBA], backchannel_token_delivery_mode: 'poll',
      backchannel_authentication_request_signing_alg: 'ES256', jwks: { keys: [keys.get('ES256')!.publicJwk] },
    })
    // Registered jwks without a signing alg: this client never sends signed requests.
    signed.push({
      client_id: 'ro-none', client_secret: SECRET, grant_types: [CIBA], backchannel_token_delivery_mode: 'poll',
      jwks: { keys: [keys.get('ES256')!.publicJwk] },
    })
    storage = new MemoryStorage({ clock: () => op.clock.now })
    const validateRequestContext = (ctx: RequestContext): void => {
      contexts.push(ctx)
      const risk = (ctx.requestObject?.request_context as { risk?: string } | undefined)?.risk
      if (risk === 'high') throw new AccessDenied('risk too high')
    }
    op = await startOp('express', { storage, clients: [...CLIENTS, ...signed], hooks: { validateRequestContext } })
  })
  after(() => op.close())

  const bc = (params: Record<string, string>, clientId = 'ro-RS256') =>
    postForm(`${op.issuer}/backchannel-authentication`, params, { authorization: basic(clientId, SECRET) })
  const claims = (params: Record<string, unknown> = {}, clientId = 'ro-RS256') => requestClaims(clientId, op.issuer, op.clock.now, params)
  const sign = (c: Record<string, unknown>, alg: SigningAlg = 'RS256', header: Record<string, unknown> = {}) => signJwt(c, keys.get(alg)!, header)
  const sendSigned = async (c: Record<string, unknown>, alg: SigningAlg = 'RS256') => bc({ request: await sign(c, alg) }, `ro-${alg}`)
  const rejected = (res: { status: number; body: Record<string, unknown> }, pattern: RegExp) => {
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.equal(res.body.error, 'invalid_request')
    assert.match(String(res.body.error_description), pattern)
  }

  it('accepts a signed request with every algorithm discovery advertises', async () => {
    const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    assert.deepEqual(doc.backchannel_authentication_request_signing_alg_values_supported, [...SIGNING_ALGS])
    for (const alg of SIGNING_ALGS) {
      const res = await sendSigned(claims({ binding_message: `M-${alg}` }, `ro-${alg}`), alg)
      assert.equal(res.status, 200, `${alg}: ${JSON.stringify(res.body)}`)
      const notice = op.notices.find((n) => n.authReqId === res.body.auth_req_id)!
      assert.equal(notice.sub, 'alice')
      assert.equal(notice.bindingMessage, `M-${alg}`)
    }
  })

  it('takes the parameters from the claims, requested_expiry as a number or a numeric string', async () => {
    const asNumber = await sendSigned(claims({ scope: 'openid email', requested_expiry: 120, acr_values: 'urn:a' }))
    assert.equal(asNumber.status, 200, JSON.stringify(asNumber.body))
    assert.equal(asNumber.body.expires_in, 120)
    const notice = op.notices.find((n) => n.authReqId === asNumber.body.auth_req_id)!
    assert.deepEqual(notice.scope, ['openid', 'email'])
    assert.deepEqual(notice.acrValues, ['urn:a'])
    const asString = await sendSigned(claims({ requested_expiry: '90' }))
    assert.equal(asString.body.expires_in, 90)
    rejected(await sendSigned(claims({ requested_expiry: 1.5 })), /requested_expiry must be a positive integer/)
    rejected(await sendSigned(claims({ requested_expiry: -5 })), /requested_expiry must be a positive integer/)
    rejected(await sendSigned(claims({ requested_expiry: true })), /requested_expiry must be a number or a numeric string/)
    rejected(await sendSigned(claims({ requested_expiry: '12x' })), /requested_expiry must be a positive integer/)
  })

  it('requires iss to be the authenticated client', async () => {
    rejected(await sendSigned(claims({ iss: undefined })), /iss is missing/)
    rejected(await sendSigned(claims({ iss: 'ro-ES256' })), /iss must be the client_id/)
  })

  it('requires aud to contain the issuer', async () => {
    rejected(await sendSigned(claims({ aud: undefined })), /aud is missing/)
    rejected(await sendSigned(claims({ aud: `${op.issuer}/token` })), /aud must contain the OP issuer/)
    const asArray = await sendSigned(claims({ aud: ['https://elsewhere.example', op.issuer] }))
    assert.equal(asArray.status, 200, JSON.stringify(asArray.body))
  })

  it('requires exp, iat, nbf and jti', async () => {
    for (const name of ['exp', 'iat', 'nbf', 'jti']) {
      rejected(await sendSigned(claims({ [name]: undefined })), new RegExp(`${name} is missing`))
    }
    rejected(await sendSigned(claims({ exp: String(op.clock.now + 60) })), /exp must be a NumericDate/)
    rejected(await sendSigned(claims({ jti: 42 })), /jti must be a non-empty string/)
  })

  it('rejects an expired object, tolerating the configured clock skew', async () => {
    const now = op.clock.now
    rejected(await sendSigned(claims({ iat: now - 400, nbf: now - 400, exp: now - 31 })), /has expired \(exp\)/)
    const withinSkew = await sendSigned(claims({ iat: now - 400, nbf: now - 400, exp: now - 10 }))
    assert.equal(withinSkew.status, 200, JSON.stringify(withinSkew.body))
  })

  it('rejects nbf in the future and nbf more than 60 minutes in the past', async () => {
    const now = op.clock.now
    rejected(await sendSigned(claims({ nbf: now + 120, exp: now + 600 })), /not yet valid \(nbf is in the future\)/)
    assert.equal((await sendSigned(claims({ nbf: now + 20 }))).status, 200) // within the 30 s skew
    rejected(await sendSigned(claims({ iat: now - 3700, nbf: now - 3700, exp: now + 60 })), /nbf is more than 60 minutes in the past/)
  })

  it('rejects a lifetime (exp - nbf) longer than 60 minutes', async () => {
    const now = op.clock.now
    rejected(await sendSigned(claims({ exp: now + 3601 })), /lifetime \(exp - nbf\) exceeds 60 minutes/)
    assert.equal((await sendSigned(claims({ exp: now + 3600 }))).status, 200)
  })

  it('rejects iat in the future', async () => {
    rejected(await sendSigned(claims({ iat: op.clock.now + 300 })), /iat is in the future/)
  })

  it('accepts a jti once', async () => {
    const jwt = await sign(claims())
    assert.equal((await bc({ request: jwt })).status, 200)
    rejected(await bc({ request: jwt }), /jti has already been used/)
    // Even a fresh object with the same jti is a replay.
    const again = claims()
    again.jti = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti
    rejected(await sendSigned(again), /jti has already been used/)
  })

  it('still refuses a replayed request object after its exp, while the clock skew would accept it', async () => {
    const jwt = await sign(claims({ exp: op.clock.now + 10 }))
    assert.equal((await bc({ request: jwt })).status, 200)
    op.clock.advance(25) // 15 s past exp, inside the default 30 s skew
    rejected(await bc({ request: jwt }), /jti has already been used/)
  })

  it('rejects alg none, HMAC, and encrypted (JWE) objects', async () => {
    rejected(await bc({ request: unsignedJwt(claims()) }), /alg none is not allowed/)
    rejected(await bc({ request: await signHmac(claims(), SECRET) }), /HMAC algorithms are not allowed/)
    const jwe = await new EncryptJWT(claims()).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(randomBytes(32))
    assert.equal(jwe.split('.').length, 5)
    rejected(await bc({ request: jwe }), /encrypted request objects \(JWE\) are not supported/)
    rejected(await bc({ request: 'not-a-jwt' }), /not a compact JWS/)
    rejected(await bc({ request: `${'a'.repeat(32_000)}.${'b'.repeat(1000)}.c` }), /longer than 32768 characters/)
    rejected(await bc({ request: 'e30.e30.e30' }), /header has no alg/)
  })

  it('rejects an alg other than the registered one', async () => {
    // The same RSA key, but PS256 where the client registered RS256.
    const ps = await signJwt(claims(), { ...keys.get('PS256')!, kid: keys.get('RS256')!.kid })
    rejected(await bc({ request: ps }), /registered backchannel_authentication_request_signing_alg RS256/)
  })

  it('rejects a signature by another key or over a tampered payload, without touching storage', async () => {
    const before = storage.size
    rejected(await bc({ request: await signJwt(claims(), { ...otherRsa, kid: keys.get('RS256')!.kid }) }), /signature does not verify/)
    rejected(await bc({ request: await signJwt(claims(), otherRsa) }), /no key of the client matches/)
    const [h, , s] = (await sign(claims())).split('.')
    const forged = Buffer.from(JSON.stringify(claims({ login_hint: 'bob' }))).toString('base64url')
    rejected(await bc({ request: `${h}.${forged}.${s}` }), /signature does not verify/)
    assert.deepEqual(storage.size, before)
  })

  it('rejects authentication request parameters outside the object', async () => {
    const request = await sign(claims())
    for (const name of ['scope', 'login_hint', 'binding_message', 'requested_expiry', 'x_extension']) {
      rejected(await bc({ request, [name]: 'x' }), new RegExp(`parameter ${name} must be sent inside the request object`))
    }
  })

  it('accepts the client authentication parameters next to the object', async () => {
    assert.equal((await bc({ request: await sign(claims()), client_id: 'ro-RS256' })).status, 200)
    const post = await postForm(`${op.issuer}/backchannel-authentication`, {
      request: await sign(claims({}, 'ro-post'), 'ES256'), client_id: 'ro-post', client_secret: SECRET,
    })
    assert.equal(post.status, 200, JSON.stringify(post.body))
  })

  it('requires a client registered for signed requests to send one', async () => {
    rejected(await bc({ scope: 'openid', login_hint: 'alice' }), /registered for signed authentication requests and must send a request object/)
  })

  it('refuses a request object from a client that registered no signing alg', async () => {
    rejected(await bc({ request: await sign(claims({}, 'ro-none'), 'ES256') }, 'ro-none'), /has not registered backchannel_authentication_request_signing_alg/)
    const poll = await postForm(`${op.issuer}/backchannel-authentication`, { request: await sign(claims({}, 'poll-client')) }, { authorization: basic('poll-client', 'poll-secret') })
    rejected(poll, /has not registered backchannel_authentication_request_signing_alg/)
  })

  it('checks claim types and a client_id claim, and ignores non-string extension claims', async () => {
    rejected(await sendSigned(claims({ login_hint: 42 })), /claim login_hint must be a string/)
    rejected(await sendSigned(claims({ acr_values: ['urn:a'] })), /claim acr_values must be a string/)
    rejected(await sendSigned(claims({ client_id: 'ro-ES256' })), /client_id must be the client_id of the authenticated client/)
    rejected(await sendSigned(claims({ request: 'x' })), /must not contain request/)
    const ok = await sendSigned(claims({ client_id: 'ro-RS256', request_context: { geo: [1, 2] }, binding_message: '' }))
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    assert.equal(op.notices.find((n) => n.authReqId === ok.body.auth_req_id)!.bindingMessage, undefined)
  })

  it('shows the verified claims, non-string extensions included, to validateRequestContext', async () => {
    const ok = await sendSigned(claims({ request_context: { risk: 'low', geo: [52.5, 13.4] } }))
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    const ctx = contexts.at(-1)!
    assert.deepEqual(ctx.requestObject?.request_context, { risk: 'low', geo: [52.5, 13.4] })
    assert.equal(ctx.requestObject?.iss, 'ro-RS256')
    assert.equal('request_context' in ctx.params, false)
    const denied = await sendSigned(claims({ request_context: { risk: 'high' } }))
    assert.equal(denied.status, 403)
    assert.equal(denied.body.error, 'access_denied')
    // Plain requests carry no requestObject.
    await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: basic('poll-client', 'poll-secret') })
    assert.equal(contexts.at(-1)!.requestObject, undefined)
  })

  it('applies the ordinary request rules to the claims', async () => {
    const noHint = await sendSigned(claims({ login_hint: undefined }))
    rejected(noHint, /one of login_hint, login_hint_token or id_token_hint is required/)
    const badScope = await sendSigned(claims({ scope: 'openid unknown' }))
    assert.equal(badScope.body.error, 'invalid_scope')
    const unknown = await sendSigned(claims({ login_hint: 'nobody' }))
    assert.equal(unknown.body.error, 'unknown_user_id')
  })
})

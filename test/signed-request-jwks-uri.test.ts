// Client keys from jwks_uri (signed requests and private_key_jwt): fetched from a real HTTP server on
// 127.0.0.1 with a timeout and a size limit, cached, refetched once on an unknown kid.
import { after, before, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ClientMetadata } from '@ciba-kit/core'
import { CIBA, CLIENTS, postForm, startOp, type TestOp } from './helpers/op.js'
import { assertionClaims, clientKey, JWT_BEARER, requestClaims, signJwt, startJwksHost, type ClientKey, type JwksHost } from './helpers/client-jwt.js'

describe('client keys from jwks_uri', () => {
  let op: TestOp
  let host: JwksHost
  let first: ClientKey
  let second: ClientKey

  before(async () => {
    first = await clientKey('ES256', 'k1')
    second = await clientKey('ES256', 'k2')
    host = await startJwksHost()
    const client: ClientMetadata = {
      client_id: 'uri-client', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: host.url,
      grant_types: [CIBA], backchannel_token_delivery_mode: 'poll', backchannel_authentication_request_signing_alg: 'ES256',
    }
    op = await startOp('express', {
      clients: [...CLIENTS, client],
      development: { allowHttpJwksUri: true },
      clientJwks: { timeoutMs: 300, maxBytes: 4096, cacheTtl: 300, refetchCooldown: 30 },
    })
  })
  after(async () => {
    await op.close()
    await host.close()
  })
  beforeEach(() => {
    // Every test starts with a cold cache: move past the TTL.
    op.clock.advance(301)
    host.serve([first.publicJwk])
    host.hits = 0
  })

  /** A backchannel request authenticated with private_key_jwt and carrying a signed request object. */
  const send = async (key: ClientKey) => {
    const now = op.clock.now
    return postForm(`${op.issuer}/backchannel-authentication`, {
      request: await signJwt(requestClaims('uri-client', op.issuer, now), key),
      client_assertion_type: JWT_BEARER,
      client_assertion: await signJwt(assertionClaims('uri-client', op.issuer, now), key),
    })
  }

  it('fetches the set once and serves later requests from the cache', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await send(first)
      assert.equal(res.status, 200, JSON.stringify(res.body))
    }
    assert.equal(host.hits, 1)
  })

  it('fetches again when the cache entry is older than cacheTtl', async () => {
    assert.equal((await send(first)).status, 200)
    op.clock.advance(299)
    assert.equal((await send(first)).status, 200)
    assert.equal(host.hits, 1)
    op.clock.advance(2)
    assert.equal((await send(first)).status, 200)
    assert.equal(host.hits, 2)
  })

  it('refetches once on an unknown kid (key rotation), not more often than the cooldown', async () => {
    assert.equal((await send(first)).status, 200)
    host.serve([first.publicJwk, second.publicJwk])
    // Within the cooldown the cached set is authoritative: no fetch for an unknown kid.
    const tooSoon = await send(second)
    assert.equal(tooSoon.status, 401, JSON.stringify(tooSoon.body))
    assert.equal(host.hits, 1)
    op.clock.advance(31)
    const rotated = await send(second)
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body))
    assert.equal(host.hits, 2)
    // A kid that is nowhere: exactly one more fetch, then invalid_client.
    op.clock.advance(31)
    const unknown = await send({ ...second, kid: 'k-missing' })
    assert.equal(unknown.status, 401)
    assert.match(String(unknown.body.error_description), /no key of the client matches/)
    assert.equal(host.hits, 3)
  })

  it('shares one fetch between concurrent requests', async () => {
    const results = await Promise.all([send(first), send(first), send(first), send(first)])
    for (const res of results) assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(host.hits, 1)
  })

  it('refuses a set larger than maxBytes, streamed or declared', async () => {
    const padding = 'x'.repeat(5000)
    host.handler = (_req, res) => res.end(JSON.stringify({ keys: [first.publicJwk], padding }))
    const declared = await send(first)
    assert.equal(declared.status, 401)
    assert.match(String(declared.body.error_description), /did not provide a usable JWK Set/)
    host.handler = (_req, res) => {
      res.write(JSON.stringify({ keys: [first.publicJwk], padding: padding.slice(0, 2000) }).slice(0, -1))
      res.end(`, "more": "${padding}"}`)
    }
    const streamed = await send(first)
    assert.match(String(streamed.body.error_description), /did not provide a usable JWK Set/)
  })

  it('gives up after timeoutMs', async () => {
    host.handler = () => { /* never answers */ }
    const started = Date.now()
    const res = await send(first)
    assert.equal(res.status, 401)
    assert.match(String(res.body.error_description), /did not provide a usable JWK Set/)
    assert.ok(Date.now() - started < 5000)
  })

  it('does not follow redirects and refuses non-200, non-JSON and non-JWKS answers, without describing them to the client', async () => {
    const cases: Array<[(res: import('node:http').ServerResponse) => void, RegExp]> = [
      [(res) => { res.statusCode = 302; res.setHeader('location', host.url); res.end() }, /did not provide a usable JWK Set/],
      [(res) => { res.statusCode = 500; res.end('{}') }, /did not provide a usable JWK Set/],
      [(res) => res.end('<html>'), /did not provide a usable JWK Set/],
      [(res) => res.end('{"keys":"nope"}'), /did not provide a usable JWK Set/],
    ]
    for (const [handler, pattern] of cases) {
      host.handler = (_req, res) => handler(res)
      const res = await send(first)
      assert.equal(res.status, 401)
      assert.match(String(res.body.error_description), pattern)
    }
  })

  it('maps key failures of the request object to invalid_request', async () => {
    // Authenticate with a valid assertion (keys cached), then sign the request object with an unknown key.
    const now = op.clock.now
    const res = await postForm(`${op.issuer}/backchannel-authentication`, {
      request: await signJwt(requestClaims('uri-client', op.issuer, now), { ...second, kid: 'k9' }),
      client_assertion_type: JWT_BEARER,
      client_assertion: await signJwt(assertionClaims('uri-client', op.issuer, now), first),
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'invalid_request')
    assert.match(String(res.body.error_description), /^request object: no key of the client matches/)
  })
})

describe('jwks_uri over http without the development option', () => {
  it('is refused: production requires https', async () => {
    const key = await clientKey('ES256', 'k1')
    const host = await startJwksHost()
    host.serve([key.publicJwk])
    const op = await startOp('express', {
      clients: [{ client_id: 'uri-client', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: host.url, grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' }],
    })
    try {
      const res = await postForm(`${op.issuer}/backchannel-authentication`, {
        scope: 'openid', login_hint: 'alice',
        client_assertion_type: JWT_BEARER, client_assertion: await signJwt(assertionClaims('uri-client', op.issuer, op.clock.now), key),
      })
      assert.equal(res.status, 401)
      assert.match(String(res.body.error_description), /jwks_uri is not an https URL/)
      assert.equal(host.hits, 0)
    } finally {
      await op.close()
      await host.close()
    }
  })
})

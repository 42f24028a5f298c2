// ciba-kit in pieces inside a host that keeps its own discovery, JWKS and token endpoint: each
// piece is one documented call (endpoints option, handlers.token, mergeDiscoveryMetadata,
// provider.jwks()). Real Express and Koa servers on real ports.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose'
import {
  ConfigurationError, createProvider, mergeDiscoveryMetadata, type CibaProvider, type NeutralRequest, type ProviderConfig,
} from '@ciba-kit/core'
import { cibaExpress } from '@ciba-kit/express'
import { cibaKoa } from '@ciba-kit/koa'
import { basic, CIBA, CLIENTS, postForm, testKeys } from './helpers/op.js'

const POLL = basic('poll-client', 'poll-secret')

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function newProvider(issuer: string, extra: Partial<ProviderConfig> = {}): Promise<CibaProvider> {
  return createProvider({
    issuer,
    signingKeys: await testKeys(),
    clients: CLIENTS,
    users: { findByLoginHint: (hint) => (hint === 'alice' ? { sub: 'alice' } : undefined), claims: () => ({}) },
    notifier: { notify() {} },
    ...extra,
  })
}

describe('a host Express server using ciba-kit in pieces', () => {
  const server = createServer()
  let issuer: string
  let provider: CibaProvider
  let hostJwk: JWK
  let hostDiscovery: Record<string, unknown>
  const hostRefreshTokens = new Set(['host-refresh-1'])

  before(async () => {
    issuer = await listen(server)
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    hostJwk = { ...(await exportJWK(publicKey)), kid: 'host-key', alg: 'ES256', use: 'sig' }
    hostDiscovery = {
      issuer,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/keys`,
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      service_documentation: 'https://host.example/docs',
    }
    provider = await newProvider(issuer, { passUnknownRefreshTokens: true })
    const discovery = mergeDiscoveryMetadata(hostDiscovery, provider.metadata) // one call
    const keys = { keys: [hostJwk, ...(await provider.jwks()).keys] } // one call

    const app = express()
    app.get('/.well-known/openid-configuration', (_req, res) => void res.json(discovery))
    app.get('/keys', (_req, res) => void res.json(keys))
    app.use(cibaExpress(provider, { endpoints: ['backchannelAuthentication', 'userinfo'] })) // one call
    // The host's token endpoint calls ciba-kit's token handler first (one call); undefined = "not mine".
    app.post('/token', express.urlencoded({ extended: false }), async (req, res, next) => {
      try {
        const neutral: NeutralRequest = { method: req.method, path: '/token', headers: req.headers, body: req.body as Record<string, string> }
        const answer = await provider.handlers.token(neutral)
        if (answer !== undefined) return void res.status(answer.status).set(answer.headers).send(answer.body)
        const params = req.body as Record<string, string>
        if (params.grant_type === 'client_credentials') {
          const jwt = await new SignJWT({ scope: 'host' }).setProtectedHeader({ alg: 'ES256', kid: 'host-key' }).setIssuer(issuer).sign(privateKey)
          return void res.json({ access_token: jwt, token_type: 'Bearer', expires_in: 60, host: true })
        }
        if (params.grant_type === 'refresh_token' && hostRefreshTokens.has(params.refresh_token ?? '')) {
          return void res.json({ access_token: 'host-at', token_type: 'Bearer', host: true })
        }
        res.status(400).json({ error: 'unsupported_grant_type' })
      } catch (error) {
        next(error)
      }
    })
    server.on('request', app)
  })
  after(async () => {
    server.closeAllConnections()
    server.close()
    await provider.close()
  })

  it('keeps the host discovery document and adds the CIBA members', async () => {
    const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    assert.equal(doc.jwks_uri, `${issuer}/keys`)
    assert.equal(doc.service_documentation, 'https://host.example/docs')
    assert.equal(doc.backchannel_authentication_endpoint, `${issuer}/backchannel-authentication`)
    assert.deepEqual(doc.backchannel_token_delivery_modes_supported, ['poll'])
    assert.deepEqual(doc.grant_types_supported, ['client_credentials', 'refresh_token', CIBA])
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, [
      'client_secret_basic', ...(provider.metadata.token_endpoint_auth_methods_supported as string[]).filter((m) => m !== 'client_secret_basic'),
    ])
    assert.equal(hostDiscovery.backchannel_authentication_endpoint, undefined) // the host's object is untouched
  })

  it('serves only the mounted endpoints', async () => {
    assert.equal((await fetch(`${issuer}/jwks`)).status, 404) // ciba-kit's JWKS path is not mounted
    const bc = await postForm(`${issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: POLL })
    assert.equal(bc.status, 200)
  })

  it('runs CIBA through the host token endpoint, verified with the host JWKS', async () => {
    const bc = await postForm(`${issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: POLL })
    const id = bc.body.auth_req_id as string
    const pending = await postForm(`${issuer}/token`, { grant_type: CIBA, auth_req_id: id }, { authorization: POLL })
    assert.equal(pending.body.error, 'authorization_pending')
    await provider.approve(id, { sub: 'alice' })
    const tokens = await postForm(`${issuer}/token`, { grant_type: CIBA, auth_req_id: id }, { authorization: POLL })
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    const jwks = (await (await fetch(`${issuer}/keys`)).json()) as { keys: JWK[] }
    const { payload } = await jwtVerify(tokens.body.id_token as string, createLocalJWKSet(jwks), { issuer, audience: 'poll-client' })
    assert.equal(payload.sub, 'alice')
    // ciba-kit's refresh token is ciba-kit's; the host's is the host's.
    const refreshed = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string }, { authorization: POLL })
    assert.equal(refreshed.status, 200)
    assert.equal(refreshed.body.host, undefined)
    assert.equal(typeof refreshed.body.id_token, 'string')
    const hostRefresh = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: 'host-refresh-1' }, { authorization: basic('someone', 'x') })
    assert.deepEqual(hostRefresh.body, { access_token: 'host-at', token_type: 'Bearer', host: true })
  })

  it('leaves grants it does not own to the host', async () => {
    const cc = await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, { authorization: basic('plain-client', 'plain-secret') })
    assert.equal(cc.body.host, true)
    const jwks = (await (await fetch(`${issuer}/keys`)).json()) as { keys: JWK[] }
    const { protectedHeader } = await jwtVerify(cc.body.access_token as string, createLocalJWKSet(jwks), { issuer })
    assert.equal(protectedHeader.kid, 'host-key')
    const other = await postForm(`${issuer}/token`, { grant_type: 'password', username: 'u', password: 'p' })
    assert.deepEqual(other.body, { error: 'unsupported_grant_type' })
  })
})

describe('endpoint selection on Koa and as Express route middleware', () => {
  it('hands the rest to the host with the body parsed (koa)', async () => {
    const server = createServer()
    const issuer = await listen(server)
    const provider = await newProvider(issuer)
    const app = new Koa()
    app.use(cibaKoa(provider, { endpoints: ['backchannelAuthentication', 'token'] }))
    app.use(async (ctx) => {
      ctx.body = { host: true, path: ctx.path, grant_type: (ctx.request as { body?: Record<string, string> }).body?.grant_type }
    })
    server.on('request', app.callback())
    try {
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.deepEqual(discovery, { host: true, path: '/.well-known/openid-configuration' })
      const cc = await postForm(`${issuer}/token`, { grant_type: 'client_credentials' })
      assert.deepEqual(cc.body, { host: true, path: '/token', grant_type: 'client_credentials' })
      const bc = await postForm(`${issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: POLL })
      assert.equal(bc.status, 200)
      const poll = await postForm(`${issuer}/token`, { grant_type: CIBA, auth_req_id: bc.body.auth_req_id as string }, { authorization: POLL })
      assert.equal(poll.body.error, 'authorization_pending')
    } finally {
      server.closeAllConnections()
      server.close()
      await provider.close()
    }
  })

  it('answers its grants in front of a host token route (express)', async () => {
    const server = createServer()
    const issuer = await listen(server)
    const provider = await newProvider(issuer)
    const app = express()
    app.post('/token', cibaExpress(provider, { endpoints: ['token'] }), express.urlencoded({ extended: false }), (req, res) => {
      res.json({ host: true, grant_type: (req.body as Record<string, string>).grant_type })
    })
    server.on('request', app)
    try {
      const cc = await postForm(`${issuer}/token`, { grant_type: 'client_credentials' })
      assert.deepEqual(cc.body, { host: true, grant_type: 'client_credentials' })
      const ciba = await postForm(`${issuer}/token`, { grant_type: CIBA, auth_req_id: 'unknown' }, { authorization: POLL })
      assert.equal(ciba.body.error, 'invalid_grant')
      // Without passUnknownRefreshTokens every refresh request is ciba-kit's.
      const refresh = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: 'host-made' }, { authorization: POLL })
      assert.equal(refresh.body.error, 'invalid_grant')
    } finally {
      server.closeAllConnections()
      server.close()
      await provider.close()
    }
  })
})

describe('mergeDiscoveryMetadata', () => {
  const ciba = { issuer: 'https://op.example', token_endpoint: 'https://op.example/token', response_types_supported: [], claims_parameter_supported: false }
  it('refuses a different issuer or token endpoint, naming the setting to change', () => {
    assert.throws(() => mergeDiscoveryMetadata({ issuer: 'https://other.example' }, ciba), (e: unknown) => e instanceof ConfigurationError && /set issuer/.test(e.message))
    assert.throws(() => mergeDiscoveryMetadata({ token_endpoint: 'https://op.example/oauth/token' }, ciba), /set routes\.token/)
  })
  it('lets host scalars win and unions lists', () => {
    const merged = mergeDiscoveryMetadata({ issuer: 'https://op.example', response_types_supported: ['code'], claims_parameter_supported: true }, ciba)
    assert.deepEqual(merged, { issuer: 'https://op.example', token_endpoint: 'https://op.example/token', response_types_supported: ['code'], claims_parameter_supported: true })
  })
})

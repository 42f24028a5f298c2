// The Fetch API entry: what differs from the Node adapters (Request/Response, clone for the token
// hand-back, streamed bodies). The shared HTTP behaviour runs in http-flow.test.ts ('fetch').
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigurationError, createFetchHandler, createProvider, type CibaProvider } from '@ciba-kit/core'
import { nodeListener } from './helpers/fetch-bridge.js'
import { basic, CIBA, CLIENTS, testKeys } from './helpers/op.js'

const ISSUER = 'https://op.example.com'
const POLL = basic('poll-client', 'poll-secret')

function form(url: string, params: Record<string, string> | string, headers: Record<string, string> = {}): Request {
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  })
}

describe('createFetchHandler', () => {
  let provider: CibaProvider
  before(async () => {
    provider = createProvider({
      issuer: ISSUER,
      signingKeys: await testKeys(),
      clients: CLIENTS,
      users: { findByLoginHint: (hint) => (hint === 'alice' ? { sub: 'alice' } : undefined), claims: () => ({}) },
      notifier: { notify: () => {} },
      bodyLimit: 1024,
    })
  })
  after(() => provider.close())

  it('answers under a prefix and nothing outside it', async () => {
    const handle = createFetchHandler(provider, { prefix: '/oidc' })
    const res = await handle(new Request(`${ISSUER}/oidc/.well-known/openid-configuration?x=1`))
    assert.equal(res?.status, 200)
    assert.equal(((await res!.json()) as { issuer: string }).issuer, ISSUER)
    assert.equal(await handle(new Request(`${ISSUER}/.well-known/openid-configuration`)), undefined)
    assert.equal(await handle(new Request(`${ISSUER}/oidc/elsewhere`)), undefined)
  })

  it('sends no body for HEAD', async () => {
    const res = await createFetchHandler(provider)(new Request(`${ISSUER}/jwks`, { method: 'HEAD' }))
    assert.equal(res?.status, 200)
    assert.equal(await res!.text(), '')
  })

  it('runs a backchannel request end to end', async () => {
    const handle = createFetchHandler(provider)
    const res = await handle(form(`${ISSUER}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: POLL }))
    assert.equal(res?.status, 200)
    assert.equal(res!.headers.get('cache-control'), 'no-store')
    const { auth_req_id: id } = (await res!.json()) as { auth_req_id: string }
    const pending = await handle(form(`${ISSUER}/token`, { grant_type: CIBA, auth_req_id: id }, { authorization: POLL }))
    assert.equal(pending?.status, 400)
    assert.equal(((await pending!.json()) as { error: string }).error, 'authorization_pending')
  })

  it('hands a grant it does not own back with the body still readable', async () => {
    const request = form(`${ISSUER}/token`, { grant_type: 'client_credentials', scope: 'x' }, { authorization: basic('plain-client', 'plain-secret') })
    assert.equal(await createFetchHandler(provider)(request), undefined)
    assert.equal(request.bodyUsed, false)
    assert.equal(new URLSearchParams(await request.text()).get('grant_type'), 'client_credentials')
  })

  it('rejects a streamed body over the limit with 413 without a Content-Length', async () => {
    const chunk = new TextEncoder().encode('login_hint=' + 'a'.repeat(600))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk)
        controller.enqueue(chunk)
        controller.close()
      },
    })
    const request = new Request(`${ISSUER}/backchannel-authentication`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: POLL }, body: stream, duplex: 'half',
    } as RequestInit)
    assert.equal(request.headers.get('content-length'), null)
    const res = await createFetchHandler(provider)(request)
    assert.equal(res?.status, 413)
    assert.equal(((await res!.json()) as { error: string }).error, 'invalid_request')
  })

  it('serves only the endpoints it is given', async () => {
    const handle = createFetchHandler(provider, { endpoints: ['backchannelAuthentication'] })
    assert.equal(await handle(new Request(`${ISSUER}/.well-known/openid-configuration`)), undefined)
    assert.equal(await handle(form(`${ISSUER}/token`, { grant_type: CIBA, auth_req_id: 'x' }, { authorization: POLL })), undefined)
    const res = await handle(form(`${ISSUER}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: POLL }))
    assert.equal(res?.status, 200)
    assert.throws(() => createFetchHandler(provider, { endpoints: ['nope' as 'token'] }), ConfigurationError)
    assert.throws(() => createFetchHandler(provider, { endpoints: [] }), ConfigurationError)
  })

  it('rejects a chunked oversize body through a real Node server and keeps serving', async () => {
    const handle = createFetchHandler(provider)
    const server = createServer(nodeListener(async (request) => (await handle(request)) ?? new Response(null, { status: 404 })))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/backchannel-authentication', headers: {
          'content-type': 'application/x-www-form-urlencoded', authorization: POLL, 'transfer-encoding': 'chunked',
        } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        for (let i = 0; i < 4; i++) req.write('a'.repeat(512))
        req.end()
      })
      assert.equal(status, 413)
      const ok = await fetch(`http://127.0.0.1:${port}/jwks`)
      assert.equal(ok.status, 200)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('createFetchHandler without the token hand-back', () => {
  it('reads the original body when told nothing follows it', async () => {
    const provider = createProvider({
      issuer: ISSUER, signingKeys: await testKeys(), clients: CLIENTS,
      users: { findByLoginHint: () => undefined, claims: () => ({}) }, notifier: { notify: () => {} },
    })
    const request = form(`${ISSUER}/token`, { grant_type: 'client_credentials' })
    assert.equal(await createFetchHandler(provider, { handBackTokenBody: false })(request), undefined)
    assert.equal(request.bodyUsed, true)
    const poll = await createFetchHandler(provider, { handBackTokenBody: false })(form(`${ISSUER}/token`, { grant_type: CIBA, auth_req_id: 'x' }, { authorization: POLL }))
    assert.equal(((await poll!.json()) as { error: string }).error, 'invalid_grant')
    await provider.close()
  })
})

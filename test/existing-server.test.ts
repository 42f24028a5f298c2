// examples/existing-server: the server's old behaviour is unchanged (client_credentials with its
// hashed secrets, its discovery members, its JWKS) and CIBA works with its own clients.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose'
import type { AuthenticationNotice, CibaProvider } from '@ciba-kit/core'
import { createAuthServer, ownDiscovery } from '../examples/existing-server/src/app.js'
import { DEMO_SECRETS, demoClientTable } from '../examples/existing-server/src/client-table.js'
import { DEMO_USERS } from '../examples/existing-server/src/users.js'
import { basic, CIBA, postForm } from './helpers/op.js'

const TELLER = basic('teller-terminal', DEMO_SECRETS['teller-terminal']!)
const BILLING = basic('billing-service', DEMO_SECRETS['billing-service']!)

describe('examples/existing-server', () => {
  const server = createServer()
  const notices: AuthenticationNotice[] = []
  let issuer: string
  let provider: CibaProvider
  let keys: ReturnType<typeof createLocalJWKSet>

  before(async () => {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const signingKey = { ...(await exportJWK(privateKey)), kid: 'existing-1', alg: 'RS256' }
    const built = await createAuthServer({
      issuer, signingKey, clients: await demoClientTable(), users: DEMO_USERS, notifier: { notify: (n) => void notices.push(n) },
    })
    provider = built.provider
    server.on('request', built.app)
    const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: JWK[] }
    keys = createLocalJWKSet(jwks)
  })
  after(async () => {
    server.closeAllConnections()
    server.close()
    await provider.close()
  })

  describe('old behaviour', () => {
    it('issues client_credentials tokens with its own client authentication', async () => {
      for (const [auth, body, sub] of [
        [{ authorization: BILLING }, { grant_type: 'client_credentials' }, 'billing-service'],
        [{}, { grant_type: 'client_credentials', client_id: 'teller-terminal', client_secret: DEMO_SECRETS['teller-terminal']! }, 'teller-terminal'],
      ] as const) {
        const res = await postForm(`${issuer}/token`, body, auth)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        assert.equal(res.body.scope, 'payments:read')
        const { payload, protectedHeader } = await jwtVerify(res.body.access_token as string, keys, { issuer, audience: `${issuer}/api` })
        assert.equal(payload.sub, sub)
        assert.equal(protectedHeader.kid, 'existing-1')
      }
    })

    it('still refuses what it refused', async () => {
      const wrong = await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, { authorization: basic('billing-service', 'nope') })
      assert.equal(wrong.status, 401)
      assert.deepEqual(wrong.body, { error: 'invalid_client' })
      const password = await postForm(`${issuer}/token`, { grant_type: 'password', username: 'a', password: 'b' }, { authorization: BILLING })
      assert.deepEqual(password.body, { error: 'unsupported_grant_type' })
      const scope = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'payments:write' }, { authorization: BILLING })
      assert.deepEqual(scope.body, { error: 'invalid_scope' })
    })

    it('keeps every member of its discovery document and its JWKS', async () => {
      const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      for (const [member, value] of Object.entries(ownDiscovery(issuer))) {
        if (Array.isArray(value)) assert.deepEqual((doc[member] as unknown[]).slice(0, value.length), value, member)
        else assert.equal(doc[member], value, member)
      }
      const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: JWK[] }
      assert.deepEqual(jwks.keys.map((k) => k.kid), ['existing-1'])
      assert.equal('d' in jwks.keys[0]!, false)
    })
  })

  describe('with CIBA', () => {
    it('advertises CIBA in the same discovery document', async () => {
      const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.equal(doc.backchannel_authentication_endpoint, `${issuer}/backchannel-authentication`)
      assert.deepEqual(doc.backchannel_token_delivery_modes_supported, ['poll'])
      assert.deepEqual(doc.grant_types_supported, ['client_credentials', CIBA, 'refresh_token'])
      assert.equal(doc.userinfo_endpoint, `${issuer}/userinfo`)
    })

    it('runs the poll flow for a client of its own table, tokens verified with its own JWKS', async () => {
      const bc = await postForm(`${issuer}/backchannel-authentication`, { scope: 'openid profile email', login_hint: 'alice@example.com', binding_message: 'T-42' }, { authorization: TELLER })
      assert.equal(bc.status, 200, JSON.stringify(bc.body))
      const id = bc.body.auth_req_id as string
      const notice = notices.find((n) => n.authReqId === id)!
      assert.equal(notice.sub, 'u-1001')
      assert.equal(notice.clientName, 'Teller Terminal')
      assert.equal(notice.bindingMessage, 'T-42')
      const pending = await postForm(`${issuer}/token`, { grant_type: CIBA, auth_req_id: id }, { authorization: TELLER })
      assert.equal(pending.body.error, 'authorization_pending')
      assert.equal((await provider.approve(id, { sub: 'u-1001' })).ok, true)
      const tokens = await postForm(`${issuer}/token`, { grant_type: CIBA, auth_req_id: id }, { authorization: TELLER })
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      const { payload } = await jwtVerify(tokens.body.id_token as string, keys, { issuer, audience: 'teller-terminal' })
      assert.equal(payload.sub, 'u-1001')
      const info = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } })
      assert.deepEqual(await info.json(), { sub: 'u-1001', name: 'Alice Adams', email: 'alice@example.com' })
    })

    it('uses its hashed secrets and its CIBA column', async () => {
      const params = { scope: 'openid', login_hint: 'bob@example.com' }
      const wrong = await postForm(`${issuer}/backchannel-authentication`, params, { authorization: basic('teller-terminal', 'billing-secret') })
      assert.equal(wrong.status, 401)
      assert.equal(wrong.body.error, 'invalid_client')
      const notCiba = await postForm(`${issuer}/backchannel-authentication`, params, { authorization: BILLING })
      assert.equal(notCiba.body.error, 'unauthorized_client')
      const unknown = await postForm(`${issuer}/backchannel-authentication`, params, { authorization: basic('ghost', 'x') })
      assert.equal(unknown.status, 401)
      const scope = await postForm(`${issuer}/backchannel-authentication`, { scope: 'openid payments:read', login_hint: 'bob@example.com' }, { authorization: TELLER })
      assert.equal(scope.body.error, 'invalid_scope')
    })
  })
})

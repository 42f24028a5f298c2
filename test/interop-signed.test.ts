// openid-client v6 against our OP: a signed authentication request (CIBA §7.1.1) and private_key_jwt
// client authentication (RFC 7523), then polling to tokens. A client library rejecting a response is a failure.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as client from 'openid-client'
import * as oauth from 'oauth4webapi'
import { CIBA, CLIENTS, startOp, type Framework, type TestOp } from './helpers/op.js'
import { clientKey, requestClaims, signJwt, type ClientKey } from './helpers/client-jwt.js'

const realClock = (): number => Math.floor(Date.now() / 1000)

for (const framework of ['express', 'koa'] as Framework[]) {
  describe(`openid-client v6 with signed requests and private_key_jwt (${framework})`, () => {
    let op: TestOp
    let key: ClientKey
    before(async () => {
      key = await clientKey('ES256', 'interop-es256')
      op = await startOp(framework, {
        clock: realClock,
        polling: { interval: 1 },
        clients: [...CLIENTS, {
          client_id: 'signed-client', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [key.publicJwk] }, grant_types: [CIBA, 'refresh_token'], backchannel_token_delivery_mode: 'poll',
          backchannel_authentication_request_signing_alg: 'ES256', id_token_signed_response_alg: 'ES256',
        }],
      })
    })
    after(() => op.close())

    const configure = () => client.discovery(new URL(op.issuer), 'signed-client', { id_token_signed_response_alg: 'ES256' },
      client.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] })

    it('sends a request object built by oauth4webapi\'s JAR helper, authenticates with PrivateKeyJwt, and polls to tokens', async () => {
      const config = await configure()
      const metadata = config.serverMetadata()
      assert.ok(metadata.token_endpoint_auth_methods_supported?.includes('private_key_jwt'))
      assert.ok((metadata.backchannel_authentication_request_signing_alg_values_supported as string[]).includes('ES256'))
      // The library's own request object builder (RFC 9101 shape: iss, aud, exp, iat, nbf, jti, client_id).
      const request = await oauth.issueRequestObject(metadata, { client_id: 'signed-client' },
        { scope: 'openid email', login_hint: 'alice', binding_message: 'OC-JAR', requested_expiry: '120' }, { key: key.privateKey, kid: key.kid })
      const started = await client.initiateBackchannelAuthentication(config, { request })
      assert.equal(started.expires_in, 120)
      const notice = op.notices.find((n) => n.authReqId === started.auth_req_id)!
      assert.equal(notice.bindingMessage, 'OC-JAR')
      assert.deepEqual(notice.scope, ['openid', 'email'])
      setTimeout(() => void op.provider.approve(started.auth_req_id, { amr: ['hwk'] }), 1100)
      const tokens = await client.pollBackchannelAuthenticationGrant(config, started)
      const claims = tokens.claims()!
      assert.equal(claims.sub, 'alice')
      assert.equal(claims.aud, 'signed-client')
      assert.deepEqual(claims.amr, ['hwk'])
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
      assert.equal(refreshed.claims()!.sub, 'alice')
    })

    it('sends a request object built with jose (requested_expiry as a JSON number)', async () => {
      const config = await configure()
      const request = await signJwt(requestClaims('signed-client', op.issuer, realClock(), { login_hint: 'bob', requested_expiry: 90 }), key)
      const started = await client.initiateBackchannelAuthentication(config, { request })
      assert.equal(started.expires_in, 90)
      await op.provider.approve(started.auth_req_id)
      const tokens = await client.pollBackchannelAuthenticationGrant(config, started)
      assert.equal(tokens.claims()!.sub, 'bob')
    })

    it('surfaces invalid_request when parameters travel outside the request object', async () => {
      const config = await configure()
      const request = await signJwt(requestClaims('signed-client', op.issuer, realClock()), key)
      await assert.rejects(client.initiateBackchannelAuthentication(config, { request, binding_message: 'outside' }), (error: unknown) => {
        assert.equal((error as { error?: string }).error, 'invalid_request')
        return true
      })
    })
  })
}

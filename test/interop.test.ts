// Real CIBA clients from npm against our OP: a client library rejecting a response is a failure.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as client from 'openid-client'
import * as oauth from 'oauth4webapi'
import { startOp, type Framework, type TestOp } from './helpers/op.js'

const realClock = (): number => Math.floor(Date.now() / 1000)

for (const framework of ['express', 'koa'] as Framework[]) {
  describe(`interop with real clients (${framework})`, () => {
    let op: TestOp
    before(async () => {
      // Real time: the client libraries check iat/exp against their own clock. Interval 1 s keeps polling quick.
      op = await startOp(framework, { clock: realClock, polling: { interval: 1 } })
    })
    after(() => op.close())

    it('openid-client v6 completes the poll flow and fetches userinfo', async () => {
      const config = await client.discovery(new URL(op.issuer), 'poll-client', undefined, client.ClientSecretBasic('poll-secret'), {
        // Non-repudiation checks: the library verifies the ID token signature against our jwks_uri.
        execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
      })
      assert.equal(config.serverMetadata().backchannel_authentication_endpoint, `${op.issuer}/backchannel-authentication`)
      const started = await client.initiateBackchannelAuthentication(config, { scope: 'openid profile email', login_hint: 'alice', binding_message: 'OC-6' })
      assert.equal(started.interval, 1)
      const notice = op.notices.find((n) => n.authReqId === started.auth_req_id)
      assert.equal(notice?.bindingMessage, 'OC-6')
      setTimeout(() => void op.provider.approve(started.auth_req_id, { amr: ['pwd'] }), 1200)
      const tokens = await client.pollBackchannelAuthenticationGrant(config, started)
      const claims = tokens.claims()!
      assert.equal(claims.sub, 'alice')
      assert.equal(claims.iss, op.issuer)
      assert.deepEqual(claims.amr, ['pwd'])
      assert.ok(tokens.refresh_token)
      const info = await client.fetchUserInfo(config, tokens.access_token, 'alice')
      assert.equal(info.email, 'alice@example.com')
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
      assert.equal(refreshed.claims()!.sub, 'alice')
    })

    it('openid-client v6 surfaces access_denied', async () => {
      const config = await client.discovery(new URL(op.issuer), 'post-client', 'post-secret', undefined, { execute: [client.allowInsecureRequests] })
      const started = await client.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'bob' })
      await op.provider.deny(started.auth_req_id)
      await assert.rejects(client.pollBackchannelAuthenticationGrant(config, started), (error: unknown) => {
        assert.equal((error as { error?: string }).error, 'access_denied')
        return true
      })
    })

    it('oauth4webapi validates every response of the flow (ES256 ID token, client_secret_post)', async () => {
      const issuer = new URL(op.issuer)
      const insecure = { [oauth.allowInsecureRequests]: true }
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
      const c: oauth.Client = { client_id: 'post-client', id_token_signed_response_alg: 'ES256' }
      const auth = oauth.ClientSecretPost('post-secret')
      const started = await oauth.processBackchannelAuthenticationResponse(as, c,
        await oauth.backchannelAuthenticationRequest(as, c, auth, { scope: 'openid email', login_hint: 'alice@example.com' }, insecure))
      assert.equal(typeof started.auth_req_id, 'string')
      await assert.rejects(
        oauth.processBackchannelAuthenticationGrantResponse(as, c, await oauth.backchannelAuthenticationGrantRequest(as, c, auth, started.auth_req_id, insecure)),
        (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending',
      )
      await op.provider.approve(started.auth_req_id)
      const response = await oauth.backchannelAuthenticationGrantRequest(as, c, auth, started.auth_req_id, insecure)
      const tokens = await oauth.processBackchannelAuthenticationGrantResponse(as, c, response)
      // Verifies the ID token's JWS against the OP's JWKS (fetched from jwks_uri).
      await oauth.validateApplicationLevelSignature(as, response, insecure)
      const idClaims = oauth.getValidatedIdTokenClaims(tokens)!
      assert.equal(idClaims.sub, 'alice')
      assert.equal(idClaims.aud, 'post-client')
      const info = await oauth.processUserInfoResponse(as, c, 'alice', await oauth.userInfoRequest(as, c, tokens.access_token, insecure))
      assert.equal(info.email, 'alice@example.com')
    })
  })
}

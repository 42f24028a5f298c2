// openid-client v6 registers itself (dynamicClientRegistration) and completes a CIBA poll flow with the
// registration it got: a client library rejecting our registration response is a failure.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as client from 'openid-client'
import { CIBA, startOp, type Framework, type TestOp } from './helpers/op.js'

const realClock = (): number => Math.floor(Date.now() / 1000)
const IAT = 'interop-initial-access-token-0123456789'

for (const framework of ['express', 'koa'] as Framework[]) {
  describe(`openid-client dynamic registration (${framework})`, () => {
    let op: TestOp
    before(async () => {
      // Real time: the library checks iat/exp against its own clock. Interval 1 s keeps polling quick.
      op = await startOp(framework, { clock: realClock, polling: { interval: 1 }, registration: { initialAccessToken: IAT } })
    })
    after(() => op.close())

    it('registers a CIBA poll client and completes a poll flow with it', async () => {
      const config = await client.dynamicClientRegistration(
        new URL(op.issuer),
        {
          client_name: 'openid-client interop',
          grant_types: [CIBA, 'refresh_token'],
          backchannel_token_delivery_mode: 'poll',
          token_endpoint_auth_method: 'client_secret_post',
          id_token_signed_response_alg: 'ES256',
        },
        undefined,
        { initialAccessToken: IAT, execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
      )
      const registered = config.clientMetadata()
      assert.equal(typeof registered.client_secret, 'string')
      assert.equal(registered.backchannel_token_delivery_mode, 'poll')
      assert.equal(typeof registered.registration_access_token, 'string')

      const started = await client.initiateBackchannelAuthentication(config, { scope: 'openid email', login_hint: 'bob', binding_message: 'DCR-1' })
      assert.equal(op.notices.find((n) => n.authReqId === started.auth_req_id)?.clientName, 'openid-client interop')
      setTimeout(() => void op.provider.approve(started.auth_req_id, { amr: ['face'] }), 1200)
      const tokens = await client.pollBackchannelAuthenticationGrant(config, started)
      const claims = tokens.claims()!
      assert.equal(claims.sub, 'bob')
      assert.equal(claims.aud, config.clientMetadata().client_id)
      assert.deepEqual(claims.amr, ['face'])
      const info = await client.fetchUserInfo(config, tokens.access_token, 'bob')
      assert.equal(info.email, 'bob@example.com')
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
      assert.equal(refreshed.claims()!.sub, 'bob')
    })

    it('surfaces an invalid_client_metadata rejection', async () => {
      await assert.rejects(
        client.dynamicClientRegistration(new URL(op.issuer), { grant_types: [CIBA], backchannel_token_delivery_mode: 'push' }, undefined,
          { initialAccessToken: IAT, execute: [client.allowInsecureRequests] }),
        (error: unknown) => {
          assert.equal((error as { error?: string }).error, 'invalid_client_metadata')
          assert.match((error as { error_description?: string }).error_description ?? '', /backchannel_token_delivery_mode push is not enabled/)
          return true
        },
      )
    })
  })
}

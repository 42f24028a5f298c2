/**
 * The peer: oidc-provider 9 configured for CIBA poll mode with the same issuer, clients, user
 * and keys as the ciba-kit targets. Its own in-memory adapter is used, with a store large
 * enough that the benchmark's pending requests are not evicted (its default LRU holds 1,000).
 */
import Provider from 'oidc-provider'
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js'
import LRU from 'oidc-provider/lib/helpers/lru.js'
import { CIBA_GRANT, CLIENTS, ISSUER, USER, keysFromEnv } from '../config.js'
import { serve } from './serve.js'

const store = new LRU({ maxSize: 2_000_000 })
const noop = async (): Promise<void> => {}

const provider = new Provider(ISSUER, {
  adapter: (model: string) => new MemoryAdapter(model, store),
  jwks: { keys: keysFromEnv() },
  clients: Object.values(CLIENTS).map((c) => ({
    client_id: c.id,
    client_secret: c.secret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [CIBA_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    backchannel_token_delivery_mode: 'poll',
    id_token_signed_response_alg: c.alg,
  })),
  // Like ciba-kit for a client allowed the refresh_token grant: a refresh token with every grant.
  issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: async (_ctx: unknown, hint: string) => (hint === USER ? USER : undefined),
      processLoginHintToken: noop,
      validateRequestContext: noop,
      verifyUserCode: noop,
      triggerAuthenticationDevice: noop,
      // validateBindingMessage: the library default (1-20 characters of a basic set).
    },
  },
  ttl: {
    AccessToken: 3600,
    IdToken: 3600,
    RefreshToken: 86_400,
    Grant: 86_400,
    // Long enough that the pool seeded at the start of a run is still pending at its end.
    BackchannelAuthenticationRequest: 3600,
  },
  // The same paths as the ciba-kit targets.
  routes: { backchannel_authentication: '/backchannel-authentication', jwks: '/jwks', token: '/token', userinfo: '/userinfo' },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
})
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err))

await serve(provider.callback(), {
  async approve(authReqId) {
    const request = await provider.BackchannelAuthenticationRequest.find(authReqId)
    if (request === undefined) return false
    // How oidc-provider records the user's decision: a Grant, then backchannelResult().
    const grant = new provider.Grant({ clientId: request.clientId, accountId: request.accountId })
    grant.addOIDCScope(request.scope ?? 'openid')
    await grant.save()
    await provider.backchannelResult(request, grant, { authTime: Math.floor(Date.now() / 1000) })
    return true
  },
  async seed(n, clientId) {
    // What its backchannel endpoint stores for `scope=openid&login_hint=alice` (minus HTTP).
    const client = await provider.Client.find(clientId)
    if (client === undefined) throw new Error('unknown client')
    const ids: string[] = []
    for (let i = 0; i < n; i += 1) {
      const request = new provider.BackchannelAuthenticationRequest({
        accountId: USER,
        claims: {},
        client,
        params: { scope: 'openid', login_hint: USER, client_id: clientId },
        scope: 'openid',
      })
      ids.push(await request.save())
    }
    return ids
  },
})

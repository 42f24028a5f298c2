import type { Client } from '../clients/registry.js'
import type { EndpointDeps } from '../endpoints/deps.js'
import { signIdToken } from './id-token.js'
import type { GrantFacts, MintedTokens } from './mint.js'

/** Options of {@link tokenResponse}. */
export interface TokenResponseOptions {
  /** Claims the approval added to the ID token. */
  readonly extraClaims?: Readonly<Record<string, unknown>> | undefined
  /**
   * Push mode (CIBA Core §10.3.1): the `auth_req_id` the response is pushed for. The body then
   * carries `auth_req_id`, and the ID token `urn:openid:params:jwt:claim:auth_req_id` and, with a
   * refresh token, `urn:openid:params:jwt:claim:rt_hash`.
   */
  readonly pushedFor?: string | undefined
}

/**
 * A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3): the minted tokens and a
 * freshly signed ID token with `at_hash`. Used by the token endpoint and by push delivery alike.
 */
export async function tokenResponse(
  facts: GrantFacts,
  minted: MintedTokens,
  client: Client,
  now: number,
  deps: Pick<EndpointDeps, 'settings' | 'keys'>,
  options: TokenResponseOptions = {},
): Promise<Record<string, unknown>> {
  const { pushedFor } = options
  const idToken = await signIdToken(
    {
      issuer: deps.settings.issuer,
      clientId: client.id,
      sub: facts.sub,
      alg: client.idTokenAlg,
      now,
      ttl: deps.settings.idTokenTtl,
      authTime: facts.authTime,
      acr: facts.acr,
      amr: facts.amr,
      accessToken: minted.accessToken,
      authReqId: pushedFor,
      refreshToken: pushedFor === undefined ? undefined : minted.refreshToken,
      extraClaims: options.extraClaims,
    },
    await deps.keys(),
  )
  const body: Record<string, unknown> = pushedFor === undefined ? {} : { auth_req_id: pushedFor }
  body.access_token = minted.accessToken
  body.token_type = 'Bearer'
  body.expires_in = minted.expiresIn
  if (minted.refreshToken !== undefined) body.refresh_token = minted.refreshToken
  body.scope = facts.scope
  body.id_token = idToken
  return body
}

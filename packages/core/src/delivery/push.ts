import type { Client } from '../clients/registry.js'
import type { EndpointDeps } from '../endpoints/deps.js'
import type { ApprovalRecord, DenialRecord } from '../storage/types.js'
import type { GrantFacts, MintedTokens } from '../tokens/mint.js'
import { tokenResponse } from '../tokens/token-response.js'

/**
 * The successful token push body (CIBA Core §10.3.1): a token response plus `auth_req_id`; the ID
 * token carries `urn:openid:params:jwt:claim:auth_req_id`, `at_hash`, and
 * `urn:openid:params:jwt:claim:rt_hash` when a refresh token is pushed.
 */
export async function pushTokenPayload(
  authReqId: string,
  facts: GrantFacts,
  minted: MintedTokens,
  client: Client,
  approval: ApprovalRecord,
  now: number,
  deps: EndpointDeps,
): Promise<string> {
  return JSON.stringify(await tokenResponse(facts, minted, client, now, deps, { extraClaims: approval.claims, pushedFor: authReqId }))
}

const DESCRIPTIONS: Readonly<Record<DenialRecord['error'], string>> = {
  access_denied: 'the end-user denied the authorization request',
  expired_token: 'the authentication request has expired',
  transaction_failed: 'the authentication request could not be completed',
}

/** The push error payload (CIBA Core §12): `error`, `error_description`, `auth_req_id`. */
export function pushErrorPayload(authReqId: string, denial: DenialRecord): string {
  return JSON.stringify({
    error: denial.error,
    error_description: denial.description ?? DESCRIPTIONS[denial.error],
    auth_req_id: authReqId,
  })
}

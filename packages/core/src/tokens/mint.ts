import type { Settings } from '../settings.js'
import type { TokenRecord } from '../storage/types.js'
import { tokenId } from './hashes.js'

/** What a grant carries into the tokens issued for it. */
export interface GrantFacts {
  readonly grantId: string
  readonly clientId: string
  readonly sub: string
  readonly scope: string
  readonly authTime?: number | undefined
  readonly acr?: string | undefined
  readonly amr?: readonly string[] | undefined
}

/** Fresh token values and the records that storage keeps for them (hashes, never values). */
export interface MintedTokens {
  readonly accessToken: string
  readonly refreshToken: string | undefined
  readonly records: readonly TokenRecord[]
  readonly expiresIn: number
}

/** Creates an opaque access token (and a refresh token when allowed), ≥256 bits each. */
export function mintTokens(facts: GrantFacts, withRefreshToken: boolean, now: number, settings: Settings): MintedTokens {
  const common = {
    grantId: facts.grantId,
    clientId: facts.clientId,
    sub: facts.sub,
    scope: facts.scope,
    issuedAt: now,
    ...(facts.authTime === undefined ? {} : { authTime: facts.authTime }),
    ...(facts.acr === undefined ? {} : { acr: facts.acr }),
    ...(facts.amr === undefined ? {} : { amr: facts.amr }),
  }
  const accessToken = settings.generateId()
  const records: TokenRecord[] = [
    { id: tokenId(accessToken), kind: 'access_token', expiresAt: now + settings.accessTokenTtl, ...common },
  ]
  let refreshToken: string | undefined
  if (withRefreshToken) {
    refreshToken = settings.generateId()
    records.push({ id: tokenId(refreshToken), kind: 'refresh_token', expiresAt: now + settings.refreshTokenTtl, ...common })
  }
  return { accessToken, refreshToken, records, expiresIn: settings.accessTokenTtl }
}

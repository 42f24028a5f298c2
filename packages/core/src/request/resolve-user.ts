import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import type { RequestContext, ResolvedUser, UserResolver } from '../config.js'
import { OAuthError, UnknownUserId } from '../errors/oauth-error.js'
import type { KeySet } from '../keys/signing-keys.js'
import type { Hint } from './authentication-request.js'

/** What user resolution needs. */
export interface ResolveUserDeps {
  readonly users: UserResolver
  readonly issuer: string
  /** The OP's keys, only needed (and awaited) for an `id_token_hint`. */
  readonly keys: () => Promise<KeySet>
}

/**
 * Finds the user the hint names (CIBA Core §7.1). `unknown_user_id` when nobody matches.
 * An `id_token_hint` must be an ID token this OP signed for this client; its expiry is not
 * enforced, since CIBA §7.1 allows hints from earlier sessions.
 */
export async function resolveUser(hint: Hint, ctx: RequestContext, deps: ResolveUserDeps): Promise<ResolvedUser> {
  let user: ResolvedUser | undefined
  switch (hint.kind) {
    case 'login_hint':
      user = await deps.users.findByLoginHint(hint.value, ctx)
      break
    case 'login_hint_token':
      if (deps.users.findByLoginHintToken === undefined) {
        throw new OAuthError('invalid_request', { description: 'login_hint_token is not supported by this OP' })
      }
      user = await deps.users.findByLoginHintToken(hint.value, ctx)
      break
    case 'id_token_hint':
      user = { sub: await subjectOfIdTokenHint(hint.value, ctx.client.client_id, deps) }
      break
  }
  if (user === undefined || typeof user.sub !== 'string' || user.sub === '') throw new UnknownUserId()
  return user
}

async function subjectOfIdTokenHint(token: string, clientId: string, deps: ResolveUserDeps): Promise<string> {
  const invalid = (why: string) => new OAuthError('invalid_request', { description: `id_token_hint ${why}` })
  let alg: unknown
  try {
    alg = decodeProtectedHeader(token).alg
  } catch {
    throw invalid('is not a JWS')
  }
  const keys = await deps.keys()
  if (typeof alg !== 'string' || !keys.algorithms.includes(alg as never)) throw invalid('is not signed by this OP')
  let payload: Uint8Array
  try {
    ;({ payload } = await compactVerify(token, createLocalJWKSet(keys.publicJwks as { keys: never[] }), { algorithms: [alg] }))
  } catch {
    throw invalid('is not signed by this OP')
  }
  let claims: { iss?: unknown; aud?: unknown; sub?: unknown }
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as typeof claims
  } catch {
    throw invalid('has a malformed payload')
  }
  if (claims.iss !== deps.issuer) throw invalid('was not issued by this OP')
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!aud.includes(clientId)) throw invalid('was not issued to this client')
  if (typeof claims.sub !== 'string' || claims.sub === '') throw invalid('has no sub')
  return claims.sub
}

import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import type { RequestContext, ResolvedUser, UserResolver } from '../config.js'
import { OAuthError, UnknownUserId } from '../errors/oauth-error.js'
import type { KeySet } from '../keys/signing-keys.js'
import type { Hint } from './authentication-request.js'
import { isThenable } from '../thenable.js'

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
export function resolveUser(hint: Hint, ctx: RequestContext, deps: ResolveUserDeps): ResolvedUser | Promise<ResolvedUser> {
  switch (hint.kind) {
    case 'login_hint': {
      // A synchronous directory answers without a promise: one hop less on every request.
      const found = deps.users.findByLoginHint(hint.value, ctx)
      return isThenable(found) ? Promise.resolve(found).then(known) : known(found)
    }
    case 'login_hint_token':
      if (deps.users.findByLoginHintToken === undefined) {
        return Promise.reject(new OAuthError('invalid_request', { description: 'login_hint_token is not supported by this OP' }))
      }
      return Promise.resolve(deps.users.findByLoginHintToken(hint.value, ctx)).then(known)
    case 'id_token_hint':
      return subjectOfIdTokenHint(hint.value, ctx.client.client_id, deps).then((sub) => known({ sub }))
  }
}

/** The user found, or `unknown_user_id` (CIBA §13) when nobody (or nobody usable) matched. */
function known(user: ResolvedUser | undefined): ResolvedUser {
  if (user === undefined || user === null || typeof user.sub !== 'string' || user.sub === '') throw new UnknownUserId()
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

import { authenticateClient } from '../client-auth/authenticate-client.js'
import type { Client } from '../clients/registry.js'
import { CIBA_GRANT_TYPE } from '../config.js'
import { OAuthError } from '../errors/oauth-error.js'
import { effectiveStatus } from '../grant/transitions.js'
import { jsonResponse, type NeutralRequest, type NeutralResponse } from '../http/types.js'
import { parseForm, type FormParams } from '../request/form.js'
import { tokenId } from '../tokens/hashes.js'
import { mintTokens, type GrantFacts } from '../tokens/mint.js'
import { tokenResponse } from '../tokens/token-response.js'
import type { EndpointDeps } from './deps.js'

/** The grants this token endpoint owns; anything else belongs to the host. */
export const OWNED_GRANTS: ReadonlySet<string> = new Set([CIBA_GRANT_TYPE, 'refresh_token'])

/** Seconds a `slow_down` adds to the interval (CIBA §7.3, RFC 8628 §3.5). */
const SLOW_DOWN_STEP = 5

/**
 * CIBA §11 `authorization_pending`, the answer to nearly every poll: built once. It is an expected
 * outcome, not an error, so it costs no exception and no serialisation per request.
 */
const AUTHORIZATION_PENDING: NeutralResponse = Object.freeze(
  jsonResponse(400, { error: 'authorization_pending', error_description: 'the user has not yet been authenticated' }),
)

/**
 * Token endpoint for the CIBA grant (CIBA Core §10.1, §11) and for refresh tokens it issued
 * (RFC 6749 §6). Returns `undefined` ("not mine") for a grant type it does not own, and, with
 * `passUnknownRefreshTokens`, for a refresh token it did not issue, so a host's own token
 * endpoint can answer it.
 */
export function createTokenEndpoint(deps: EndpointDeps) {
  const clientAuth = deps.clientAuth(deps.settings.urls.token)

  return async function token(req: NeutralRequest): Promise<NeutralResponse | undefined> {
    const form = parseForm(req)
    const grantType = form['grant_type']
    if (grantType === undefined) throw new OAuthError('invalid_request', { description: 'grant_type is required' })
    if (!OWNED_GRANTS.has(grantType)) {
      if (deps.settings.otherGrantTypes === 'pass') return undefined
      throw new OAuthError('unsupported_grant_type', { description: 'this OP issues tokens for the CIBA and refresh_token grants only' })
    }
    // Decided before client authentication: the host's own clients need not be known here.
    if (grantType === 'refresh_token' && deps.settings.passUnknownRefreshTokens && !(await isIssuedToken(form['refresh_token'], deps))) return undefined
    const client = await authenticateClient(req, form, clientAuth)
    return grantType === CIBA_GRANT_TYPE ? redeemCibaGrant(form, client, deps) : jsonResponse(200, await refresh(form, client, deps))
  }
}

/** CIBA Core §10.1 token request; §11 answers while the request is not yet redeemable. */
async function redeemCibaGrant(form: FormParams, client: Client, deps: EndpointDeps): Promise<NeutralResponse> {
  const { storage, settings } = deps
  if (!client.grantTypes.has(CIBA_GRANT_TYPE)) {
    throw new OAuthError('unauthorized_client', { description: 'client is not registered for the CIBA grant' })
  }
  // CIBA §10.3: push clients receive tokens at their notification endpoint, never here.
  if (client.deliveryMode === 'push') {
    throw new OAuthError('unauthorized_client', { description: 'push mode clients cannot use the CIBA grant at the token endpoint' })
  }
  const authReqId = form['auth_req_id']
  if (authReqId === undefined) throw new OAuthError('invalid_request', { description: 'auth_req_id is required' })
  if (authReqId.length > 512) throw new OAuthError('invalid_grant', { description: 'auth_req_id is invalid' })

  const now = settings.clock()
  const before = await storage.recordPoll(authReqId, now)
  if (before === undefined || before.clientId !== client.id) {
    throw new OAuthError('invalid_grant', { description: 'auth_req_id is invalid' })
  }
  switch (effectiveStatus(before.status, before.expiresAt, now)) {
    case 'pending': {
      // CIBA §7.3: a client polling sooner than `interval` gets slow_down, and must wait 5 s longer from now on.
      if (before.lastPolledAt !== undefined && now - before.lastPolledAt < before.interval) {
        await storage.transitionAuthRequest(authReqId, ['pending'], { interval: before.interval + SLOW_DOWN_STEP })
        throw new OAuthError('slow_down', { description: `poll no more often than every ${before.interval + SLOW_DOWN_STEP} seconds` })
      }
      return AUTHORIZATION_PENDING
    }
    case 'expired':
      throw new OAuthError('expired_token', { description: 'the authentication request has expired' })
    case 'denied':
      if (before.denial?.error === 'expired_token') throw new OAuthError('expired_token', { description: 'the authentication request has expired' })
      throw new OAuthError('access_denied', { description: before.denial?.description ?? 'the user denied the authentication request' })
    case 'consumed':
      throw new OAuthError('invalid_grant', { description: 'auth_req_id has already been used' })
    case 'approved':
      break
  }
  const approval = before.approval!
  const facts: GrantFacts = {
    grantId: before.id,
    clientId: client.id,
    sub: approval.sub,
    scope: before.scope,
    authTime: approval.authTime,
    acr: approval.acr,
    amr: approval.amr,
  }
  const minted = mintTokens(facts, client.grantTypes.has('refresh_token'), now, settings)
  // Consume-once: of two concurrent token requests only one moves approved -> consumed.
  const consumed = await storage.transitionAuthRequest(authReqId, ['approved'], { status: 'consumed', updatedAt: now }, { tokens: minted.records })
  if (consumed === undefined) throw new OAuthError('invalid_grant', { description: 'auth_req_id has already been used' })
  deps.events.emit('tokens.issued', { grantId: facts.grantId, clientId: client.id, grantType: CIBA_GRANT_TYPE })
  return jsonResponse(200, await tokenResponse(facts, minted, client, now, deps, { extraClaims: approval.claims }))
}

/** Is this a token ciba-kit issued and still knows (not expired, not revoked)? */
async function isIssuedToken(value: string | undefined, deps: EndpointDeps): Promise<boolean> {
  if (value === undefined || value.length > 1024) return false
  return (await deps.storage.findToken(tokenId(value))) !== undefined
}

/** RFC 6749 §6 refresh with rotation; a rotated token presented again revokes the whole grant. */
async function refresh(form: FormParams, client: Client, deps: EndpointDeps): Promise<Record<string, unknown>> {
  const { storage, settings } = deps
  if (!client.grantTypes.has('refresh_token')) {
    throw new OAuthError('unauthorized_client', { description: 'client is not registered for the refresh_token grant' })
  }
  const presented = form['refresh_token']
  if (presented === undefined) throw new OAuthError('invalid_request', { description: 'refresh_token is required' })
  const id = tokenId(presented)
  const record = await storage.findToken(id)
  if (record === undefined || record.kind !== 'refresh_token' || record.clientId !== client.id) {
    throw new OAuthError('invalid_grant', { description: 'refresh_token is invalid' })
  }
  let scope = record.scope
  if (form['scope'] !== undefined) {
    const granted = new Set(record.scope.split(' '))
    const requested = [...new Set(form['scope'].split(' ').filter(Boolean))]
    if (requested.length === 0 || requested.some((s) => !granted.has(s))) {
      throw new OAuthError('invalid_scope', { description: 'scope exceeds the scope originally granted' })
    }
    scope = requested.join(' ')
  }
  const now = settings.clock()
  const facts: GrantFacts = {
    grantId: record.grantId, clientId: client.id, sub: record.sub, scope: record.scope,
    authTime: record.authTime, acr: record.acr, amr: record.amr,
  }
  const minted = mintTokens(facts, true, now, settings)
  // RFC 6749 §6: a narrowed request narrows the access token; the refresh token keeps the original scope.
  const records = minted.records.map((r) => (r.kind === 'access_token' ? { ...r, scope } : r))
  const use = await storage.useRefreshToken(id, now, records)
  if (use.outcome === 'reused') {
    deps.events.emit('refresh_token.reused', { grantId: record.grantId, clientId: client.id })
    throw new OAuthError('invalid_grant', { description: 'refresh_token has already been used; the grant is revoked' })
  }
  if (use.outcome === 'missing') throw new OAuthError('invalid_grant', { description: 'refresh_token is invalid' })
  deps.events.emit('tokens.issued', { grantId: record.grantId, clientId: client.id, grantType: 'refresh_token' })
  return tokenResponse({ ...facts, scope }, minted, client, now, deps)
}

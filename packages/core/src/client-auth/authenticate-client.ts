import type { ClientRegistry, Client } from '../clients/registry.js'
import { OAuthError } from '../errors/oauth-error.js'
import { headerValue, type NeutralRequest } from '../http/types.js'
import type { FormParams } from '../request/form.js'
import { secretMatchesBytes } from '../tokens/hashes.js'
import { parseBasicCredentials } from './client-secret-basic.js'

/** The JWT client assertion type (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** Verifies a client assertion (`client_secret_jwt` / `private_key_jwt`, RFC 7523 §3). */
export type AssertionVerifier = (assertion: string, client: Client, audience: readonly string[]) => Promise<void>

/** What client authentication needs from the provider. */
export interface ClientAuthContext {
  readonly clients: ClientRegistry
  /** Verifies JWT assertions; absent until JWT methods are configured. */
  readonly verifyAssertion?: AssertionVerifier
  /** Accepted `aud` values for assertions at this endpoint (issuer, endpoint URL). */
  readonly audience: readonly string[]
}

function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', { description })
}

/**
 * Authenticates the client at the token or backchannel authentication endpoint
 * (RFC 6749 §2.3, OIDC Core §9, RFC 7523 §2.2). Exactly one method per request; the method must
 * be the one the client registered. Failures before a credential is checked are one
 * `401 invalid_client` ("client authentication failed") whether the client is unknown or registered
 * for another method, so an unauthenticated caller learns neither; a JWT assertion presented for a
 * client that does use JWTs is told what is wrong with it (its signature, `aud`, `exp`, ...).
 */
export async function authenticateClient(req: NeutralRequest, form: FormParams, ctx: ClientAuthContext): Promise<Client> {
  const authorization = headerValue(req.headers, 'authorization')
  const basic = authorization === undefined ? undefined : parseBasicCredentials(authorization)
  const assertionType = form['client_assertion_type']
  const assertion = form['client_assertion']
  const postSecret = form['client_secret']

  const used = [basic !== undefined, postSecret !== undefined, assertionType !== undefined || assertion !== undefined].filter(Boolean).length
  if (used > 1) throw new OAuthError('invalid_request', { description: 'more than one client authentication method was used' })

  if (basic !== undefined) {
    // oauth4webapi sends client_id in the body alongside Basic; it must then agree.
    if (form['client_id'] !== undefined && form['client_id'] !== basic.clientId) {
      throw new OAuthError('invalid_request', { description: 'client_id does not match the authenticated client' })
    }
    const client = await ctx.clients.find(basic.clientId)
    if (client === undefined || client.authMethod !== 'client_secret_basic') throw invalidClient('client authentication failed')
    if (!(await secretMatches(client, basic.clientSecret))) throw invalidClient('client authentication failed')
    return client
  }

  if (assertionType !== undefined || assertion !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION) throw new OAuthError('invalid_request', { description: 'unsupported client_assertion_type' })
    if (assertion === undefined) throw new OAuthError('invalid_request', { description: 'client_assertion is missing' })
    const clientId = form['client_id'] ?? assertionIssuer(assertion)
    if (clientId === undefined) throw invalidClient('client authentication failed')
    const client = await ctx.clients.find(clientId)
    if (client === undefined || (client.authMethod !== 'client_secret_jwt' && client.authMethod !== 'private_key_jwt')) {
      throw invalidClient('client authentication failed')
    }
    if (ctx.verifyAssertion === undefined) throw invalidClient('client authentication failed')
    await ctx.verifyAssertion(assertion, client, ctx.audience)
    return client
  }

  const clientId = form['client_id']
  if (clientId === undefined) throw invalidClient('client authentication is required')
  if (postSecret === undefined) throw invalidClient('client authentication failed')
  const client = await ctx.clients.find(clientId)
  if (client === undefined || client.authMethod !== 'client_secret_post') throw invalidClient('client authentication failed')
  if (!(await secretMatches(client, postSecret))) throw invalidClient('client authentication failed')
  return client
}

/**
 * The presented secret against the client's: constant-time for a plaintext secret; a host client's
 * `verifySecret` otherwise (the host's hash comparison). Only a literal `true` authenticates.
 */
async function secretMatches(client: Client, presented: string): Promise<boolean> {
  if (client.secretBytes !== undefined) return secretMatchesBytes(presented, client.secretBytes)
  if (client.verifySecret !== undefined) return (await client.verifySecret(presented)) === true
  return false
}

/** The `iss` of an (unverified) assertion, only to find which client's keys verify it. */
function assertionIssuer(assertion: string): string | undefined {
  const payload = assertion.split('.')[1]
  if (payload === undefined || payload.length > 16_384) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown
    if (claims !== null && typeof claims === 'object') {
      const { iss, sub } = claims as { iss?: unknown; sub?: unknown }
      if (typeof sub === 'string') return sub
      if (typeof iss === 'string') return iss
    }
  } catch {
    // Malformed: falls through to invalid_client.
  }
  return undefined
}

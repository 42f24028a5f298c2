import { Ajv, type ValidateFunction } from 'ajv'
import { CIBA_GRANT_TYPE } from '../config.js'
import { OAuthError } from '../errors/oauth-error.js'
import { randomBytes } from 'node:crypto'
import type { ClientMetadata } from './metadata.js'
import { ClientMetadataError, isAcceptableNotificationEndpoint, normalizeClient, type Client, type ClientPolicy } from './registry.js'
import { KNOWN_MEMBERS, LOCALIZED_MEMBER, REFUSED_MEMBERS, registrationRequestSchema } from './registration-schema.js'
import { isLoopbackHttp } from '../http/outbound-url.js'

/** What registration checks a client against: the OP's policy, as advertised in its discovery document. */
export interface RegistrationPolicy {
  readonly client: ClientPolicy
  /** The static client schema ({@link compileClientSchema}); the registry re-validates stored clients with it. */
  readonly validateClient: ValidateFunction
  /** Grant types a registered client may list. */
  readonly grantTypes: readonly string[]
  /** `token_endpoint_auth_methods_supported`. */
  readonly authMethods: readonly string[]
  /** `token_endpoint_auth_signing_alg_values_supported`. */
  readonly authSigningAlgs: readonly string[]
  /** `scopes_supported`. */
  readonly scopes: readonly string[]
  /** Development only: allow an `http` `jwks_uri` on loopback. */
  readonly allowHttpJwksUri: boolean
}

/** Who the client is: assigned by the server, never by the request. */
export interface ClientIdentity {
  readonly clientId: string
  /** The current secret (kept across updates while the auth method still needs one). */
  readonly secret?: string | undefined
}

/** A checked registration: the client as the endpoints will see it, and what to store. */
export interface CheckedRegistration {
  readonly client: Client
  /** Metadata with wire names and defaults, without `client_id`/`client_secret` (those are stored apart). */
  readonly metadata: Readonly<Record<string, unknown>>
  readonly secret: string | undefined
}

const SECRET_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt'])
const REDIRECT_GRANTS = ['authorization_code', 'implicit']
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:'])
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/**
 * A new `client_secret`: 512 bits, so that it is also a full-strength HS512 key for `client_secret_jwt`
 * (RFC 7518 §3.2: the key must be at least as long as the hash).
 */
function newSecret(): string {
  return randomBytes(64).toString('base64url')
}

function invalidMetadata(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', { description })
}

function invalidRedirect(description: string): OAuthError {
  return new OAuthError('invalid_redirect_uri', { description })
}

/**
 * Compiles the registration rules once (at start-up) and returns the check applied to every
 * registration and update request. Throws `invalid_client_metadata` / `invalid_redirect_uri`
 * (RFC 7591 §3.2.2) with a description that names the offending field.
 *
 * @see RFC 7591 §2, §3.2.2; OIDC Registration §2; CIBA Core §4
 */
export function createRegistrationCheck(policy: RegistrationPolicy): (body: unknown, identity: ClientIdentity) => CheckedRegistration {
  const validate = new Ajv({ allErrors: false, strict: false }).compile(registrationRequestSchema)
  return (body, identity) => {
    const requested = pickMembers(body)
    if (!validate(requested)) throw schemaError(validate)
    const metadata = applyDefaults(requested)
    checkGrantTypes(metadata, policy)
    checkUris(metadata, policy)
    const method = metadata['token_endpoint_auth_method'] as string
    if (!SECRET_METHODS.has(method) && method !== 'private_key_jwt') {
      throw invalidMetadata(`token_endpoint_auth_method ${method} is not supported by this OP`)
    }
    const secret = SECRET_METHODS.has(method) ? identity.secret ?? newSecret() : undefined
    let client: Client
    try {
      // The rules shared with static clients (jwks xor jwks_uri, private_key_jwt keys, CIBA §4 delivery rules, algs).
      const input = { ...metadata, client_id: identity.clientId, ...(secret === undefined ? {} : { client_secret: secret }) } as ClientMetadata
      client = normalizeClient(input, policy.client, policy.validateClient, 'registered')
    } catch (error) {
      if (error instanceof ClientMetadataError) throw invalidMetadata(error.message)
      throw error
    }
    checkOpSupport(client, policy)
    const { client_id: _id, client_secret: _secret, ...stored } = client.metadata
    return { client, metadata: stored, secret }
  }
}

/** Keeps only understood members (RFC 7591 §2); refuses the ones this OP cannot honour. */
function pickMembers(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidMetadata('the request body must be a JSON object of client metadata')
  }
  const out: Record<string, unknown> = {}
  let localized = 0
  for (const [name, value] of Object.entries(body)) {
    const refusal = REFUSED_MEMBERS[name]
    if (refusal !== undefined && value !== undefined && value !== null && value !== false) throw invalidMetadata(`${name}: ${refusal}`)
    if (KNOWN_MEMBERS.has(name)) out[name] = value
    else if (LOCALIZED_MEMBER.test(name) && ++localized <= 20) out[name] = value
  }
  return out
}

function schemaError(validate: ValidateFunction): OAuthError {
  const error = validate.errors?.[0]
  const field = error?.instancePath.split('/')[1] || String(error?.params?.['missingProperty'] ?? 'metadata')
  const description = `${field} ${error?.message ?? 'is invalid'}`
  return field === 'redirect_uris' ? invalidRedirect(description) : invalidMetadata(description)
}

/**
 * Defaults echoed in the response. `grant_types` defaults to the CIBA grant rather than RFC 7591's
 * `authorization_code`: this OP has no authorization endpoint, so that default could never work.
 */
function applyDefaults(requested: Record<string, unknown>): Record<string, unknown> {
  return {
    ...requested,
    application_type: requested['application_type'] ?? 'web',
    grant_types: requested['grant_types'] ?? [CIBA_GRANT_TYPE],
    token_endpoint_auth_method: requested['token_endpoint_auth_method'] ?? 'client_secret_basic',
  }
}

function checkGrantTypes(metadata: Record<string, unknown>, policy: RegistrationPolicy): void {
  const grants = metadata['grant_types'] as readonly string[]
  const unsupported = grants.find((g) => !policy.grantTypes.includes(g))
  if (unsupported !== undefined) throw invalidMetadata(`grant_types: ${unsupported} is not supported`)
  // CIBA §4: a client of the CIBA grant must say how it receives tokens (the OP's static-client default does not apply).
  const onlyOwnGrants = grants.every((g) => g === CIBA_GRANT_TYPE || g === 'refresh_token')
  if (metadata['backchannel_token_delivery_mode'] === undefined && (grants.includes(CIBA_GRANT_TYPE) || onlyOwnGrants)) {
    throw invalidMetadata('backchannel_token_delivery_mode is required for CIBA clients (poll, ping or push)')
  }
  const responseTypes = (metadata['response_types'] as readonly string[] | undefined) ?? []
  // OIDC Registration §2: response types and grant types must agree (code -> authorization_code, token/id_token -> implicit).
  for (const part of responseTypes.flatMap((t) => t.split(' '))) {
    const needs = part === 'code' ? 'authorization_code' : part === 'none' ? undefined : 'implicit'
    if (needs !== undefined && !grants.includes(needs)) throw invalidMetadata(`response_types: ${part} needs the ${needs} grant in grant_types`)
  }
}

function checkUris(metadata: Record<string, unknown>, policy: RegistrationPolicy): void {
  const grants = metadata['grant_types'] as readonly string[]
  const redirects = metadata['redirect_uris'] as readonly string[] | undefined
  // Redirect URIs only matter to the host's redirect-based grants; CIBA-only clients need none.
  if (REDIRECT_GRANTS.some((g) => grants.includes(g)) && (redirects === undefined || redirects.length === 0)) {
    throw invalidRedirect('redirect_uris is required for the authorization_code and implicit grants')
  }
  for (const uri of redirects ?? []) {
    const url = parseUrl(uri)
    if (url === undefined || url.hash !== '' || UNSAFE_SCHEMES.has(url.protocol)) throw invalidRedirect('redirect_uris must hold absolute URIs without a fragment')
    if (metadata['application_type'] === 'web' && url.protocol !== 'https:' && !isLoopbackHttp(url)) {
      throw invalidRedirect('redirect_uris of a web client must use https')
    }
  }
  const endpoint = metadata['backchannel_client_notification_endpoint']
  if (typeof endpoint === 'string' && !isAcceptableNotificationEndpoint(endpoint, policy.client.allowHttpNotificationEndpoints)) {
    throw invalidMetadata('backchannel_client_notification_endpoint must be an https URL')
  }
  const jwksUri = metadata['jwks_uri']
  if (typeof jwksUri === 'string' && !isAcceptableNotificationEndpoint(jwksUri, policy.allowHttpJwksUri)) throw invalidMetadata('jwks_uri must be an https URL')
  const jwks = metadata['jwks'] as { keys: ReadonlyArray<Record<string, unknown>> } | undefined
  if (jwks?.keys.some((key) => PRIVATE_JWK_MEMBERS.some((m) => m in key))) {
    throw invalidMetadata('jwks must hold public keys only')
  }
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^(logo_uri|client_uri|policy_uri|tos_uri)(#|$)/.test(name)) continue
    const url = parseUrl(value as string)
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw invalidMetadata(`${name} must be an http(s) URL`)
  }
}

/** What only the OP's current configuration decides: its advertised methods, algorithms and scopes. */
function checkOpSupport(client: Client, policy: RegistrationPolicy): void {
  if (!policy.authMethods.includes(client.authMethod)) {
    throw invalidMetadata(`token_endpoint_auth_method ${client.authMethod} is not supported by this OP`)
  }
  const authAlg = client.metadata.token_endpoint_auth_signing_alg
  if (authAlg !== undefined) {
    // OIDC Registration §2: the alg of the JWT auth methods; HMAC for client_secret_jwt, asymmetric for private_key_jwt.
    const fits = client.authMethod === 'client_secret_jwt' ? authAlg.startsWith('HS') : client.authMethod === 'private_key_jwt' && !authAlg.startsWith('HS')
    if (!policy.authSigningAlgs.includes(authAlg) || !fits) {
      throw invalidMetadata(`token_endpoint_auth_signing_alg ${authAlg} is not supported for ${client.authMethod}`)
    }
  }
  const unknownScope = [...(client.allowedScopes ?? [])].find((s) => !policy.scopes.includes(s))
  if (unknownScope !== undefined) throw invalidMetadata(`scope: ${unknownScope} is not supported`)
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

import type { ValidateFunction } from 'ajv'
import type { RegistrationSettings } from '../clients/registration-config.js'
import { createRegistrationCheck, type RegistrationPolicy } from '../clients/registration-rules.js'
import type { ClientPolicy } from '../clients/registry.js'
import { OAuthError } from '../errors/oauth-error.js'
import { emptyResponse, headerValue, jsonResponse, type NeutralRequest, type NeutralResponse } from '../http/types.js'
import { bodyTooLarge } from '../http/node.js'
import { hasMediaType } from '../request/form.js'
import type { ClientRecord } from '../storage/types.js'
import { randomId, secretsEqual, tokenId } from '../tokens/hashes.js'
import type { EndpointDeps } from './deps.js'

/** The registration endpoint and the client configuration endpoint, as neutral handlers. */
export interface RegistrationEndpoints {
  /** `POST {registration}`: RFC 7591 §3.1 client registration. */
  readonly register: (req: NeutralRequest) => Promise<NeutralResponse>
  /** `GET`/`PUT`/`DELETE {registration}/{client_id}`: RFC 7592 §2 client read, update, delete. */
  readonly manage: (req: NeutralRequest) => Promise<NeutralResponse>
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i
const decoder = new TextDecoder('utf-8', { fatal: true })

function invalidToken(description: string): OAuthError {
  return new OAuthError('invalid_token', { description, headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` } })
}

/** The Bearer token of the request; a missing one is a bare `401` challenge (RFC 6750 §3.1). */
function bearerToken(req: NeutralRequest): string {
  const authorization = headerValue(req.headers, 'authorization')
  const match = authorization === undefined ? null : BEARER.exec(authorization)
  if (match === null) throw new OAuthError('invalid_token', { description: 'a Bearer token is required', headers: { 'www-authenticate': 'Bearer' } })
  return match[1]!
}

/** Bytes of `value` as JSON (`Infinity` when it cannot be serialised). */
function jsonSize(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '')
  } catch {
    return Infinity
  }
}

/** Reads the JSON body (RFC 7591 §3.1: `application/json`), bounded by `limit` bytes. */
function readJson(req: NeutralRequest, limit: number): unknown {
  if (!hasMediaType(req, 'application/json')) throw new OAuthError('invalid_request', { description: 'content type must be application/json' })
  const body = req.body
  if (body === undefined) throw new OAuthError('invalid_client_metadata', { description: 'client metadata are required' })
  const raw = typeof body === 'string' || body instanceof Uint8Array
  // A body a host parser already produced is held to the same limit, as JSON (the host's parser
  // may allow far more than registration does, and what is registered is stored).
  const size = typeof body === 'string' ? Buffer.byteLength(body) : raw ? body.byteLength : jsonSize(body)
  if (size > limit) throw bodyTooLarge(limit)
  if (!raw) return body
  try {
    return JSON.parse(typeof body === 'string' ? body : decoder.decode(body)) as unknown
  } catch {
    throw new OAuthError('invalid_request', { description: 'request body is not valid JSON' })
  }
}

/**
 * Dynamic Client Registration (RFC 7591 §3, OIDC Registration §3) and its management protocol
 * (RFC 7592). Registered clients live in the provider's storage: the `client_secret` (512 bits;
 * `client_secret_jwt` needs the value itself) and the registration access token only as its
 * SHA-256 hash, compared in constant time. Static clients from configuration have no registration
 * access token and so cannot be read, changed or deleted here.
 *
 * Deletion takes effect everywhere at once because nothing caches clients: every endpoint looks the
 * client up in storage per request. The deleted client's pending requests can no longer be
 * approved (`provider.approve()` checks the client) nor redeemed (client authentication fails),
 * and its tokens stop working (userinfo and refresh both check the client).
 *
 * @see RFC 7591 §3.1–3.2, RFC 7592 §2.1–2.3, CIBA Core §4
 */
export function createRegistrationEndpoints(
  deps: EndpointDeps,
  registration: RegistrationSettings,
  clientPolicy: ClientPolicy,
  validateClient: ValidateFunction,
): RegistrationEndpoints {
  const { settings, storage, events } = deps
  const policy: RegistrationPolicy = {
    client: clientPolicy,
    validateClient,
    grantTypes: registration.grantTypes,
    authMethods: (deps.metadata['token_endpoint_auth_methods_supported'] as readonly string[] | undefined) ?? [],
    authSigningAlgs: (deps.metadata['token_endpoint_auth_signing_alg_values_supported'] as readonly string[] | undefined) ?? [],
    scopes: settings.scopes,
    allowHttpJwksUri: settings.clientJwks.allowHttpLoopback,
  }
  const check = createRegistrationCheck(policy)
  const prefix = `${settings.routes.registration}/`
  const clientUri = (clientId: string): string => `${settings.urls.registration}/${encodeURIComponent(clientId)}`

  /** RFC 7591 §3.2.1 client information response; RFC 7592 §3 for read and update. */
  const information = (record: ClientRecord, registrationAccessToken?: string): Record<string, unknown> => ({
    ...record.metadata,
    client_id: record.clientId,
    ...(record.clientSecret === undefined ? {} : { client_secret: record.clientSecret, client_secret_expires_at: 0 }),
    client_id_issued_at: record.createdAt,
    ...(registrationAccessToken === undefined ? {} : { registration_access_token: registrationAccessToken }),
    registration_client_uri: clientUri(record.clientId),
  })

  async function checkInitialAccessToken(req: NeutralRequest): Promise<void> {
    const expected = registration.initialAccessToken
    if (expected === undefined) return
    const token = bearerToken(req)
    const ok = typeof expected === 'string' ? secretsEqual(token, expected) : await expected(token)
    if (ok !== true) throw invalidToken('the initial access token is invalid')
  }

  /** A fresh `client_id` that no static or host client has (stored ones: `createClient` refuses them). */
  async function candidateClientId(): Promise<string | undefined> {
    const id = settings.generateId()
    return (await deps.clients.find(id)) === undefined ? id : undefined
  }

  /** RFC 7592 §2: the registration access token of this very client, or `401 invalid_token`. */
  async function authorize(req: NeutralRequest): Promise<ClientRecord> {
    const token = bearerToken(req)
    let clientId: string | undefined
    try {
      const raw = req.path.slice(prefix.length)
      clientId = raw.includes('/') || raw.length > 765 ? undefined : decodeURIComponent(raw)
    } catch {
      clientId = undefined
    }
    const record = clientId === undefined || clientId === '' || deps.clients.isStatic(clientId) ? undefined : await storage.getClient(clientId)
    const expected = record?.registrationAccessTokenHash
    // RFC 7592 §2.1: an unknown client and a wrong token look the same.
    if (record === undefined || expected === undefined || !secretsEqual(tokenId(token), expected)) {
      throw invalidToken('the registration access token is invalid')
    }
    return record
  }

  async function register(req: NeutralRequest): Promise<NeutralResponse> {
    await checkInitialAccessToken(req)
    const body = readJson(req, registration.bodyLimit)
    // 256-bit ids do not collide; the retries guard an injected generator.
    for (let attempt = 0; attempt < 3; attempt++) {
      const clientId = await candidateClientId()
      if (clientId === undefined) continue
      const checked = check(body, { clientId })
      const registrationAccessToken = randomId()
      const record: ClientRecord = {
        clientId,
        metadata: checked.metadata,
        ...(checked.secret === undefined ? {} : { clientSecret: checked.secret }),
        registrationAccessTokenHash: tokenId(registrationAccessToken),
        createdAt: settings.clock(),
      }
      // Create-if-absent: a stored client (even one no longer usable) keeps its id.
      if (!(await storage.createClient(record))) continue
      events.emit('client.registered', { clientId })
      // RFC 7591 §3.2.1: 201 Created.
      return jsonResponse(201, information(record, registrationAccessToken))
    }
    throw new Error('could not allocate a unique client_id')
  }

  /** The PUT body: a JSON object of client metadata. */
  function readMetadata(req: NeutralRequest): Record<string, unknown> {
    const body = readJson(req, registration.bodyLimit)
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new OAuthError('invalid_client_metadata', { description: 'the request body must be a JSON object of client metadata' })
    }
    return body as Record<string, unknown>
  }

  /** RFC 7592 §2.2: the registration that replaces `current` with the metadata `sent`, validated like a new one. */
  function replacement(sent: Record<string, unknown>, current: ClientRecord): ClientRecord {
    // RFC 7592 §2.2: client_id must be the current one; a client_secret, if sent, the current one.
    if (sent['client_id'] !== current.clientId) {
      throw new OAuthError('invalid_client_metadata', { description: 'client_id must be the client\'s current client_id' })
    }
    const secret = sent['client_secret']
    if (secret !== undefined && (typeof secret !== 'string' || current.clientSecret === undefined || !secretsEqual(secret, current.clientSecret))) {
      throw new OAuthError('invalid_client_metadata', { description: 'client_secret does not match the current client_secret' })
    }
    // The whole metadata is replaced and revalidated; omitted members are removed (RFC 7592 §2.2).
    const checked = check(sent, { clientId: current.clientId, secret: current.clientSecret })
    return {
      clientId: current.clientId,
      metadata: checked.metadata,
      ...(checked.secret === undefined ? {} : { clientSecret: checked.secret }),
      ...(current.registrationAccessTokenHash === undefined ? {} : { registrationAccessTokenHash: current.registrationAccessTokenHash }),
      createdAt: current.createdAt,
      updatedAt: settings.clock(),
      revision: (current.revision ?? 0) + 1,
    }
  }

  /**
   * RFC 7592 §2.2 update, stored only over the revision it was made from: a DELETE between the read
   * and the write is never undone. If the client changed meanwhile, the request is authorized and
   * applied again on the newer registration (a PUT replaces it whole, so it then simply comes
   * second); if it is gone, {@link authorize} answers `401 invalid_token` (RFC 7592 §2).
   */
  async function update(req: NeutralRequest, read: ClientRecord): Promise<NeutralResponse> {
    const sent = readMetadata(req)
    let current = read
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) current = await authorize(req)
      const record = replacement(sent, current)
      if (await storage.updateClient(record, current.revision ?? 0)) {
        events.emit('client.updated', { clientId: record.clientId })
        return jsonResponse(200, information(record))
      }
    }
    // Lost the race twice to concurrent updates of the same client: let the client retry.
    throw new OAuthError('temporarily_unavailable', { description: 'the client was updated concurrently; retry the request', status: 409 })
  }

  async function manage(req: NeutralRequest): Promise<NeutralResponse> {
    const record = await authorize(req)
    switch (req.method) {
      case 'GET':
        return jsonResponse(200, information(record))
      case 'PUT':
        return update(req, record)
      case 'DELETE': {
        // Deleted meanwhile by a concurrent DELETE: the client no longer exists (RFC 7592 §2).
        if (!(await storage.deleteClient(record.clientId))) throw invalidToken('the registration access token is invalid')
        events.emit('client.deleted', { clientId: record.clientId })
        return emptyResponse(204)
      }
      default:
        throw new OAuthError('invalid_request', { description: 'method is not allowed', status: 405 })
    }
  }

  return { register, manage }
}

import { Ajv, type ValidateFunction } from 'ajv'
import { CIBA_GRANT_TYPE, type ClientLookup, type SecretVerifier } from '../config.js'
import type { CibaStorage, ClientRecord, DeliveryMode } from '../storage/types.js'
import { clientMetadataSchema, type ClientMetadata, type TokenEndpointAuthMethod } from './metadata.js'
import { isAllowedOutboundUrl } from '../http/outbound-url.js'

/** A client as the endpoints use it: metadata with defaults applied, plus derived lookups. */
export interface Client {
  readonly id: string
  readonly metadata: Readonly<ClientMetadata>
  /** `metadata` without `client_secret`: what the host's hooks see of the client (`RequestContext.client`). */
  readonly metadataForHooks: Readonly<ClientMetadata>
  readonly authMethod: TokenEndpointAuthMethod
  readonly grantTypes: ReadonlySet<string>
  readonly deliveryMode: DeliveryMode | undefined
  readonly idTokenAlg: string
  /** Scopes the client may request; `undefined` = every supported scope. */
  readonly allowedScopes: ReadonlySet<string> | undefined
  /** The shared secret, for `client_secret_*` methods (`client_secret_jwt` needs the value). */
  readonly secret: string | undefined
  /** `secret` as UTF-8 bytes, encoded once, for the constant-time comparison at every request. */
  readonly secretBytes: Buffer | undefined
  /** A host client's verifier, used instead of `secret` (see `HostClient.verifySecret`). */
  readonly verifySecret?: SecretVerifier | undefined
  readonly source: 'static' | 'registered' | 'host'
}

/** Thrown by {@link normalizeClient}: `field` names the offending metadata member. */
export class ClientMetadataError extends Error {
  override readonly name = 'ClientMetadataError'
  constructor(readonly field: string, message: string) {
    super(message)
  }
}

/** What client validation needs to know about the OP. */
export interface ClientPolicy {
  readonly idTokenAlgs: readonly string[]
  readonly requestObjectAlgs: readonly string[]
  readonly deliveryModes: readonly DeliveryMode[]
  readonly allowHttpNotificationEndpoints: boolean
}

const SECRET_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt'])

/** Is `value` an acceptable notification endpoint? (CIBA §4: https; loopback http in development.) */
export function isAcceptableNotificationEndpoint(value: string, allowHttpLoopback: boolean): boolean {
  return isAllowedOutboundUrl(value, allowHttpLoopback)
}

/** Compiles the client metadata schema once (per provider, at start-up). */
export function compileClientSchema(): ValidateFunction {
  return new Ajv({ allErrors: false, strict: false }).compile(clientMetadataSchema)
}

/**
 * Validates client metadata and fills in defaults (RFC 7591 §2, CIBA Core §4).
 * @throws ClientMetadataError naming the field.
 */
export function normalizeClient(
  input: ClientMetadata,
  policy: ClientPolicy,
  validate: ValidateFunction,
  source: Client['source'],
  verifySecret?: SecretVerifier,
): Client {
  if (!validate(input)) {
    const error = validate.errors?.[0]
    const field = error?.instancePath.split('/')[1] ?? String(error?.params?.['missingProperty'] ?? 'metadata')
    throw new ClientMetadataError(field, `${field} ${error?.message ?? 'is invalid'}`)
  }
  const authMethod = input.token_endpoint_auth_method ?? 'client_secret_basic'
  const grantTypes = input.grant_types ?? [CIBA_GRANT_TYPE]
  const idTokenAlg = input.id_token_signed_response_alg ?? 'RS256'
  const deliveryMode = input.backchannel_token_delivery_mode ?? (grantTypes.includes(CIBA_GRANT_TYPE) ? 'poll' : undefined)

  if (SECRET_METHODS.has(authMethod) && input.client_secret === undefined) {
    // A verifier checks presented secrets; client_secret_jwt needs the secret itself as HMAC key.
    if (verifySecret === undefined || authMethod === 'client_secret_jwt') {
      throw new ClientMetadataError('client_secret', `client_secret is required for ${authMethod}`)
    }
  }
  if (authMethod === 'private_key_jwt' && input.jwks === undefined && input.jwks_uri === undefined) {
    throw new ClientMetadataError('jwks', 'private_key_jwt requires jwks or jwks_uri')
  }
  if (input.jwks !== undefined && input.jwks_uri !== undefined) {
    throw new ClientMetadataError('jwks', 'jwks and jwks_uri are mutually exclusive')
  }
  if (!policy.idTokenAlgs.includes(idTokenAlg)) {
    throw new ClientMetadataError('id_token_signed_response_alg', `id_token_signed_response_alg ${idTokenAlg} is not supported by this OP's keys`)
  }
  const requestAlg = input.backchannel_authentication_request_signing_alg
  if (requestAlg !== undefined && !policy.requestObjectAlgs.includes(requestAlg)) {
    throw new ClientMetadataError('backchannel_authentication_request_signing_alg', `backchannel_authentication_request_signing_alg ${requestAlg} is not supported`)
  }
  if (deliveryMode !== undefined) {
    if (!policy.deliveryModes.includes(deliveryMode)) {
      throw new ClientMetadataError('backchannel_token_delivery_mode', `backchannel_token_delivery_mode ${deliveryMode} is not enabled`)
    }
    // CIBA §4: poll and ping clients use the CIBA grant at the token endpoint.
    if (deliveryMode !== 'push' && !grantTypes.includes(CIBA_GRANT_TYPE)) {
      throw new ClientMetadataError('grant_types', `grant_types must include ${CIBA_GRANT_TYPE} for ${deliveryMode} mode`)
    }
    const endpoint = input.backchannel_client_notification_endpoint
    if (deliveryMode !== 'poll') {
      if (endpoint === undefined) {
        throw new ClientMetadataError('backchannel_client_notification_endpoint', `backchannel_client_notification_endpoint is required for ${deliveryMode} mode`)
      }
      if (!isAcceptableNotificationEndpoint(endpoint, policy.allowHttpNotificationEndpoints)) {
        throw new ClientMetadataError('backchannel_client_notification_endpoint', 'backchannel_client_notification_endpoint must be an https URL')
      }
    }
  }
  const metadata: ClientMetadata = {
    ...input,
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    id_token_signed_response_alg: idTokenAlg,
    ...(deliveryMode === undefined ? {} : { backchannel_token_delivery_mode: deliveryMode }),
    backchannel_user_code_parameter: input.backchannel_user_code_parameter ?? false,
  }
  const { client_secret: _secret, ...withoutSecret } = metadata
  return Object.freeze({
    id: input.client_id,
    metadata: Object.freeze(metadata),
    metadataForHooks: Object.freeze(withoutSecret),
    authMethod,
    grantTypes: new Set(grantTypes),
    deliveryMode,
    idTokenAlg,
    allowedScopes: input.scope === undefined ? undefined : new Set(input.scope.split(' ').filter(Boolean)),
    secret: input.client_secret,
    secretBytes: input.client_secret === undefined ? undefined : Buffer.from(input.client_secret, 'utf8'),
    ...(verifySecret === undefined ? {} : { verifySecret }),
    source,
  })
}

/** Longest `client_id` looked up: longer ids are unknown without touching the hook or storage. */
const MAX_CLIENT_ID_LENGTH = 255

/**
 * Finds clients: static ones from configuration first, then the host's `clientLookup` hook, then
 * those registered in storage (operator-controlled sources before self-registered ones).
 */
export class ClientRegistry {
  readonly #static: ReadonlyMap<string, Client>
  readonly #storage: CibaStorage
  readonly #policy: ClientPolicy
  readonly #validate: ValidateFunction
  readonly #lookup: ClientLookup | undefined

  constructor(staticClients: ReadonlyMap<string, Client>, storage: CibaStorage, policy: ClientPolicy, validate: ValidateFunction, lookup?: ClientLookup) {
    this.#static = staticClients
    this.#storage = storage
    this.#policy = policy
    this.#validate = validate
    this.#lookup = lookup
  }

  isStatic(clientId: string): boolean {
    return this.#static.has(clientId)
  }

  /** The client, or `undefined` for an unknown id. */
  async find(clientId: string): Promise<Client | undefined> {
    const found = this.#static.get(clientId)
    if (found !== undefined) return found
    if (clientId.length === 0 || clientId.length > MAX_CLIENT_ID_LENGTH) return undefined
    if (this.#lookup !== undefined) {
      const hosted = await this.#fromHost(clientId, this.#lookup)
      if (hosted !== undefined) return hosted
    }
    const record = await this.#storage.getClient(clientId)
    return record === undefined ? undefined : this.fromRecord(record)
  }

  /**
   * A host client, validated like a static one. Broken metadata is the integrator's fault, not the
   * client's: it throws (answered `server_error`, reported) rather than posing as an unknown client.
   */
  async #fromHost(clientId: string, lookup: ClientLookup): Promise<Client | undefined> {
    const found = await lookup.find(clientId)
    if (found === undefined || found === null) return undefined
    const { verifySecret, ...metadata } = found
    const fault = (message: string, cause?: unknown): Error =>
      // JSON.stringify escapes control characters: the id comes from the client and ends up in logs.
      new Error(`clientLookup.find(${JSON.stringify(clientId)}): ${message}`, cause === undefined ? undefined : { cause })
    if (metadata.client_id !== clientId) throw fault('returned a different client_id')
    if (verifySecret !== undefined) {
      if (typeof verifySecret !== 'function') throw fault('verifySecret must be a function')
      if (metadata.client_secret !== undefined) throw fault('give client_secret or verifySecret, not both')
    }
    try {
      return normalizeClient(metadata, this.#policy, this.#validate, 'host', verifySecret)
    } catch (error) {
      if (error instanceof ClientMetadataError) throw fault(error.message, error)
      throw error
    }
  }

  /** A stored registration as a client (its metadata was validated when registered). */
  fromRecord(record: ClientRecord): Client | undefined {
    try {
      const metadata = { ...record.metadata, client_id: record.clientId } as ClientMetadata
      const withSecret = record.clientSecret === undefined ? metadata : { ...metadata, client_secret: record.clientSecret }
      return normalizeClient(withSecret, this.#policy, this.#validate, 'registered')
    } catch {
      // A registration that no longer fits the OP's policy (e.g. a key was removed) is unusable.
      return undefined
    }
  }
}

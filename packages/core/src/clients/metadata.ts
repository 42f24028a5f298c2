import type { JWK } from 'jose'
import type { DeliveryMode } from '../storage/types.js'

/** Client authentication methods at the token and backchannel endpoints (OIDC Core §9, RFC 7523). */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt'

/**
 * Client metadata with wire names (RFC 7591 §2, OIDC Registration §2, CIBA Core §4).
 *
 * @example
 * const client: ClientMetadata = {
 *   client_id: 'teller-terminal', client_secret: process.env.SECRET,
 *   token_endpoint_auth_method: 'client_secret_basic',
 *   grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
 *   backchannel_token_delivery_mode: 'poll',
 * }
 */
export interface ClientMetadata {
  readonly client_id: string
  readonly client_secret?: string
  readonly client_name?: string
  /** Default `client_secret_basic` (RFC 7591 §2). */
  readonly token_endpoint_auth_method?: TokenEndpointAuthMethod
  readonly token_endpoint_auth_signing_alg?: string
  /** Default `['urn:openid:params:grant-type:ciba']` for static clients. */
  readonly grant_types?: readonly string[]
  /** Scopes the client may request (space separated); default: every supported scope. */
  readonly scope?: string
  readonly backchannel_token_delivery_mode?: DeliveryMode
  readonly backchannel_client_notification_endpoint?: string
  readonly backchannel_authentication_request_signing_alg?: string
  readonly backchannel_user_code_parameter?: boolean
  /** Default `RS256` (OIDC Registration §2). */
  readonly id_token_signed_response_alg?: string
  readonly require_auth_time?: boolean
  readonly jwks?: { readonly keys: readonly JWK[] }
  readonly jwks_uri?: string
  readonly application_type?: 'web' | 'native'
  readonly redirect_uris?: readonly string[]
  readonly subject_type?: 'public'
  readonly [extension: string]: unknown
}

/** ajv schema of client metadata (shared by static clients and dynamic registration). */
export const clientMetadataSchema = {
  type: 'object',
  required: ['client_id'],
  properties: {
    client_id: { type: 'string', minLength: 1, maxLength: 255 },
    client_secret: { type: 'string', minLength: 1, maxLength: 1024 },
    client_name: { type: 'string', maxLength: 255 },
    token_endpoint_auth_method: {
      enum: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'],
    },
    token_endpoint_auth_signing_alg: { type: 'string' },
    grant_types: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    scope: { type: 'string' },
    backchannel_token_delivery_mode: { enum: ['poll', 'ping', 'push'] },
    backchannel_client_notification_endpoint: { type: 'string', maxLength: 2048 },
    backchannel_authentication_request_signing_alg: { type: 'string' },
    backchannel_user_code_parameter: { type: 'boolean' },
    id_token_signed_response_alg: { type: 'string' },
    require_auth_time: { type: 'boolean' },
    jwks: {
      type: 'object',
      required: ['keys'],
      properties: { keys: { type: 'array', items: { type: 'object', required: ['kty'] } } },
    },
    jwks_uri: { type: 'string', maxLength: 2048 },
    application_type: { enum: ['web', 'native'] },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    subject_type: { enum: ['public'] },
  },
} as const

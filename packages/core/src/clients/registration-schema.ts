/**
 * What a registration request (RFC 7591 §2, OIDC Registration §2, CIBA Core §4) may carry, as an ajv
 * schema compiled once per provider. Members not listed here are dropped before validation
 * (RFC 7591 §2: "The authorization server MUST ignore any client metadata sent by the client that it
 * does not understand"), so nothing unknown is ever stored or echoed.
 */

const URI = { type: 'string', minLength: 1, maxLength: 2048 } as const
const ALG = { type: 'string', minLength: 1, maxLength: 32 } as const
const TEXT = { type: 'string', minLength: 1, maxLength: 255 } as const

/** Human-readable members that may also come with a BCP 47 language tag (RFC 7591 §2.2). */
export const LOCALIZABLE_MEMBERS = ['client_name', 'logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const

/** `client_name#ja-Jpan-JP` and the like. */
export const LOCALIZED_MEMBER = /^(client_name|logo_uri|client_uri|policy_uri|tos_uri)#[A-Za-z0-9-]{1,35}$/

/** Members the server assigns: never taken from a request (RFC 7591 §3.2.1, RFC 7592 §2.2). */
export const SERVER_MEMBERS: ReadonlySet<string> = new Set([
  'client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri',
])

/**
 * Members this OP understands but does not offer. Silently dropping them would leave the client
 * expecting encrypted or sender-constrained tokens it will not get, so they are refused.
 */
export const REFUSED_MEMBERS: Readonly<Record<string, string>> = {
  id_token_encrypted_response_alg: 'ID token encryption is not supported',
  id_token_encrypted_response_enc: 'ID token encryption is not supported',
  userinfo_signed_response_alg: 'signed userinfo responses are not supported',
  userinfo_encrypted_response_alg: 'encrypted userinfo responses are not supported',
  userinfo_encrypted_response_enc: 'encrypted userinfo responses are not supported',
  tls_client_certificate_bound_access_tokens: 'certificate-bound access tokens are not supported',
  dpop_bound_access_tokens: 'DPoP-bound access tokens are not supported',
}

/** The registration request schema. `token_endpoint_auth_method` is checked against the OP's list. */
export const registrationRequestSchema = {
  type: 'object',
  additionalProperties: false,
  patternProperties: { [LOCALIZED_MEMBER.source]: TEXT },
  properties: {
    redirect_uris: { type: 'array', maxItems: 20, items: URI },
    response_types: { type: 'array', maxItems: 10, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
    grant_types: { type: 'array', minItems: 1, maxItems: 10, uniqueItems: true, items: TEXT },
    application_type: { enum: ['web', 'native'] },
    contacts: { type: 'array', maxItems: 10, items: TEXT },
    client_name: TEXT,
    logo_uri: URI,
    client_uri: URI,
    policy_uri: URI,
    tos_uri: URI,
    software_id: TEXT,
    software_version: TEXT,
    jwks_uri: URI,
    jwks: {
      type: 'object',
      required: ['keys'],
      properties: {
        keys: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          items: { type: 'object', required: ['kty'], maxProperties: 32, properties: { kty: { enum: ['RSA', 'EC', 'OKP'] } } },
        },
      },
    },
    scope: { type: 'string', minLength: 1, maxLength: 2048 },
    token_endpoint_auth_method: { type: 'string', minLength: 1, maxLength: 64 },
    token_endpoint_auth_signing_alg: ALG,
    id_token_signed_response_alg: ALG,
    subject_type: { enum: ['public'] },
    require_auth_time: { type: 'boolean' },
    backchannel_token_delivery_mode: { enum: ['poll', 'ping', 'push'] },
    backchannel_client_notification_endpoint: URI,
    backchannel_authentication_request_signing_alg: ALG,
    backchannel_user_code_parameter: { type: 'boolean' },
  },
} as const

/** The members {@link registrationRequestSchema} names (the allow-list applied before validation). */
export const KNOWN_MEMBERS: ReadonlySet<string> = new Set(Object.keys(registrationRequestSchema.properties))

import { CIBA_GRANT_TYPE } from '../config.js'
import { publicJsonResponse, type NeutralResponse } from '../http/types.js'
import type { Settings } from '../settings.js'

/** Client authentication methods the OP accepts at the token and backchannel endpoints. */
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'] as const

/**
 * The OP metadata (OIDC Discovery §3, RFC 8414 §2, CIBA Core §4). Exposed as `provider.metadata`
 * so a host can merge it into its own discovery document.
 */
export function buildMetadata(settings: Settings, options: { readonly registration: boolean; readonly authMethods: readonly string[]; readonly authSigningAlgs: readonly string[] }): Readonly<Record<string, unknown>> {
  const { urls } = settings
  const metadata: Record<string, unknown> = {
    issuer: settings.issuer,
    jwks_uri: urls.jwks,
    token_endpoint: urls.token,
    userinfo_endpoint: urls.userinfo,
    backchannel_authentication_endpoint: urls.backchannelAuthentication,
    backchannel_token_delivery_modes_supported: settings.deliveryModes,
    backchannel_authentication_request_signing_alg_values_supported: settings.requestObjectAlgs,
    backchannel_user_code_parameter_supported: settings.userCodeSupported,
    grant_types_supported: [CIBA_GRANT_TYPE, 'refresh_token'],
    // CIBA has no authorization endpoint, so no response type is supported here; a host that has
    // one merges its own list over this (see provider.metadata).
    response_types_supported: [],
    token_endpoint_auth_methods_supported: options.authMethods,
    backchannel_authentication_endpoint_auth_methods_supported: options.authMethods,
    id_token_signing_alg_values_supported: settings.idTokenAlgs,
    userinfo_signing_alg_values_supported: [],
    subject_types_supported: ['public'],
    scopes_supported: settings.scopes,
    claims_supported: settings.claims,
    claims_parameter_supported: false,
  }
  if (options.authSigningAlgs.length > 0) {
    metadata.token_endpoint_auth_signing_alg_values_supported = options.authSigningAlgs
  }
  if (settings.acrValues !== undefined) metadata.acr_values_supported = settings.acrValues
  if (options.registration) metadata.registration_endpoint = urls.registration
  return Object.freeze(metadata)
}

/** `GET /.well-known/openid-configuration`. */
export function createDiscoveryEndpoint(metadata: Readonly<Record<string, unknown>>): () => NeutralResponse {
  const response = publicJsonResponse(metadata)
  return () => response
}

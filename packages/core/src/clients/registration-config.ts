import { CIBA_GRANT_TYPE } from '../config.js'
import { ConfigurationError } from '../errors/oauth-error.js'

/**
 * Decides whether an initial access token may register a client (RFC 7591 §3). Resolve `true` to
 * allow; `false` answers `401 invalid_token`. Throw an `OAuthError` (e.g. `access_denied`) to answer
 * with that instead. The token value must never be logged.
 */
export type InitialAccessTokenVerifier = (token: string) => boolean | Promise<boolean>

/**
 * Dynamic Client Registration (OIDC Registration 1.0, RFC 7591) and client management (RFC 7592).
 * Disabled unless this member is present; exactly one of `open` and `initialAccessToken` is required,
 * so that open registration is always a deliberate choice.
 *
 * @see RFC 7591 §3 (registration endpoint), RFC 7592 §2 (client configuration endpoint), CIBA Core §4
 * @example
 * registration: { initialAccessToken: process.env.CIBA_IAT }          // static value
 * registration: { initialAccessToken: (t) => iatStore.consume(t) }     // one-time tokens, your policy
 * registration: { open: true }                                        // anyone may register
 */
export interface RegistrationConfig {
  /** Anyone may register, without an initial access token. */
  readonly open?: boolean
  /**
   * The `Authorization: Bearer` initial access token every registration request must carry: a fixed
   * value (at least 22 characters, compared in constant time) or a verifier hook.
   */
  readonly initialAccessToken?: string | InitialAccessTokenVerifier
  /** Largest registration JSON body in bytes. Default 32 KiB, never above the provider's `bodyLimit`. */
  readonly bodyLimit?: number
  /**
   * Grant types registered clients may list besides `urn:openid:params:grant-type:ciba` and
   * `refresh_token` — the host's own (e.g. `authorization_code`, which then requires `redirect_uris`).
   */
  readonly additionalGrantTypes?: readonly string[]
}

/** {@link RegistrationConfig} with defaults applied. `undefined` in settings means disabled. */
export interface RegistrationSettings {
  /** `undefined`: open registration. */
  readonly initialAccessToken: string | InitialAccessTokenVerifier | undefined
  readonly bodyLimit: number
  /** Every grant type a registered client may list. */
  readonly grantTypes: readonly string[]
}

const DEFAULT_BODY_LIMIT = 32 * 1024
/** 22 base64url characters carry 128 bits. */
const MIN_STATIC_TOKEN_LENGTH = 22

/** Validates the registration configuration (start-up). @throws ConfigurationError */
export function resolveRegistrationSettings(config: RegistrationConfig | undefined, providerBodyLimit: number): RegistrationSettings | undefined {
  if (config === undefined) return undefined
  if (config === null || typeof config !== 'object') throw new ConfigurationError('registration must be an object')
  const { open, initialAccessToken } = config
  if (open !== undefined && typeof open !== 'boolean') throw new ConfigurationError('registration.open must be a boolean')
  if ((open === true) === (initialAccessToken !== undefined)) {
    throw new ConfigurationError('registration needs exactly one of open: true or initialAccessToken')
  }
  if (initialAccessToken !== undefined && typeof initialAccessToken !== 'function') {
    if (typeof initialAccessToken !== 'string' || initialAccessToken.length < MIN_STATIC_TOKEN_LENGTH) {
      throw new ConfigurationError(`registration.initialAccessToken must be a string of at least ${MIN_STATIC_TOKEN_LENGTH} characters or a function`)
    }
  }
  const bodyLimit = config.bodyLimit ?? Math.min(DEFAULT_BODY_LIMIT, providerBodyLimit)
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0 || bodyLimit > providerBodyLimit) {
    throw new ConfigurationError(`registration.bodyLimit must be a positive integer no larger than bodyLimit (${providerBodyLimit})`)
  }
  const extra = config.additionalGrantTypes ?? []
  if (!Array.isArray(extra) || extra.some((g) => typeof g !== 'string' || g === '')) {
    throw new ConfigurationError('registration.additionalGrantTypes must be a list of grant type names')
  }
  return Object.freeze({
    initialAccessToken,
    bodyLimit,
    grantTypes: Object.freeze([...new Set([CIBA_GRANT_TYPE, 'refresh_token', ...extra])]),
  })
}

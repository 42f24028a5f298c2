/**
 * Every error code ciba-kit can answer with: RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2,
 * CIBA Core §11, §13 and §10.3.1, and the two server-side codes.
 */
export type OAuthErrorCode =
  // RFC 6749 §5.2 / §4.1.2.1
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1
  | 'invalid_token'
  | 'insufficient_scope'
  // CIBA Core §13 (backchannel authentication endpoint)
  | 'expired_login_hint_token'
  | 'unknown_user_id'
  | 'missing_user_code'
  | 'invalid_user_code'
  | 'invalid_binding_message'
  // CIBA Core §11 (token endpoint) and §10.3.1 (push error payload)
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'transaction_failed'
  // RFC 7591 §3.2.2
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'
  // Rate limiting
  | 'too_many_requests'

/** Options for {@link OAuthError}. */
export interface OAuthErrorOptions {
  /** Human-readable `error_description`; must never contain a secret or a token. */
  readonly description?: string | undefined
  /** An HTTP status overriding the endpoint's status table. */
  readonly status?: number | undefined
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The underlying fault, kept for logs and never serialised. */
  readonly cause?: unknown
}

/**
 * An OAuth 2.0 error response (RFC 6749 §5.2): `{ error, error_description }`.
 *
 * Integrators throw it (or a named subclass) from hooks to reject a request with a spec error code.
 *
 * @example
 * throw new OAuthError('access_denied', { description: 'account is locked' })
 */
export class OAuthError extends Error {
  override readonly name: string = 'OAuthError'
  readonly error: OAuthErrorCode
  readonly description: string | undefined
  readonly status: number | undefined
  readonly headers: Readonly<Record<string, string>> | undefined

  constructor(error: OAuthErrorCode, options: OAuthErrorOptions = {}) {
    // An OAuthError is an expected protocol answer (a client polling gets `authorization_pending`
    // thousands of times a second), not a bug: capturing a stack trace would dominate its cost and
    // is never shown to anyone. `cause` keeps the stack of any underlying fault.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(options.description === undefined ? error : `${error}: ${options.description}`, { cause: options.cause })
    Error.stackTraceLimit = stackTraceLimit
    this.error = error
    this.description = options.description
    this.status = options.status
    this.headers = options.headers
  }
}

/** CIBA §13: the user has denied, or policy refuses, the request. */
export class AccessDenied extends OAuthError {
  override readonly name = 'AccessDenied'
  constructor(description?: string) {
    super('access_denied', { description })
  }
}

/** CIBA §13: the hint names no user the OP knows. */
export class UnknownUserId extends OAuthError {
  override readonly name = 'UnknownUserId'
  constructor(description = 'the hint does not identify a known user') {
    super('unknown_user_id', { description })
  }
}

/** CIBA §13: the `login_hint_token` has expired. */
export class ExpiredLoginHintToken extends OAuthError {
  override readonly name = 'ExpiredLoginHintToken'
  constructor(description = 'login_hint_token has expired') {
    super('expired_login_hint_token', { description })
  }
}

/** CIBA §13: the `binding_message` is not acceptable to the OP. */
export class InvalidBindingMessage extends OAuthError {
  override readonly name = 'InvalidBindingMessage'
  constructor(description = 'binding_message is invalid') {
    super('invalid_binding_message', { description })
  }
}

/** CIBA §13: the `user_code` was wrong. */
export class InvalidUserCode extends OAuthError {
  override readonly name = 'InvalidUserCode'
  constructor(description = 'user_code is invalid') {
    super('invalid_user_code', { description })
  }
}

/** CIBA §13: a `user_code` was required and is missing. */
export class MissingUserCode extends OAuthError {
  override readonly name = 'MissingUserCode'
  constructor(description = 'user_code is required for this client') {
    super('missing_user_code', { description })
  }
}

/**
 * Thrown by storage implementations when the backing service is unreachable. The endpoints turn
 * it into `503 temporarily_unavailable`; nothing else about the fault reaches the client.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError'
  constructor(message = 'storage is unavailable', options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Thrown at start-up by {@link createProvider} when the configuration is invalid. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError'
}

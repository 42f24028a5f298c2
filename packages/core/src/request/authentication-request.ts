import { Ajv } from 'ajv'
import type { Client } from '../clients/registry.js'
import { OAuthError } from '../errors/oauth-error.js'
import type { Settings } from '../settings.js'
import { resolveExpiresIn } from './requested-expiry.js'

/** Which hint names the user (CIBA Core §7.1: exactly one). */
export type Hint =
  | { readonly kind: 'login_hint'; readonly value: string }
  | { readonly kind: 'login_hint_token'; readonly value: string }
  | { readonly kind: 'id_token_hint'; readonly value: string }

/** A validated backchannel authentication request (CIBA Core §7.1). */
export interface AuthenticationRequest {
  readonly scope: readonly string[]
  readonly hint: Hint
  readonly bindingMessage: string | undefined
  readonly userCode: string | undefined
  readonly acrValues: readonly string[] | undefined
  readonly expiresIn: number
  readonly clientNotificationToken: string | undefined
  /** The parameters as validated (wire names), for hooks. */
  readonly params: Readonly<Record<string, string>>
}

// RFC 6750 §2.1 b64token.
const B64TOKEN = '^[A-Za-z0-9\\-._~+/]+=*$'

/** ajv schema of the backchannel authentication parameters (all strings, bounded). */
export const authenticationRequestSchema = {
  type: 'object',
  properties: {
    scope: { type: 'string', maxLength: 2048 },
    client_notification_token: { type: 'string', maxLength: 1024, pattern: B64TOKEN },
    acr_values: { type: 'string', maxLength: 1024 },
    login_hint_token: { type: 'string', maxLength: 8192 },
    id_token_hint: { type: 'string', maxLength: 8192 },
    login_hint: { type: 'string', maxLength: 1024 },
    binding_message: { type: 'string', maxLength: 1024 },
    user_code: { type: 'string', maxLength: 256 },
    requested_expiry: { type: 'string', maxLength: 10 },
    request: { type: 'string', maxLength: 32768 },
    client_id: { type: 'string', maxLength: 255 },
  },
  additionalProperties: { type: 'string', maxLength: 8192 },
} as const

const HINTS = ['login_hint', 'login_hint_token', 'id_token_hint'] as const

/** Compiles the parameter schema once and returns the validator (CIBA Core §7.1). */
export function createAuthenticationRequestValidator(settings: Settings) {
  const validate = new Ajv({ allErrors: false, strict: false }).compile(authenticationRequestSchema)
  const supportedScopes = new Set(settings.scopes)
  const supportedAcr = settings.acrValues === undefined ? undefined : new Set(settings.acrValues)

  return function validateAuthenticationRequest(params: Readonly<Record<string, string>>, client: Client): AuthenticationRequest {
    if (!validate(params)) {
      const error = validate.errors?.[0]
      // The failing member may be an unknown parameter named by the client: echo only plain names.
      const path = error?.instancePath.slice(1) ?? ''
      const name = /^[\w.:-]{1,64}$/.test(path) ? path : 'parameter'
      const reason = error?.keyword === 'maxLength' ? 'is too long' : error?.keyword === 'pattern' ? 'has invalid syntax' : 'is invalid'
      throw new OAuthError('invalid_request', { description: `${name} ${reason}` })
    }

    const scopeParam = params['scope']
    if (scopeParam === undefined) throw new OAuthError('invalid_request', { description: 'scope is required' })
    const scope = distinctWords(scopeParam)
    // CIBA §7.1: the scope MUST include openid.
    if (!scope.includes('openid')) throw new OAuthError('invalid_scope', { description: 'scope must contain openid' })
    const unknown = scope.find((s) => !supportedScopes.has(s) || (client.allowedScopes !== undefined && !client.allowedScopes.has(s)))
    if (unknown !== undefined) {
      throw new OAuthError('invalid_scope', { description: `scope ${/^[\x21-\x7e]{1,64}$/.test(unknown) ? unknown : '(value)'} is not allowed` })
    }

    // CIBA §7.1: exactly one of login_hint_token, id_token_hint, login_hint.
    let kind: Hint['kind'] | undefined
    let hints = 0
    for (const name of HINTS) {
      if (params[name] !== undefined) {
        kind = name
        hints++
      }
    }
    if (hints !== 1 || kind === undefined) {
      throw new OAuthError('invalid_request', {
        description: hints === 0
          ? 'one of login_hint, login_hint_token or id_token_hint is required'
          : 'only one of login_hint, login_hint_token or id_token_hint may be sent',
      })
    }
    const hint = { kind, value: params[kind]! } as Hint

    let acrValues: string[] | undefined
    if (params['acr_values'] !== undefined) {
      acrValues = params['acr_values'].split(' ').filter((v) => v !== '')
      if (supportedAcr !== undefined && !acrValues.some((v) => supportedAcr.has(v))) {
        throw new OAuthError('invalid_request', { description: 'none of the acr_values is supported' })
      }
    }

    // CIBA §7.1: client_notification_token is REQUIRED for ping and push clients.
    const clientNotificationToken = params['client_notification_token']
    if (client.deliveryMode !== 'poll' && clientNotificationToken === undefined) {
      throw new OAuthError('invalid_request', { description: 'client_notification_token is required for ping and push clients' })
    }

    return {
      scope,
      hint,
      bindingMessage: params['binding_message'],
      userCode: params['user_code'],
      acrValues,
      expiresIn: resolveExpiresIn(params['requested_expiry'], settings.expiry),
      clientNotificationToken: client.deliveryMode === 'poll' ? undefined : clientNotificationToken,
      params,
    }
  }
}

/** The distinct non-empty words of a space-separated list, in order of first appearance. */
function distinctWords(value: string): string[] {
  const words = new Set<string>()
  for (const word of value.split(' ')) if (word !== '') words.add(word)
  return [...words]
}

/** The validator's type. */
export type AuthenticationRequestValidator = ReturnType<typeof createAuthenticationRequestValidator>

import type { ClientMetadata, UserResolver } from '@ciba-kit/core'

/**
 * The demo's fixed world, shared by `examples/express` and `examples/koa`: two users and the
 * demo clients. Nothing here is part of the library; an integrator plugs in their own user
 * directory and client registry.
 */

/** A demo user: who they are and the login hints that name them. */
export interface DemoUser {
  readonly sub: string
  /** What the authentication device page shows in its "I am..." picker. */
  readonly displayName: string
  /** Values of `login_hint` (CIBA Core §7.1) that resolve to this user. */
  readonly loginHints: readonly string[]
  /** Standard claims (OIDC Core §5.1). */
  readonly claims: Readonly<Record<string, unknown>>
}

/** alice and bob, with login hints `alice`/`alice@example.com` and `bob`/`bob@example.com`. */
export const DEMO_USERS: readonly DemoUser[] = [
  {
    sub: 'alice',
    displayName: 'Alice Anderson',
    loginHints: ['alice', 'alice@example.com'],
    claims: {
      name: 'Alice Anderson',
      given_name: 'Alice',
      family_name: 'Anderson',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
    },
  },
  {
    sub: 'bob',
    displayName: 'Bob Brown',
    loginHints: ['bob', 'bob@example.com'],
    claims: {
      name: 'Bob Brown',
      given_name: 'Bob',
      family_name: 'Brown',
      preferred_username: 'bob',
      email: 'bob@example.com',
      email_verified: false,
    },
  },
]

/** Which claims each scope value releases (OIDC Core §5.4). */
const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
}

/**
 * The user resolver the example OPs hand to `createProvider({ users })`.
 *
 * @see CIBA Core §7.1 (`login_hint`), OIDC Core §5.4 (claims by scope)
 */
export function createDemoUsers(users: readonly DemoUser[] = DEMO_USERS): UserResolver {
  return {
    findByLoginHint(hint) {
      const wanted = hint.trim().toLowerCase()
      const user = users.find((u) => u.loginHints.includes(wanted))
      return user === undefined ? undefined : { sub: user.sub }
    },
    claims(sub, scope) {
      const user = users.find((u) => u.sub === sub)
      const claims: Record<string, unknown> = { sub }
      if (user === undefined) return claims
      for (const value of scope) {
        for (const name of SCOPE_CLAIMS[value] ?? []) {
          if (name in user.claims) claims[name] = user.claims[name]
        }
      }
      return claims
    },
  }
}

/** Token delivery modes, CIBA Core §5. */
export type DemoDeliveryMode = 'poll' | 'ping' | 'push'

/** Credentials of one demo client as the demo client backend uses them. */
export interface DemoClientCredentials {
  readonly clientId: string
  readonly clientSecret: string
}

/** The demo clients, one per delivery mode (a CIBA client registers exactly one mode, CIBA §4). */
export const DEMO_CLIENTS: Readonly<Record<DemoDeliveryMode, DemoClientCredentials>> = {
  poll: { clientId: 'demo-client', clientSecret: 'demo-secret' },
  ping: { clientId: 'demo-client-ping', clientSecret: 'demo-ping-secret' },
  push: { clientId: 'demo-client-push', clientSecret: 'demo-push-secret' },
}

/** Path of the demo client's notification endpoint, under the example's base URL. */
export const DEMO_NOTIFICATION_PATH = '/client/api/notify'

/**
 * Static client metadata for `createProvider({ clients })`: `demo-client` (poll) always, and a
 * ping and/or push client whose `backchannel_client_notification_endpoint` is the demo client's
 * own callback under `baseUrl`.
 *
 * @see CIBA Core §4 (client registration metadata)
 */
export function demoClientMetadata(options: {
  readonly baseUrl: string
  readonly modes?: readonly DemoDeliveryMode[]
}): ClientMetadata[] {
  const modes = options.modes ?? ['poll']
  const notificationEndpoint = new URL(DEMO_NOTIFICATION_PATH, options.baseUrl).href
  return modes.map((mode): ClientMetadata => ({
    client_id: DEMO_CLIENTS[mode].clientId,
    client_secret: DEMO_CLIENTS[mode].clientSecret,
    client_name: mode === 'poll' ? 'Demo Client' : `Demo Client (${mode})`,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
    backchannel_token_delivery_mode: mode,
    ...(mode === 'poll' ? {} : { backchannel_client_notification_endpoint: notificationEndpoint }),
    require_auth_time: true,
  }))
}

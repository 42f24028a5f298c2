// Fixtures for the ping/push delivery suites: an OP with ping and push clients whose notification
// endpoints point at a test receiver, and a log of the provider's events.
import type { CibaProvider, ProviderConfig, ProviderEvents } from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, postForm, startOp, type Framework, type TestOp } from './op.js'
import { testPki } from './https-receiver.js'

export const PING_AUTH = basic('ping-client', 'ping-secret')
export const PUSH_AUTH = basic('push-client', 'push-secret')
export const PUSH_LITE_AUTH = basic('push-lite', 'push-lite-secret')

/** Ping and push clients whose endpoints live under `origin` (`/ping`, `/push`, `/push-lite`). */
export function deliveryClients(origin: string) {
  return [
    ...CLIENTS,
    {
      client_id: 'ping-client', client_secret: 'ping-secret', token_endpoint_auth_method: 'client_secret_basic' as const,
      grant_types: [CIBA], backchannel_token_delivery_mode: 'ping' as const, backchannel_client_notification_endpoint: `${origin}/ping`,
    },
    {
      client_id: 'push-client', client_secret: 'push-secret', token_endpoint_auth_method: 'client_secret_basic' as const,
      grant_types: [CIBA, 'refresh_token'], backchannel_token_delivery_mode: 'push' as const, backchannel_client_notification_endpoint: `${origin}/push`,
    },
    {
      // No refresh token; Ed25519 ID tokens, so at_hash uses SHA-512.
      client_id: 'push-lite', client_secret: 'push-lite-secret', token_endpoint_auth_method: 'client_secret_basic' as const,
      grant_types: [CIBA], backchannel_token_delivery_mode: 'push' as const, backchannel_client_notification_endpoint: `${origin}/push-lite`,
      id_token_signed_response_alg: 'EdDSA',
    },
  ]
}

type DeliveryEvent = 'delivery.delivered' | 'delivery.retried' | 'delivery.failed'
const LOGGED = ['delivery.delivered', 'delivery.retried', 'delivery.failed', 'authentication_request.created',
  'authentication_request.approved', 'authentication_request.denied', 'tokens.issued', 'server_error'] as const

/** Every event the provider emitted, in order. */
export class EventLog {
  readonly entries: Array<{ readonly name: string; readonly payload: unknown }> = []
  readonly #waiters = new Set<() => void>()

  constructor(provider: CibaProvider) {
    for (const name of LOGGED) {
      provider.on(name, (payload: unknown) => {
        this.entries.push({ name, payload })
        for (const w of this.#waiters) w()
      })
    }
  }

  of<E extends DeliveryEvent>(name: E, authReqId?: string): Array<ProviderEvents[E]> {
    return this.entries
      .filter((e) => e.name === name && (authReqId === undefined || (e.payload as { authReqId: string }).authReqId === authReqId))
      .map((e) => e.payload as ProviderEvents[E])
  }

  /** Resolves with the first `name` event for `authReqId` (waiting up to `timeoutMs`). */
  async next<E extends DeliveryEvent>(name: E, authReqId: string, timeoutMs = 10_000): Promise<ProviderEvents[E]> {
    const found = () => this.of(name, authReqId)[0]
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = found()
      if (hit !== undefined) return hit
      if (Date.now() > deadline) throw new Error(`no ${name} event for ${authReqId}`)
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t)
          this.#waiters.delete(done)
          resolve()
        }
        const t = setTimeout(done, 100)
        this.#waiters.add(done)
      })
    }
  }
}

export interface DeliveryOp extends TestOp {
  readonly events: EventLog
  /** POST the backchannel authentication endpoint; asserts nothing. */
  bc(params: Record<string, string>, auth: string): ReturnType<typeof postForm>
  /** Starts a request and returns its auth_req_id (throws on a non-200). */
  start(auth: string, token: string, extra?: Record<string, string>): Promise<string>
  token(params: Record<string, string>, auth: string): ReturnType<typeof postForm>
}

/**
 * An OP (Express, real port) with poll, ping and push enabled, trusting the test CA. Back-off is
 * tiny and the worker's clock is the test clock: tests advance it and call `deliveries.runOnce()`.
 */
export async function startDeliveryOp(origin: string, overrides: Partial<ProviderConfig> = {}, framework: Framework = 'express'): Promise<DeliveryOp> {
  const op = await startOp(framework, {
    clients: deliveryClients(origin),
    deliveryModes: ['poll', 'ping', 'push'],
    ...overrides,
    delivery: { ca: testPki().ca, backoff: { baseMs: 50, maxMs: 400 }, timeoutMs: 1000, maxAttempts: 4, ...overrides.delivery },
  })
  const events = new EventLog(op.provider)
  const bc = (params: Record<string, string>, auth: string) =>
    postForm(`${op.issuer}/backchannel-authentication`, params, { authorization: auth })
  return {
    ...op,
    events,
    bc,
    async start(auth, token, extra = {}) {
      const res = await bc({ scope: 'openid profile email', login_hint: 'alice', client_notification_token: token, ...extra }, auth)
      if (res.status !== 200) throw new Error(`backchannel authentication failed: ${JSON.stringify(res.body)}`)
      return res.body.auth_req_id as string
    },
    token: (params, auth) => postForm(`${op.issuer}/token`, params, { authorization: auth }),
  }
}

/**
 * Constants shared by the orchestrator, the target servers and the load generator: every
 * target is configured with the same issuer, clients, user and keys so that only the
 * implementation differs.
 */

import type { ProviderConfig } from '@ciba-kit/core'

/** Issuer every target announces (ID tokens are verified against it). */
export const ISSUER = 'https://op.bench.test'

/** The one user every target knows. */
export const USER = 'alice'

/** CIBA grant type, CIBA Core §10.1. */
export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba'

/** ID token algorithm a client asks for. */
export type IdTokenAlg = 'ES256' | 'RS256'

/** A confidential poll-mode client (`client_secret_basic`). */
export interface BenchClient {
  readonly id: string
  readonly secret: string
  readonly alg: IdTokenAlg
}

/** One client per ID token algorithm, identical on every target. */
export const CLIENTS: Readonly<Record<IdTokenAlg, BenchClient>> = {
  ES256: { id: 'bench-es256', secret: 'bench-secret-es256-0123456789abcdef', alg: 'ES256' },
  RS256: { id: 'bench-rs256', secret: 'bench-secret-rs256-0123456789abcdef', alg: 'RS256' },
}

/** Poll interval (seconds) the CIBA targets announce. */
export const POLL_INTERVAL = 5

/** The backchannel authentication request body used everywhere (CIBA Core §7.1). */
export const BC_AUTH_BODY = `scope=openid&login_hint=${USER}&binding_message=W4SCT`

/**
 * What every in-process ciba-kit provider of the bench shares with the HTTP targets: issuer,
 * clients, user, a notifier that reaches nobody, and the poll interval. Callers add keys, storage,
 * clock and whatever they vary.
 */
export function benchProviderBase(): Pick<ProviderConfig, 'issuer' | 'clients' | 'users' | 'notifier' | 'polling'> {
  return {
    issuer: ISSUER,
    clients: Object.values(CLIENTS).map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      token_endpoint_auth_method: 'client_secret_basic' as const,
      grant_types: [CIBA_GRANT, 'refresh_token'],
      backchannel_token_delivery_mode: 'poll' as const,
      id_token_signed_response_alg: c.alg,
    })),
    users: { findByLoginHint: (hint) => (hint === USER ? { sub: USER } : undefined), claims: (sub) => ({ sub }) },
    notifier: { notify() {} },
    polling: { interval: POLL_INTERVAL },
  }
}

/** `Authorization: Basic ...` for a client (RFC 6749 §2.3.1: form-urlencoded id and secret). */
export function basicAuth(client: BenchClient): string {
  const pair = `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`
  return `Basic ${Buffer.from(pair).toString('base64')}`
}

/** Path prefix of the bench-only control endpoints every target answers (never on the hot path). */
export const CONTROL_PREFIX = '/__bench/'

/** Environment variable carrying the private signing JWKs (JSON array) to the targets. */
export const KEYS_ENV = 'CIBA_BENCH_KEYS'

/** A private JWK as exported by jose, plus the fields the targets need. */
export interface BenchJwk {
  readonly kty: string
  readonly kid: string
  readonly alg: IdTokenAlg
  readonly use: 'sig'
  readonly [member: string]: unknown
}

/** Reads the signing keys the orchestrator handed over. */
export function keysFromEnv(): BenchJwk[] {
  const raw = process.env[KEYS_ENV]
  if (raw === undefined) throw new Error(`${KEYS_ENV} is not set (targets are started by run.ts)`)
  return JSON.parse(raw) as BenchJwk[]
}

/** Environment variable selecting a ciba-kit target's storage: `memory` (default) or `redis`. */
export const STORAGE_ENV = 'CIBA_BENCH_STORAGE'

/** Environment variable with the Redis URL for Redis targets (default the local Redis). */
export const REDIS_URL_ENV = 'CIBA_BENCH_REDIS_URL'

/** The Redis a run uses. */
export function redisUrl(): string {
  return process.env[REDIS_URL_ENV] ?? 'redis://127.0.0.1:6379'
}

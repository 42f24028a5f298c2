// Shared fixtures for the cross-package tests: a provider with known keys, clients and users,
// served by a real adapter on a real port.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { createFetchHandler, createProvider, type AuthenticationNotice, type CibaProvider, type ProviderConfig } from '@ciba-kit/core'
import { cibaExpress } from '@ciba-kit/express'
import { cibaKoa } from '@ciba-kit/koa'
import { nodeListener } from './fetch-bridge.js'

export const CIBA = 'urn:openid:params:grant-type:ciba'

let keyCache: Promise<JWK[]> | undefined
/** One RSA, one EC P-256, one Ed25519 private key (generated once per test process). */
export function testKeys(): Promise<JWK[]> {
  keyCache ??= (async () => {
    const out: JWK[] = []
    for (const [alg, opts] of [['RS256', { modulusLength: 2048 }], ['ES256', {}], ['EdDSA', { crv: 'Ed25519' }]] as const) {
      const { privateKey } = await generateKeyPair(alg, { ...opts, extractable: true })
      out.push({ ...(await exportJWK(privateKey)), kid: `test-${alg}` })
    }
    return out
  })()
  return keyCache
}

/** A settable clock in epoch seconds. */
export class TestClock {
  now = 1_800_000_000
  readonly fn = (): number => this.now
  advance(seconds: number): void {
    this.now += seconds
  }
}

export const USERS: Record<string, { sub: string; name: string; email: string }> = {
  alice: { sub: 'alice', name: 'Alice Adams', email: 'alice@example.com' },
  bob: { sub: 'bob', name: 'Bob Brown', email: 'bob@example.com' },
}

export interface TestOp {
  readonly provider: CibaProvider
  readonly issuer: string
  readonly notices: AuthenticationNotice[]
  readonly clock: TestClock
  close(): Promise<void>
}

export type Framework = 'express' | 'koa' | 'fetch'

/** Static clients used across the suites. */
export const CLIENTS = [
  {
    client_id: 'poll-client', client_secret: 'poll-secret', client_name: 'Poll Client',
    token_endpoint_auth_method: 'client_secret_basic' as const,
    grant_types: [CIBA, 'refresh_token'], backchannel_token_delivery_mode: 'poll' as const,
  },
  {
    client_id: 'post-client', client_secret: 'post-secret',
    token_endpoint_auth_method: 'client_secret_post' as const,
    grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' as const, id_token_signed_response_alg: 'ES256',
  },
  {
    client_id: 'plain-client', client_secret: 'plain-secret',
    token_endpoint_auth_method: 'client_secret_basic' as const, grant_types: ['client_credentials'],
  },
]

/**
 * Starts an OP on 127.0.0.1 with a real adapter. The issuer is the real URL, so discovery is
 * usable by real clients. `overrides` may replace any config member.
 */
export async function startOp(framework: Framework, overrides: Partial<ProviderConfig> = {}, mount?: (app: unknown) => void): Promise<TestOp> {
  const clock = new TestClock()
  const notices: AuthenticationNotice[] = []
  const server: Server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = createProvider({
    issuer,
    signingKeys: await testKeys(),
    clients: CLIENTS,
    users: {
      findByLoginHint: (hint) => Object.values(USERS).find((u) => u.sub === hint || u.email === hint),
      claims: (sub, scope) => {
        const user = USERS[sub]!
        return { ...(scope.includes('profile') ? { name: user.name } : {}), ...(scope.includes('email') ? { email: user.email } : {}) }
      },
    },
    notifier: { notify: (notice) => void notices.push(notice) },
    polling: { interval: 5 },
    clock: clock.fn,
    ...overrides,
  })
  if (framework === 'express') {
    const app = express()
    mount?.(app)
    app.use(cibaExpress(provider))
    // A host token endpoint for grants ciba-kit does not own.
    app.post('/token', express.urlencoded({ extended: false }), (req, res) => {
      res.json({ host: true, grant_type: (req.body as Record<string, string>).grant_type })
    })
    server.on('request', app)
  } else if (framework === 'fetch') {
    // The Fetch API entry behind Node's own http server; a host token endpoint answers what it passes.
    const handle = createFetchHandler(provider)
    server.on('request', nodeListener(async (request) => {
      const answer = await handle(request)
      if (answer !== undefined) return answer
      if (new URL(request.url).pathname === '/token' && request.method === 'POST') {
        return Response.json({ host: true, grant_type: new URLSearchParams(await request.text()).get('grant_type') })
      }
      return new Response(null, { status: 404 })
    }))
  } else {
    const app = new Koa()
    mount?.(app)
    app.use(cibaKoa(provider))
    app.use(async (ctx, next) => {
      if (ctx.path === '/token' && ctx.method === 'POST') {
        ctx.body = { host: true, grant_type: (ctx.request as { body?: Record<string, string> }).body?.grant_type }
        return
      }
      await next()
    })
    server.on('request', app.callback())
  }
  return {
    provider,
    issuer,
    notices,
    clock,
    async close() {
      server.closeAllConnections()
      server.close()
      await provider.close()
    },
  }
}

/** Basic credentials per RFC 6749 §2.3.1 (form-urlencoded, then base64). */
export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')
}

/** POST a form and return status, headers and parsed JSON. */
export async function postForm(
  url: string,
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
  } catch {
    body = { raw: text }
  }
  return { status: res.status, headers: res.headers, body }
}

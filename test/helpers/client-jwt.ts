// What a CIBA client builds with jose: signed authentication requests (CIBA §7.1.1) and JWT client
// assertions (RFC 7523), plus client key pairs for every algorithm the OP supports.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

export const SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

/** A client key pair: the private key to sign with and its public JWK (with kid) to register. */
export interface ClientKey {
  readonly alg: SigningAlg
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

let sharedRsa: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> | undefined

/**
 * A key pair for `alg`. RSA algorithms share one 2048-bit modulus per process (generation is slow)
 * unless `fresh` is set, e.g. for a key that must differ from every other.
 */
export async function clientKey(alg: SigningAlg, kid = `${alg}-${randomUUID().slice(0, 8)}`, fresh = false): Promise<ClientKey> {
  let pair: { privateKey: CryptoKey; publicKey: CryptoKey }
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const generate = () => generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
    pair = await (fresh ? generate() : (sharedRsa ??= generate()))
  } else {
    pair = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true })
  }
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, use: 'sig' }
  // PS* needs its own import of the RSA material.
  const privateKey = (await importJWK({ ...(await exportJWK(pair.privateKey)), alg }, alg)) as CryptoKey
  return { alg, kid, privateKey, publicJwk }
}

/** Claims of a valid signed authentication request at `now`. */
export function requestClaims(clientId: string, issuer: string, now: number, params: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: clientId, aud: issuer, iat: now, nbf: now, exp: now + 300, jti: randomUUID(),
    scope: 'openid', login_hint: 'alice', ...params,
  }
}

/** Signs claims exactly as given (undefined members are dropped) with a JOSE header. */
export async function signJwt(claims: Record<string, unknown>, key: ClientKey, header: Record<string, unknown> = {}): Promise<string> {
  const clean = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))
  return new SignJWT(clean).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey)
}

/** An HMAC-signed JWT (client_secret_jwt). */
export async function signHmac(claims: Record<string, unknown>, secret: string | Uint8Array, alg = 'HS256'): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  const clean = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))
  return new SignJWT(clean).setProtectedHeader({ alg }).sign(key)
}

/** An unsecured JWT (`alg: none`) as an attacker would send it. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${enc({ alg: 'none' })}.${enc(claims)}.`
}

/** Claims of a client assertion (RFC 7523 §3). */
export function assertionClaims(clientId: string, aud: string | string[], now: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: clientId, sub: clientId, aud, iat: now, exp: now + 60, jti: randomUUID(), ...extra }
}

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A tiny JWKS host on 127.0.0.1: serve whatever `handler` answers, count requests. */
export interface JwksHost {
  readonly url: string
  hits: number
  handler: (req: IncomingMessage, res: ServerResponse) => void
  serve(keys: readonly JWK[]): void
  close(): Promise<void>
}

export async function startJwksHost(): Promise<JwksHost> {
  const server: Server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const host: JwksHost = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    hits: 0,
    handler: (_req, res) => res.end('{}'),
    serve(keys) {
      const body = JSON.stringify({ keys })
      this.handler = (_req, res) => {
        res.setHeader('content-type', 'application/jwk-set+json')
        res.end(body)
      }
    },
    async close() {
      server.closeAllConnections()
      server.close()
    },
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    host.hits++
    host.handler(req, res)
  })
  return host
}

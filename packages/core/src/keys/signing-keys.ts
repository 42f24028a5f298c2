import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose'
import { ConfigurationError } from '../errors/oauth-error.js'

/** JWS algorithms ciba-kit signs and verifies with asymmetric keys (never `none`, never HMAC). */
export const ASYMMETRIC_ALGS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number]

const RSA_ALGS: readonly AsymmetricAlg[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const CURVE_ALG: Readonly<Record<string, AsymmetricAlg>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', Ed25519: 'EdDSA' }
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
/** Public members per key type: the JWKS is built from these only (an allow-list, not a deny-list). */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
}

/** The algorithms a private JWK can sign with (its `alg` if set, else all its key type allows). */
export function algorithmsForKey(jwk: JWK): readonly AsymmetricAlg[] {
  let algs: readonly AsymmetricAlg[]
  if (jwk.kty === 'RSA') algs = RSA_ALGS
  else if ((jwk.kty === 'EC' || jwk.kty === 'OKP') && typeof jwk.crv === 'string' && CURVE_ALG[jwk.crv] !== undefined) {
    algs = [CURVE_ALG[jwk.crv]!]
  } else algs = []
  if (jwk.alg === undefined) return algs
  return algs.filter((alg) => alg === jwk.alg)
}

/**
 * Checks a configured signing key synchronously (start-up errors must be immediate and clear).
 * @throws ConfigurationError naming the problem, never printing key material.
 */
export function assertSigningKey(jwk: JWK, index: number): void {
  const where = `signingKeys[${index}]${typeof jwk.kid === 'string' ? ` (kid "${jwk.kid}")` : ''}`
  if (jwk === null || typeof jwk !== 'object') throw new ConfigurationError(`${where} is not a JWK object`)
  if (jwk.kty === 'oct') throw new ConfigurationError(`${where}: symmetric (oct) keys cannot sign ID tokens`)
  if (typeof jwk.d !== 'string') throw new ConfigurationError(`${where} is a public key; a private JWK (with "d") is required`)
  if (algorithmsForKey(jwk).length === 0) {
    throw new ConfigurationError(`${where}: unsupported key (kty ${String(jwk.kty)}, crv ${String(jwk.crv)}, alg ${String(jwk.alg)})`)
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new ConfigurationError(`${where} has use "${jwk.use}", expected "sig"`)
}

/** The public part of a JWK, built from an allow-list of public members. */
export function publicJwk(jwk: JWK, kid: string): JWK {
  const out: Record<string, unknown> = {}
  for (const member of PUBLIC_MEMBERS[jwk.kty ?? ''] ?? []) {
    const value = (jwk as Record<string, unknown>)[member]
    if (value !== undefined) out[member] = value
  }
  out.kid = kid
  out.use = 'sig'
  if (jwk.alg !== undefined) out.alg = jwk.alg
  for (const member of PRIVATE_MEMBERS) delete out[member]
  return out as JWK
}

/** A signing key ready for use. */
export interface SigningKey {
  readonly kid: string
  readonly alg: AsymmetricAlg
  readonly key: CryptoKey | Uint8Array
}

/** The provider's key set: one signing key per algorithm, and the public JWKS. */
export interface KeySet {
  /** The key that signs with `alg`, or `undefined` when no configured key supports it. */
  forAlg(alg: string): SigningKey | undefined
  readonly algorithms: readonly AsymmetricAlg[]
  readonly publicJwks: { readonly keys: readonly JWK[] }
  /** Import key material for verifying our own tokens (id_token_hint): public key by kid. */
  readonly verificationKeys: ReadonlyMap<string, JWK>
}

/** Synchronous part: what algorithms the configured keys offer (for discovery and validation). */
export function supportedAlgorithms(jwks: readonly JWK[]): AsymmetricAlg[] {
  const set = new Set<AsymmetricAlg>()
  for (const jwk of jwks) for (const alg of algorithmsForKey(jwk)) set.add(alg)
  return ASYMMETRIC_ALGS.filter((alg) => set.has(alg))
}

/** Imports every key once, for every algorithm it serves. */
export async function importKeySet(jwks: readonly JWK[]): Promise<KeySet> {
  const byAlg = new Map<string, SigningKey>()
  const publicKeys: JWK[] = []
  const verificationKeys = new Map<string, JWK>()
  for (const jwk of jwks) {
    const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : await calculateJwkThumbprint(jwk, 'sha256')
    const pub = publicJwk(jwk, kid)
    publicKeys.push(pub)
    verificationKeys.set(kid, pub)
    for (const alg of algorithmsForKey(jwk)) {
      if (byAlg.has(alg)) continue
      const { alg: _ignored, key_ops: _ops, use: _use, ...material } = jwk
      byAlg.set(alg, { kid, alg, key: await importJWK({ ...material, alg }, alg) })
    }
  }
  return {
    forAlg: (alg) => byAlg.get(alg),
    algorithms: supportedAlgorithms(jwks),
    publicJwks: Object.freeze({ keys: Object.freeze(publicKeys) }),
    verificationKeys,
  }
}

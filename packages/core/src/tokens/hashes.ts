import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A fresh random identifier: 256 bits of entropy, base64url (43 characters). */
export function randomId(): string {
  return randomBytes(32).toString('base64url')
}

/** The storage id of a token: base64url(SHA-256(value)). Storage never sees token values. */
export function tokenId(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/**
 * Constant-time string equality for secrets. Both sides are hashed first so that neither the
 * content nor the length of the secret leaks through timing.
 */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

const HASH_FOR_ALG: Readonly<Record<string, string>> = {
  RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', HS256: 'sha256',
  RS384: 'sha384', PS384: 'sha384', ES384: 'sha384', HS384: 'sha384',
  RS512: 'sha512', PS512: 'sha512', ES512: 'sha512', HS512: 'sha512',
  // Ed25519 signs with SHA-512 internally; the OpenID Foundation's registry uses it for *_hash too.
  EdDSA: 'sha512',
}

/**
 * OIDC Core §3.1.3.6 / §3.3.2.11 left-half hash (`at_hash`, and CIBA §10.3.1 `rt_hash`): the
 * left-most half of the hash of the ASCII value, with the hash of the ID token's `alg`.
 */
export function leftHalfHash(value: string, alg: string): string {
  const hash = HASH_FOR_ALG[alg]
  if (hash === undefined) throw new TypeError(`no hash for alg ${alg}`)
  const digest = createHash(hash).update(value, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto'

const ID_BYTES = 32
const POOL_IDS = 128
let pool = Buffer.alloc(0)
let poolOffset = 0

/**
 * A fresh random identifier: 256 bits from the CSPRNG, base64url (43 characters). Bytes are drawn
 * from a pool refilled in batches (one `randomFillSync` per 128 ids); no byte is ever handed out twice.
 */
export function randomId(): string {
  if (poolOffset + ID_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(ID_BYTES * POOL_IDS))
    poolOffset = 0
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + ID_BYTES)
  pool.fill(0, poolOffset, poolOffset + ID_BYTES)
  poolOffset += ID_BYTES
  return id
}

/** The storage id of a token: base64url(SHA-256(value)). Storage never sees token values. */
export function tokenId(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/**
 * Constant-time string equality for secrets. Both sides are hashed first so that neither the
 * content nor the length of the secret leaks through timing.
 */
/** SHA-256 of a secret, for {@link secretMatchesDigest}. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** Constant-time check of a presented secret against the digest of the expected one. */
export function secretMatchesDigest(presented: string, digest: Buffer): boolean {
  return timingSafeEqual(secretDigest(presented), digest)
}

export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
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

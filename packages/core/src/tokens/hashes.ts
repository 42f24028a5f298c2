import * as nodeCrypto from 'node:crypto'
import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto'

type Digest = {
  (algorithm: string, data: string, encoding: 'base64url'): string
  (algorithm: string, data: string, encoding: 'buffer'): Buffer
}

/**
 * A one-shot digest of a short string: `crypto.hash` (Node ≥ 20.12; 2-4× cheaper than a Hash
 * object for inputs this small), or `createHash` on older Node 20 releases.
 */
const digest: Digest =
  typeof nodeCrypto.hash === 'function'
    ? (nodeCrypto.hash as Digest)
    : ((algorithm: string, data: string, encoding: 'base64url' | 'buffer') => {
        const hash = createHash(algorithm).update(data)
        return encoding === 'buffer' ? hash.digest() : hash.digest(encoding)
      }) as Digest

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
  return digest('sha256', value, 'base64url')
}

/** SHA-256 of a secret, for {@link secretsEqual}. */
function secretDigest(secret: string): Buffer {
  return digest('sha256', secret, 'buffer')
}

/**
 * Constant-time check of a presented secret against the expected one's UTF-8 bytes (a client
 * secret, at every authenticated request). Both are zero-padded to the longer of the two lengths
 * and compared with `timingSafeEqual`, so the time depends neither on the secret's content nor on
 * how much of it a guess gets right; what a guess can learn is only whether it is longer than the
 * secret. The lengths must then agree too (a padded match of a shorter guess is no match). A
 * fraction of the cost of hashing both sides, with the same guarantee for the content.
 */
export function secretMatchesBytes(presented: string, expected: Buffer): boolean {
  const length = Buffer.byteLength(presented, 'utf8')
  const size = Math.max(length, expected.length)
  const given = Buffer.alloc(size)
  given.write(presented, 'utf8')
  // Buffer.concat fills the space past the expected bytes with zeros.
  const wanted = size === expected.length ? expected : Buffer.concat([expected], size)
  return timingSafeEqual(given, wanted) && length === expected.length
}

/**
 * Constant-time string equality for secrets. Both sides are hashed first so that neither the
 * content nor the length of the secret leaks through timing.
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(secretDigest(a), secretDigest(b))
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
  // The value is ASCII (a token), so its UTF-8 bytes are its ASCII bytes.
  const full = digest(hash, value, 'buffer')
  return full.toString('base64url', 0, full.length / 2)
}

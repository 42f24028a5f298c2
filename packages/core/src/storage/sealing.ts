import { createHash, hkdfSync } from 'node:crypto'
import { compactDecrypt, CompactEncrypt, decodeProtectedHeader, type JWK } from 'jose'
import { ConfigurationError } from '../errors/oauth-error.js'

/**
 * Seals the few secrets that storage must hold in recoverable form (a ping/push client's
 * `client_notification_token`, the token response waiting in the push outbox), so a storage
 * dump or a shared Redis does not reveal them. Compact JWE, `dir` + `A256GCM` (RFC 7516/7518).
 */
export interface Sealer {
  seal(plaintext: string): Promise<string>
  /** @throws Error when the value was not sealed by one of this sealer's keys. */
  open(sealed: string): Promise<string>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const HKDF_SALT = 'ciba-kit'
const HKDF_INFO = 'ciba-kit storage sealing v1'

/** A short, non-secret identifier of a sealing key (the JWE `kid`). */
function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16)
}

/**
 * Derives one 256-bit sealing key per signing key (HKDF-SHA256 over its private scalar/exponent),
 * so every OP process that shares the signing keys can open what another sealed, with no extra
 * configuration. Removing a signing key makes values sealed under it unreadable (deliveries
 * still waiting then fail, and are reported).
 */
export function deriveSealingKeys(signingKeys: readonly JWK[]): Uint8Array[] {
  return signingKeys.map((jwk) => new Uint8Array(hkdfSync('sha256', Buffer.from(jwk.d!, 'base64url'), HKDF_SALT, HKDF_INFO, 32)))
}

/**
 * A sealer over `keys`: the first seals, every one opens (rotation). Each key is 32 bytes.
 * @throws ConfigurationError for an empty list or a key of the wrong size.
 */
export function createSealer(keys: readonly Uint8Array[]): Sealer {
  if (keys.length === 0) throw new ConfigurationError('sealingKeys must hold at least one key')
  const byId = new Map<string, Uint8Array>()
  for (const [index, key] of keys.entries()) {
    if (!(key instanceof Uint8Array) || key.byteLength !== 32) {
      throw new ConfigurationError(`sealingKeys[${index}] must be 32 bytes (a 256-bit AES key)`)
    }
    byId.set(keyId(key), key)
  }
  const sealingKey = keys[0]!
  const sealingKid = keyId(sealingKey)
  return {
    seal: (plaintext) =>
      new CompactEncrypt(encoder.encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: sealingKid }).encrypt(sealingKey),
    async open(sealed) {
      const { kid } = decodeProtectedHeader(sealed)
      const key = typeof kid === 'string' ? byId.get(kid) : undefined
      if (key === undefined) throw new Error('sealed with an unknown key')
      const { plaintext } = await compactDecrypt(sealed, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
      return decoder.decode(plaintext)
    },
  }
}

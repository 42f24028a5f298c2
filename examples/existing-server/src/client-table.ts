// The server's own client table, as it was before CIBA: secrets are stored as scrypt hashes and
// never kept in plaintext. Only the `ciba` column is new.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/** One row of the client table. */
export interface ClientRow {
  readonly id: string
  readonly name: string
  /** `scrypt$<salt>$<hash>` (base64url). */
  readonly secretHash: string
  readonly authMethod: 'client_secret_basic' | 'client_secret_post'
  /** Grants this server lets the client use at its own token endpoint. */
  readonly grants: readonly string[]
  /** Scopes the client may ask for. */
  readonly scope: string
  /** New column: the client may use CIBA (poll mode), with these OpenID scopes. */
  readonly ciba?: { readonly scope: string }
}

const KEY_LENGTH = 32

function scryptAsync(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, KEY_LENGTH, (error, key) => (error ? reject(error) : resolve(key))))
}

/** Hashes a client secret for storage. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  return `scrypt$${salt.toString('base64url')}$${(await scryptAsync(secret, salt)).toString('base64url')}`
}

/** Checks a presented secret against a stored hash, in constant time. */
export async function verifySecret(secretHash: string, presented: string): Promise<boolean> {
  const [scheme, salt, hash] = secretHash.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(presented, Buffer.from(salt, 'base64url'))
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** The demo table. In a real server this is a database table. */
export async function demoClientTable(): Promise<Map<string, ClientRow>> {
  const rows: ClientRow[] = [
    {
      id: 'billing-service', name: 'Billing Service', secretHash: await hashSecret('billing-secret'),
      authMethod: 'client_secret_basic', grants: ['client_credentials'], scope: 'payments:read',
    },
    {
      id: 'teller-terminal', name: 'Teller Terminal', secretHash: await hashSecret('teller-secret'),
      authMethod: 'client_secret_basic', grants: ['client_credentials'], scope: 'payments:read', ciba: { scope: 'openid profile email' },
    },
  ]
  return new Map(rows.map((row) => [row.id, row]))
}

/** Demo secrets (what the clients were given). */
export const DEMO_SECRETS: Readonly<Record<string, string>> = { 'billing-service': 'billing-secret', 'teller-terminal': 'teller-secret' }

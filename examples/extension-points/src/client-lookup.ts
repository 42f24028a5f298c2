import { scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { CIBA_GRANT_TYPE, type ClientLookup } from '@ciba-kit/core'

const scryptAsync = promisify(scrypt) as (secret: string, salt: Buffer, length: number) => Promise<Buffer>

/** A row of your own client table: the secret is stored hashed. */
export interface ClientRow { readonly id: string; readonly name: string; readonly salt: Buffer; readonly secretHash: Buffer; readonly ciba: boolean }

export function createClientLookup(findRow: (id: string) => Promise<ClientRow | undefined>): ClientLookup {
  return {
    async find(clientId) {
      const row = await findRow(clientId)
      if (row === undefined || !row.ciba) return undefined
      return {
        client_id: row.id,
        client_name: row.name,
        token_endpoint_auth_method: 'client_secret_basic',
        // Instead of client_secret: your own constant-time check against the stored hash.
        verifySecret: async (secret) => timingSafeEqual(await scryptAsync(secret, row.salt, 32), row.secretHash),
        grant_types: [CIBA_GRANT_TYPE, 'refresh_token'],
        backchannel_token_delivery_mode: 'poll',
      }
    },
  }
}

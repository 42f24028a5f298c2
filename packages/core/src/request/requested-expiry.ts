import { OAuthError } from '../errors/oauth-error.js'
import type { Settings } from '../settings.js'

/**
 * `expires_in` for a request (CIBA Core §7.1 `requested_expiry`, §7.3 `expires_in`). Accepts a
 * positive integer as a string (form) or a number (request object); clamps into the configured
 * bounds, or rejects when the OP is configured to.
 */
export function resolveExpiresIn(requested: unknown, expiry: Settings['expiry']): number {
  if (requested === undefined) return expiry.default
  let value: number
  if (typeof requested === 'number') value = requested
  else if (typeof requested === 'string' && /^[0-9]{1,10}$/.test(requested)) value = Number(requested)
  else throw new OAuthError('invalid_request', { description: 'requested_expiry must be a positive integer' })
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new OAuthError('invalid_request', { description: 'requested_expiry must be a positive integer' })
  }
  if (value >= expiry.min && value <= expiry.max) return value
  if (expiry.outOfRange === 'reject') {
    throw new OAuthError('invalid_request', { description: `requested_expiry must be between ${expiry.min} and ${expiry.max}` })
  }
  return Math.min(expiry.max, Math.max(expiry.min, value))
}

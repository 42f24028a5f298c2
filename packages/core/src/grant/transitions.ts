import type { AuthRequestStatus } from '../storage/types.js'

/**
 * The grant state machine (CIBA Core §7.3, §11): a request is decided once, and an approved
 * request is redeemed once. Storage applies each step as an atomic compare-and-set, so every race
 * (approve vs deny vs expiry, two token requests) has exactly one winner.
 */
export const TRANSITIONS: Readonly<Record<AuthRequestStatus, readonly AuthRequestStatus[]>> = {
  // CIBA §10.3: a push approval issues the tokens in the same step (pending -> consumed).
  pending: ['approved', 'denied', 'expired', 'consumed'],
  approved: ['consumed'],
  denied: [],
  expired: [],
  consumed: [],
}

/** The statuses from which `to` may be reached (the `from` of a compare-and-set). */
export function sourcesOf(to: AuthRequestStatus): readonly AuthRequestStatus[] {
  return (Object.keys(TRANSITIONS) as AuthRequestStatus[]).filter((from) => TRANSITIONS[from].includes(to))
}

/**
 * Past `expiresAt` a request that is still pending, or approved but not redeemed, is expired
 * whatever storage says: `expires_in` is the lifetime of the `auth_req_id` itself (CIBA §7.3).
 */
export function effectiveStatus(status: AuthRequestStatus, expiresAt: number, now: number): AuthRequestStatus {
  return (status === 'pending' || status === 'approved') && now >= expiresAt ? 'expired' : status
}

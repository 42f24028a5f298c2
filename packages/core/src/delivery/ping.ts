/**
 * The ping callback body (CIBA Core §10.2): only the `auth_req_id`; the client then redeems it at
 * the token endpoint exactly as in poll mode. Sent on approval, denial and expiry.
 */
export function pingPayload(authReqId: string): string {
  return JSON.stringify({ auth_req_id: authReqId })
}

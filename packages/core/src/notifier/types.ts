import type { DeliveryMode } from '../storage/types.js'

/**
 * Everything the user's authentication device needs to show a backchannel authentication
 * request (CIBA Core §7.1: the OP reaches the user out of band).
 */
export interface AuthenticationNotice {
  /** The `auth_req_id`: pass it back to `provider.approve()` / `provider.deny()`. */
  readonly authReqId: string
  /** The user the request names (`sub`). */
  readonly sub: string
  readonly clientId: string
  /** `client_name` of the client, when it has one. */
  readonly clientName?: string
  /** Requested scope values (always includes `openid`). */
  readonly scope: readonly string[]
  /** CIBA §7.1 `binding_message`: show it prominently, the user compares it with the consumption device. */
  readonly bindingMessage?: string
  /** Requested `acr_values`, in order of preference. */
  readonly acrValues?: readonly string[]
  readonly deliveryMode: DeliveryMode
  /** Epoch seconds. */
  readonly createdAt: number
  /** Epoch seconds after which approval is no longer possible. */
  readonly expiresAt: number
}

/**
 * Reaches the user's authentication device (push message, SMS, app notification...).
 *
 * Called after the request is stored and before the client gets its `auth_req_id`. A throw is
 * reported through the provider's events and answered as `503 temporarily_unavailable` after the
 * request is marked failed, so a client never waits for a user who was never asked.
 *
 * @see CIBA Core §7.1
 * @example
 * const notifier: Notifier = {
 *   async notify(notice) {
 *     await pushService.send(notice.sub, { title: notice.clientName, body: notice.bindingMessage })
 *   },
 * }
 */
export interface Notifier {
  notify(notice: AuthenticationNotice): Promise<void> | void
}

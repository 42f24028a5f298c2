import { EventEmitter } from 'node:events'

/**
 * Everything the provider reports for the integrator's logs and metrics. Payloads never carry a
 * secret or a token value.
 */
export interface ProviderEvents {
  /** An unexpected fault answered as `server_error`/`temporarily_unavailable` (with its cause). */
  'server_error': { readonly endpoint: string; readonly error: unknown }
  /** The notifier threw; the request was failed and the client answered 503. */
  'notifier_error': { readonly authReqId: string; readonly error: unknown }
  'authentication_request.created': { readonly authReqId: string; readonly clientId: string; readonly sub: string }
  'authentication_request.approved': { readonly authReqId: string; readonly clientId: string }
  'authentication_request.denied': { readonly authReqId: string; readonly clientId: string; readonly error: string }
  'tokens.issued': { readonly grantId: string; readonly clientId: string; readonly grantType: string }
  /** A rotated refresh token was presented again: its whole grant was revoked. */
  'refresh_token.reused': { readonly grantId: string; readonly clientId: string }
  /** RFC 7591 / RFC 7592: a client registered, updated or deleted itself. */
  'client.registered': { readonly clientId: string }
  'client.updated': { readonly clientId: string }
  'client.deleted': { readonly clientId: string }
  'delivery.delivered': { readonly deliveryId: string; readonly authReqId: string; readonly clientId: string; readonly kind: string; readonly attempts: number }
  'delivery.retried': { readonly deliveryId: string; readonly authReqId: string; readonly clientId: string; readonly kind: string; readonly attempts: number; readonly reason: string; readonly nextAttemptAt: number }
  /**
   * A notification was given up. `reason`: how the last attempt ended (`http_<status>`, `timeout`,
   * `network_<code>`, `address_not_allowed`, ...), `deadline_passed`, or a send-time check:
   * `client_unknown` (the client was deleted), `endpoint_removed` (it no longer uses ping or push),
   * `endpoint_not_acceptable`, `unsealable`.
   */
  'delivery.failed': { readonly deliveryId: string; readonly authReqId: string; readonly clientId: string; readonly kind: string; readonly attempts: number; readonly reason: string }
}

/** A typed event bus over Node's EventEmitter. */
export class ProviderEventBus {
  readonly #emitter = new EventEmitter()

  on<E extends keyof ProviderEvents>(event: E, listener: (payload: ProviderEvents[E]) => void): this {
    this.#emitter.on(event, listener)
    return this
  }

  off<E extends keyof ProviderEvents>(event: E, listener: (payload: ProviderEvents[E]) => void): this {
    this.#emitter.off(event, listener)
    return this
  }

  emit<E extends keyof ProviderEvents>(event: E, payload: ProviderEvents[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return
    try {
      this.#emitter.emit(event, payload)
    } catch {
      // A throwing listener must never change how a request is answered.
    }
  }
}

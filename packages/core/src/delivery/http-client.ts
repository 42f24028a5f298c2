import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls'
import { guardedLookup, isPrivateAddress } from './address-guard.js'

/** How one notification attempt ended. `reason` is safe to log: it never holds a token or a body. */
export type SendResult =
  | { readonly outcome: 'delivered'; readonly status: number }
  /** Worth retrying: network error, timeout, 408, 429, 5xx. `retryAfterMs` from a `Retry-After` header. */
  | { readonly outcome: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  /** Not worth retrying: other 4xx, a redirect, a refused destination. */
  | { readonly outcome: 'failed'; readonly reason: string }
  /** The client was closed while the attempt ran; nothing is known. */
  | { readonly outcome: 'aborted' }

/** Options of {@link createNotificationClient}. */
export interface NotificationClientOptions {
  /** Per-attempt limit on connect + request + response headers + body, in ms. */
  readonly timeoutMs: number
  /** Response body bytes read at most; the rest is discarded with the connection. */
  readonly maxResponseBytes: number
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  readonly ca: readonly string[]
}

/** The outbound HTTP client of the notification worker. */
export interface NotificationClient {
  /**
   * POSTs `body` (JSON) to `endpoint` with `Authorization: Bearer <bearer>`. Never throws. With
   * `guarded`, a private, loopback or link-local destination is refused (checked on the resolved
   * address, on connections of their own: a guarded request never reuses an unguarded one's socket).
   */
  send(endpoint: string, bearer: string, body: string, guarded: boolean): Promise<SendResult>
  /** Aborts attempts in flight (they resolve `aborted`) and closes idle connections. */
  close(): void
}

const RETRY_STATUS = new Set([408, 429])

/** Seconds of a `Retry-After` header (RFC 9110 §10.2.3), delay-seconds or HTTP-date. */
function retryAfterMs(res: IncomingMessage): number | undefined {
  const value = res.headers['retry-after']
  if (value === undefined) return undefined
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function classify(res: IncomingMessage): SendResult {
  const status = res.statusCode ?? 0
  // CIBA §10.2/§10.3: 200 or 204 is success; any 2xx ends the delivery (the body is ignored).
  if (status >= 200 && status < 300) return { outcome: 'delivered', status }
  if (status >= 500 || RETRY_STATUS.has(status)) {
    const after = retryAfterMs(res)
    return { outcome: 'retry', reason: `http_${status}`, ...(after === undefined ? {} : { retryAfterMs: after }) }
  }
  // Redirects are never followed: the endpoint is the registered one or nothing.
  if (status >= 300 && status < 400) return { outcome: 'failed', reason: `redirect_not_followed_${status}` }
  return { outcome: 'failed', reason: `http_${status}` }
}

/**
 * Creates the client that POSTs ping and push notifications (CIBA §10.2, §10.3): TLS verified
 * against Node's roots plus `ca`, no redirects, a per-attempt timeout, a bounded response read,
 * and optionally a guard against private destinations (checked on the resolved address).
 */
export function createNotificationClient(options: NotificationClientOptions): NotificationClient {
  const secureContext: SecureContext | undefined = options.ca.length === 0
    ? undefined
    : createSecureContext({ ca: [...rootCertificates, ...options.ca] })
  const agentOptions = { keepAlive: true, maxSockets: 64, noDelay: true }
  const agents = {
    open: { https: new HttpsAgent(agentOptions), http: new HttpAgent(agentOptions) },
    guarded: { https: new HttpsAgent({ ...agentOptions, lookup: guardedLookup }), http: new HttpAgent({ ...agentOptions, lookup: guardedLookup }) },
  }
  const inFlight = new Set<AbortController>()

  function send(endpoint: string, bearer: string, body: string, guarded: boolean): Promise<SendResult> {
    let url: URL
    try {
      url = new URL(endpoint)
    } catch {
      return Promise.resolve({ outcome: 'failed', reason: 'endpoint_invalid' })
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    // An IP literal never reaches `lookup`, so it is checked here.
    if (guarded && isIP(host) !== 0 && isPrivateAddress(host)) {
      return Promise.resolve({ outcome: 'failed', reason: 'address_not_allowed' })
    }
    const https = url.protocol === 'https:'
    const pool = guarded ? agents.guarded : agents.open
    const controller = new AbortController()
    inFlight.add(controller)
    return new Promise<SendResult>((resolve) => {
      let settled = false
      const finish = (result: SendResult): void => {
        if (settled) return
        settled = true
        resolve(result)
      }
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: https ? pool.https : pool.http,
        signal: controller.signal,
        ...(https && secureContext !== undefined ? { secureContext } : {}),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${bearer}`,
          accept: 'application/json',
          'user-agent': 'ciba-kit',
        },
      })
      const done = (): void => {
        clearTimeout(timer)
        inFlight.delete(controller)
      }
      const timer = setTimeout(() => {
        finish({ outcome: 'retry', reason: 'timeout' })
        done()
        req.destroy()
      }, options.timeoutMs)
      req.on('response', (res) => {
        finish(classify(res))
        let read = 0
        res.on('data', (chunk: Buffer) => {
          read += chunk.length
          // The body is never used; past the limit the connection is dropped rather than drained.
          if (read > options.maxResponseBytes) res.destroy()
        })
        res.on('end', done)
        res.on('close', done)
        res.on('error', done)
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        done()
        if (controller.signal.aborted) return finish({ outcome: 'aborted' })
        if (error.code === 'EADDRNOTALLOWED') return finish({ outcome: 'failed', reason: 'address_not_allowed' })
        finish({ outcome: 'retry', reason: `network_${error.code ?? 'error'}` })
      })
      req.end(body)
    })
  }

  return {
    send,
    close() {
      for (const controller of inFlight) controller.abort()
      inFlight.clear()
      for (const pair of [agents.open, agents.guarded]) {
        pair.https.destroy()
        pair.http.destroy()
      }
    },
  }
}

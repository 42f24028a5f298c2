import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthenticationNotice, Notifier } from '@ciba-kit/core'
import { DEMO_USERS, type DemoUser } from './demo-config.js'
import { renderDevicePage } from './device-page.js'
import { type NodeHandler, methodNotAllowed, openEventStream, requestUrl, sendEmpty, sendError, sendJson, sendPage } from './http.js'

/** What the user decided on the device, as `provider.approve()` takes it (OIDC Core §2). */
export interface DeviceApproval {
  readonly sub: string
  readonly authTime: number
  readonly amr?: readonly string[]
}

/** The two calls of the provider the device makes when the user decides. */
export interface DeviceDecisions {
  approve(authReqId: string, approval: DeviceApproval): Promise<{ readonly ok: boolean }>
  deny(authReqId: string): Promise<{ readonly ok: boolean }>
}

/** One pending request as `GET /device/api/requests` lists it (wire names, snake_case). */
export interface DeviceRequestView {
  readonly id: string
  readonly sub: string
  readonly client_id: string
  readonly client_name: string
  readonly binding_message: string | null
  readonly scope: string
  readonly acr_values: readonly string[]
  readonly delivery_mode: string
  readonly created_at: number
  readonly expires_at: number
}

/** Options of {@link createDemoDevice}. */
export interface DemoDeviceOptions {
  /** Who can pick themselves on the page. Default: alice and bob. */
  readonly users?: readonly DemoUser[]
  /** Epoch seconds; injectable so tests never sleep to see a request expire. */
  readonly now?: () => number
  /** How often expired requests are swept and removed from open pages (ms). Default 1000. */
  readonly sweepIntervalMs?: number
}

/** The demo authentication device: a notifier that feeds it and a handler that serves it. */
export interface DemoDevice {
  /** Pass to `createProvider({ notifier })`. */
  readonly notifier: Notifier
  /** The handler for `/device` and `/device/api/...`, bound to the provider that decides. */
  handler(provider: DeviceDecisions): NodeHandler
  /** Pending requests, optionally for one user (expired ones never appear). */
  list(sub?: string): DeviceRequestView[]
  /** Removes expired requests and tells open pages. Runs on a timer; tests call it directly. */
  sweep(): void
  /** Stops the timer and ends every open event stream. */
  close(): void
}

type Removal = 'approved' | 'denied' | 'expired' | 'gone'

interface Subscriber {
  readonly sub: string | undefined
  readonly send: (event: string, data: unknown) => void
  readonly res: ServerResponse
}

/**
 * Creates the demo authentication device. Its `notifier` is the example of what an integrator
 * writes: ciba-kit calls `notify()` once per backchannel authentication request, after storing it
 * and before answering the client; a real notifier sends a push message or an SMS to the user's
 * phone. This one keeps the notice in memory and pushes it to the `/device` pages that are open
 * (server-sent events), where the user approves or denies through `provider.approve()` /
 * `provider.deny()`.
 *
 * @see CIBA Core §7.1 (the OP reaches the user's authentication device out of band)
 * @example
 * const device = createDemoDevice()
 * const provider = createProvider({ ..., notifier: device.notifier })
 * app.use(device.handler(provider))
 */
export function createDemoDevice(options: DemoDeviceOptions = {}): DemoDevice {
  const users = options.users ?? DEMO_USERS
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const pending = new Map<string, AuthenticationNotice>()
  const subscribers = new Set<Subscriber>()

  const view = (n: AuthenticationNotice): DeviceRequestView => ({
    id: n.authReqId,
    sub: n.sub,
    client_id: n.clientId,
    client_name: n.clientName ?? n.clientId,
    binding_message: n.bindingMessage ?? null,
    scope: n.scope.join(' '),
    acr_values: n.acrValues ?? [],
    delivery_mode: n.deliveryMode,
    created_at: n.createdAt,
    expires_at: n.expiresAt,
  })

  const publish = (sub: string, event: string, data: unknown): void => {
    for (const s of subscribers) if (s.sub === undefined || s.sub === sub) s.send(event, data)
  }

  const remove = (id: string, reason: Removal): void => {
    const notice = pending.get(id)
    if (notice === undefined) return
    pending.delete(id)
    publish(notice.sub, 'removed', { id, reason })
  }

  const list = (sub?: string): DeviceRequestView[] => {
    const t = now()
    const out: DeviceRequestView[] = []
    for (const n of pending.values()) {
      if (n.expiresAt <= t) continue
      if (sub === undefined || n.sub === sub) out.push(view(n))
    }
    return out.sort((a, b) => a.created_at - b.created_at)
  }

  const sweep = (): void => {
    const t = now()
    for (const n of pending.values()) if (n.expiresAt <= t) remove(n.authReqId, 'expired')
  }

  let ticks = 0
  const timer = setInterval(() => {
    sweep()
    // An SSE comment now and then keeps proxies from closing an idle stream.
    if (++ticks % 15 === 0) for (const s of subscribers) s.res.write(': keep-alive\n\n')
  }, options.sweepIntervalMs ?? 1000)
  timer.unref()

  // --- the notifier: what an integrator writes -----------------------------------------------
  const notifier: Notifier = {
    notify(notice: AuthenticationNotice): void {
      // A real notifier would reach the user's phone here (push service, SMS, e-mail). Keep it
      // fast: ciba-kit awaits it before answering the client, and a throw fails the request.
      pending.set(notice.authReqId, notice)
      publish(notice.sub, 'added', view(notice))
    },
  }

  const decide = async (
    provider: DeviceDecisions,
    id: string,
    decision: 'approve' | 'deny',
    res: ServerResponse,
  ): Promise<void> => {
    const notice = pending.get(id)
    if (notice === undefined || notice.expiresAt <= now()) {
      if (notice !== undefined) remove(id, 'expired')
      sendError(res, 404, 'not_found', 'no pending request with this id')
      return
    }
    // The device authenticated the user just now (OIDC Core §2 auth_time); `user` = user presence
    // confirmed on the device (RFC 8176).
    const result =
      decision === 'approve'
        ? await provider.approve(id, { sub: notice.sub, authTime: now(), amr: ['user'] })
        : await provider.deny(id)
    if (!result.ok) {
      remove(id, 'gone')
      sendError(res, 404, 'not_found', 'the request is unknown, expired or already decided')
      return
    }
    remove(id, decision === 'approve' ? 'approved' : 'denied')
    sendEmpty(res, 204)
  }

  const route = async (provider: DeviceDecisions, req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = requestUrl(req)
    const path = url.pathname
    const method = req.method ?? 'GET'
    if (path === '/device' || path === '/device/') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET')
      sendPage(res, renderDevicePage(users))
      return true
    }
    if (path === '/device/api/requests') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET')
      sendJson(res, 200, list(url.searchParams.get('sub') ?? undefined))
      return true
    }
    if (path === '/device/api/events') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET')
      const sub = url.searchParams.get('sub') ?? undefined
      const subscriber: Subscriber = { sub, send: openEventStream(req, res), res }
      subscribers.add(subscriber)
      res.on('close', () => subscribers.delete(subscriber))
      // The snapshot carries the server's clock so the page's countdown is right even on a skewed device.
      subscriber.send('snapshot', { now: now(), requests: list(sub) })
      return true
    }
    const match = /^\/device\/api\/requests\/([^/]+)\/(approve|deny)$/.exec(path)
    if (match !== null) {
      if (method !== 'POST') return methodNotAllowed(res, 'POST')
      await decide(provider, decodeURIComponent(match[1] ?? ''), match[2] === 'approve' ? 'approve' : 'deny', res)
      return true
    }
    if (path.startsWith('/device/')) {
      sendError(res, 404, 'not_found')
      return true
    }
    return false
  }

  return {
    notifier,
    handler(provider) {
      return (req, res, next) => {
        route(provider, req, res).then(
          (handled) => {
            if (!handled) next?.()
          },
          (err: unknown) => {
            if (!res.headersSent) sendError(res, 500, 'server_error')
            else res.end()
            // A demo: say what went wrong on the console, never in the response.
            console.error('demo device: %s', err instanceof Error ? err.message : String(err))
          },
        )
      }
    },
    list,
    sweep,
    close() {
      clearInterval(timer)
      for (const s of subscribers) s.res.end()
      subscribers.clear()
    },
  }
}

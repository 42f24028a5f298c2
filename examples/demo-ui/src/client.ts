import type { IncomingMessage, ServerResponse } from 'node:http'
import { FlowRegistry, newNotificationToken } from './client-flows.js'
import { DemoClientError, backchannelAuthenticate, discover, type OpMetadata } from './client-oauth.js'
import { renderClientPage } from './client-page.js'
import { DEMO_NOTIFICATION_PATH, type DemoClientCredentials, type DemoDeliveryMode } from './demo-config.js'
import { BodyError, type NodeHandler, methodNotAllowed, openEventStream, readBody, requestUrl, sendEmpty, sendError, sendJson, sendPage } from './http.js'

/** Options of {@link createDemoClient}. */
export interface DemoClientOptions {
  /** The OP's issuer: the client finds everything else through its discovery document. */
  readonly issuer: string
  /** The poll-mode client (`demo-client` / `demo-secret`). */
  readonly clientId: string
  readonly clientSecret: string
  /** A ping-mode client registered with this demo's notification endpoint, once the OP offers ping. */
  readonly ping?: DemoClientCredentials
  /** A push-mode client registered with this demo's notification endpoint, once the OP offers push. */
  readonly push?: DemoClientCredentials
  /** Pre-filled on the page. Default `alice`. */
  readonly defaultLoginHint?: string
}

/** The demo consumption device: its page and its small backend. */
export interface DemoClient {
  /** Serves `/client`, `/client/api/...` (and the ping/push notification endpoint). */
  readonly handler: NodeHandler
  /** Stops every flow and ends every open event stream. */
  close(): void
}

const MODES: readonly DemoDeliveryMode[] = ['poll', 'ping', 'push']
const DEFAULT_SCOPE = 'openid profile email'

/**
 * Creates the demo client: the consumption device of CIBA (a bank teller's terminal, a petrol
 * pump). It is a separate OAuth client that reaches the OP over HTTP only, through the OP's
 * discovery, backchannel authentication, token and userinfo endpoints; it never touches the
 * provider object. Its client secret stays in this backend; the page only sees progress events.
 *
 * @see CIBA Core §7 (authentication request), §10 (token delivery)
 * @example
 * const client = createDemoClient({ issuer, clientId: 'demo-client', clientSecret: 'demo-secret' })
 * app.use(client.handler)
 */
export function createDemoClient(options: DemoClientOptions): DemoClient {
  const flows = new FlowRegistry()
  const credsFor = (mode: DemoDeliveryMode): DemoClientCredentials | undefined =>
    mode === 'poll' ? { clientId: options.clientId, clientSecret: options.clientSecret } : options[mode]

  /** Which modes the page may offer: advertised by the OP *and* a client is registered for it. */
  const modes = (op: OpMetadata) =>
    MODES.map((mode) => {
      const advertised = op.backchannel_token_delivery_modes_supported?.includes(mode) ?? mode === 'poll'
      const configured = credsFor(mode) !== undefined
      return {
        mode,
        available: advertised && configured,
        ...(advertised
          ? configured
            ? {}
            : { reason: 'not available yet: no demo client is registered for this mode' }
          : { reason: 'not available yet: the OP does not list it in backchannel_token_delivery_modes_supported' }),
      }
    })

  const startFlow = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req)
    const loginHint = typeof body.login_hint === 'string' ? body.login_hint.trim() : ''
    const bindingMessage = typeof body.binding_message === 'string' ? body.binding_message.trim() : ''
    const scope = typeof body.scope === 'string' && body.scope.trim() !== '' ? body.scope.trim() : DEFAULT_SCOPE
    const mode = MODES.find((m) => m === body.mode) ?? (body.mode === undefined ? 'poll' : undefined)
    if (loginHint === '' || loginHint.length > 256) return sendError(res, 400, 'invalid_request', 'enter a login hint (for example alice)')
    if (bindingMessage.length > 256) return sendError(res, 400, 'invalid_request', 'the binding message is too long')
    if (mode === undefined) return sendError(res, 400, 'invalid_request', 'mode must be poll, ping or push')
    const op = await discover(options.issuer)
    const creds = credsFor(mode)
    const offer = modes(op).find((m) => m.mode === mode)
    if (creds === undefined || offer?.available !== true) {
      return sendError(res, 400, 'mode_unavailable', offer?.reason ?? `${mode} is not available`)
    }
    // CIBA §7.1: the client_notification_token is how the OP proves itself when it calls us back.
    const notificationToken = mode === 'poll' ? undefined : newNotificationToken()
    const params: Record<string, string> = { scope, login_hint: loginHint }
    if (bindingMessage !== '') params.binding_message = bindingMessage
    if (notificationToken !== undefined) params.client_notification_token = notificationToken
    const started = await backchannelAuthenticate(op, creds, params)
    const flow = flows.start(op, mode, creds, started, notificationToken)
    sendJson(res, 201, { id: flow.id, auth_req_id: flow.authReqId, expires_in: started.expires_in, interval: flow.interval, mode })
  }

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = requestUrl(req)
    const path = url.pathname
    const method = req.method ?? 'GET'
    if (path === '/client' || path === '/client/') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET')
      sendPage(res, renderClientPage({ defaultLoginHint: options.defaultLoginHint ?? 'alice' }))
      return true
    }
    if (path === '/client/api/config') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET')
      const op = await discover(options.issuer)
      sendJson(res, 200, {
        issuer: op.issuer,
        discovery_url: `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
        modes: modes(op),
      })
      return true
    }
    if (path === '/client/api/flows') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST')
      await startFlow(req, res)
      return true
    }
    const events = /^\/client\/api\/flows\/([^/]+)\/events$/.exec(path)
    if (events !== null) {
      if (method !== 'GET') return methodNotAllowed(res, 'GET')
      const flow = flows.get(decodeURIComponent(events[1] ?? ''))
      if (flow === undefined) {
        sendError(res, 404, 'not_found')
        return true
      }
      openEventStream(req, res)
      const last = Number.parseInt(String(req.headers['last-event-id'] ?? '0'), 10)
      flows.subscribe(flow, res, Number.isFinite(last) ? last : 0)
      return true
    }
    if (path === DEMO_NOTIFICATION_PATH) {
      if (method !== 'POST') return methodNotAllowed(res, 'POST')
      const auth = req.headers.authorization
      const bearer = auth?.startsWith('Bearer ') === true ? auth.slice(7).trim() : undefined
      const status = flows.notify(bearer, await readBody(req))
      if (status === 401) sendEmpty(res, 401, { 'www-authenticate': 'Bearer error="invalid_token"' })
      else sendEmpty(res, status)
      return true
    }
    if (path.startsWith('/client/')) {
      sendError(res, 404, 'not_found')
      return true
    }
    return false
  }

  return {
    handler(req, res, next) {
      route(req, res).then(
        (handled) => {
          if (!handled) next?.()
        },
        (err: unknown) => {
          if (res.headersSent) return void res.end()
          if (err instanceof BodyError) return sendError(res, 400, 'invalid_request', err.message)
          if (err instanceof DemoClientError) return sendJson(res, err.status, err.failure)
          console.error('demo client: %s', err instanceof Error ? err.message : String(err))
          sendError(res, 500, 'server_error')
        },
      )
    },
    close() {
      flows.close()
    },
  }
}

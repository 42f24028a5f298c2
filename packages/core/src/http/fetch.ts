import { OAuthError } from '../errors/oauth-error.js'
import type { CibaProvider } from '../provider.js'
import { bodyTooLarge, bodyTooSlow, DEFAULT_BODY_TIMEOUT, servedPath } from './node.js'
import { selectEndpoints, type EndpointKey } from './select-endpoints.js'
import { jsonResponse, type NeutralRequest, type NeutralResponse } from './types.js'
import { readStreamLimited } from './read-stream.js'
import { watchDeadline } from './deadlines.js'

/** Options for {@link createFetchHandler}. */
export interface FetchHandlerOptions {
  /** Serve the endpoints under this path prefix (`/oidc` → `/oidc/token`, ...). */
  readonly prefix?: string
  /** Serve only these endpoints (default: all); see {@link selectEndpoints}. */
  readonly endpoints?: readonly EndpointKey[]
  /**
   * Leave a token request's body unread when it is handed back as "not mine", by reading a clone
   * (default `true`). Set `false` when nothing after ciba-kit reads token requests (no host token
   * endpoint): it saves a body clone, a large part of the cost of each poll.
   */
  readonly handBackTokenBody?: boolean
}

/**
 * A Web-standard handler: a `Response`, or `undefined` when the request is not the provider's
 * ("not mine": another path, or a token request for a grant ciba-kit does not own).
 */
export type FetchHandler = (request: Request) => Promise<Response | undefined>

/**
 * The Fetch API entry (WHATWG Fetch `Request` → `Response`) for Hono, Next.js route handlers,
 * Bun, Deno, Cloudflare-style runtimes and Fastify's fetch bridge. Built on the same neutral core
 * as the Express and Koa adapters: same routes, same body limit (`provider.bodyLimit`), same
 * responses.
 *
 * When it answers `undefined` for a token request, it has read only a clone of the body, so the
 * host's own token endpoint can still read `request`.
 *
 * @see CIBA Core 1.0 §7 (backchannel authentication endpoint), §10 (token endpoint)
 * @example
 * // Next.js: app/oidc/[...path]/route.ts
 * const handle = createFetchHandler(provider, { prefix: '/oidc' })
 * const notFound = () => new Response(null, { status: 404 })
 * export const GET = async (req: Request) => (await handle(req)) ?? notFound()
 * export const POST = GET
 * @example
 * // Hono
 * app.use('*', async (c, next) => (await handle(c.req.raw)) ?? next())
 */
export function createFetchHandler(provider: CibaProvider, options: FetchHandlerOptions = {}): FetchHandler {
  const target = selectEndpoints(provider, options.endpoints)
  const clonePath = options.handBackTokenBody === false ? undefined : provider.settings.routes.token
  return async function cibaFetch(request: Request): Promise<Response | undefined> {
    const { pathname, query } = splitUrl(request.url)
    const path = servedPath(target, pathname, options.prefix)
    if (path === undefined) return undefined
    const method = request.method
    let body: Uint8Array | undefined
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      // The token endpoint may hand the request back to the host: there, leave the original unread.
      const source = request.bodyUsed ? undefined : path === clonePath ? request.clone() : request
      try {
        body = source === undefined ? undefined : await readFetchBody(source, target.bodyLimit, target.bodyTimeout)
      } catch (error) {
        if (error instanceof OAuthError) {
          const payload = { error: error.error, error_description: error.description }
          return toFetchResponse(jsonResponse(error.status ?? 400, payload, { connection: 'close' }), method)
        }
        throw error
      }
    }
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => {
      headers[name] = value
    })
    const neutral: NeutralRequest = { method, path, headers, body, query }
    const response = await target.handle(neutral)
    return response === undefined ? undefined : toFetchResponse(response, method)
  }
}

/** Writes a neutral response as a Web `Response` (no body for `HEAD`, 204 and 304). */
export function toFetchResponse(response: NeutralResponse, method = 'GET'): Response {
  const empty = method === 'HEAD' || response.status === 204 || response.status === 304
  return new Response(empty ? null : (response.body ?? null), { status: response.status, headers: response.headers })
}

/**
 * Reads a Fetch body up to `limit` bytes (413 beyond, checked on `Content-Length` first; 408 when
 * it has not all arrived within `timeoutSeconds`), as {@link readBody} does for Node streams.
 */
export async function readFetchBody(request: Request, limit: number, timeoutSeconds = DEFAULT_BODY_TIMEOUT): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length')
  // The rest of an oversize (or overdue) body is left unread, not cancelled: cancelling would tear
  // down the connection in some runtimes before the answer is written; `Connection: close` lets the
  // server drop it.
  if (declared !== null && Number(declared) > limit) throw bodyTooLarge(limit)
  if (request.body === null) return undefined
  const reading = readStreamLimited(request.body, limit, 'release')
  reading.catch(() => {}) // a read that fails after the deadline has nobody left to tell
  let unwatch = (): void => {}
  const deadline = new Promise<never>((_, reject) => {
    unwatch = watchDeadline(timeoutSeconds, () => reject(bodyTooSlow(timeoutSeconds)))
  })
  try {
    const bytes = await Promise.race([reading, deadline])
    if (bytes === undefined) throw bodyTooLarge(limit)
    return bytes
  } finally {
    unwatch()
  }
}

/** Path and raw query of an absolute URL, without a `URL` object on the hot path. */
function splitUrl(url: string): { readonly pathname: string; readonly query: string | undefined } {
  const scheme = url.indexOf('://')
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  if (slash === -1) return { pathname: '/', query: undefined }
  const hash = url.indexOf('#', slash)
  const end = hash === -1 ? url.length : hash
  const question = url.indexOf('?', slash)
  if (question === -1 || question > end) return { pathname: url.slice(slash, end), query: undefined }
  return { pathname: url.slice(slash, question), query: url.slice(question + 1, end) }
}

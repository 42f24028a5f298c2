import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A plain Node request handler. Express mounts it directly (`app.use(handler)`); Koa mounts it
 * through `ctx.req`/`ctx.res` with `ctx.respond = false`. `next` is called only for paths the
 * handler does not own.
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void

/** Security headers every demo response carries: nothing is loaded from anywhere but this origin. */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** Inline script and style only; no network origin other than self. */
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Writes a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Writes an empty response (204, 404 without body...). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...BASE_HEADERS, ...headers })
  res.end()
}

/** 405 with the `Allow` header; `true` so a route can `return methodNotAllowed(...)` as handled. */
export function methodNotAllowed(res: ServerResponse, allow: string): true {
  sendEmpty(res, 405, { allow })
  return true
}

/** Writes one of the demo HTML pages. */
export function sendPage(res: ServerResponse, html: string): void {
  res.writeHead(200, {
    ...BASE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'content-length': Buffer.byteLength(html),
  })
  res.end(html)
}

/** `{"error": ...}` in the RFC 6749 shape, so the pages show every failure the same way. */
export function sendError(res: ServerResponse, status: number, error: string, description?: string): void {
  sendJson(res, status, description === undefined ? { error } : { error, error_description: description })
}

/** Starts a server-sent events stream. Returns a writer; the caller removes it on `close`. */
export function openEventStream(req: IncomingMessage, res: ServerResponse): (event: string, data: unknown) => void {
  res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' })
  res.flushHeaders()
  req.socket.setKeepAlive(true)
  req.socket.setNoDelay(true)
  // Tell EventSource to reconnect quickly after a restart of the demo server.
  res.write('retry: 1000\n\n')
  return (event, data) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }
}

/** Parses the request URL relative to the handler. */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://demo.invalid')
}

const MAX_BODY = 16 * 1024

/**
 * Reads a small request body, whether or not a framework already parsed it (Express with
 * `express.json()` / `express.urlencoded()` leaves it on `req.body`).
 */
export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body
  if (parsed !== undefined && parsed !== null && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    return parsed as Record<string, unknown>
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY) throw new BodyError('request body too large')
    chunks.push(buf)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return {}
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text))
  try {
    const value: unknown = JSON.parse(text)
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new BodyError('body must be a JSON object')
}

/** A request body the demo backends cannot use (answered as 400 invalid_request). */
export class BodyError extends Error {
  override readonly name = 'BodyError'
}

/** Escapes text for inclusion in HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

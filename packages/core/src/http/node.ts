import type { IncomingMessage } from 'node:http'
import { OAuthError } from '../errors/oauth-error.js'
import { watchDeadline } from './deadlines.js'
import { jsonResponse, type NeutralRequest, type NeutralResponse } from './types.js'

/** What a provider offers a Node-based adapter. */
export interface NodeHandlerTarget {
  /** Does this provider serve `path` (relative to its mount point)? Cheap; no I/O. */
  matches(path: string): boolean
  handle(req: NeutralRequest): Promise<NeutralResponse | undefined>
  readonly bodyLimit: number
  /** Seconds to wait for a request body. Default {@link DEFAULT_BODY_TIMEOUT}. */
  readonly bodyTimeout?: number
}

/** Result of {@link handleNodeRequest}: a response to write, or "not mine" for the host. */
export type NodeHandlerResult =
  | { readonly kind: 'response'; readonly response: NeutralResponse }
  | { readonly kind: 'pass'; readonly body?: Readonly<Record<string, string>> | undefined }

/**
 * The whole per-request work of a Node framework adapter (Express, Koa, plain `http`) once
 * {@link servedPath} has found the request to be the provider's: read the body unless the host
 * already parsed it (bounded by `bodyLimit`), call the provider, and tell the adapter whether to
 * write the response or pass to the host. When it passes after reading the body, it returns the
 * parsed form so the host's parsers need not. `path` is relative to the mount point; a path the
 * provider does not serve passes untouched (a guard for callers that skip {@link servedPath}).
 */
export async function handleNodeRequest(
  target: NodeHandlerTarget,
  req: IncomingMessage,
  path: string,
  parsedBody: unknown,
): Promise<NodeHandlerResult> {
  if (!target.matches(path)) return { kind: 'pass' }
  const method = req.method ?? 'GET'
  let body: NeutralRequest['body']
  let readRaw = false
  if (isParsedBody(parsedBody)) body = parsedBody as Readonly<Record<string, unknown>>
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    try {
      body = await readBody(req, target.bodyLimit, target.bodyTimeout)
      readRaw = true
    } catch (error) {
      if (error instanceof OAuthError) return { kind: 'response', response: jsonResponse(error.status ?? 400, { error: error.error, error_description: error.description }, { connection: 'close' }) }
      throw error
    }
  }
  const queryIndex = req.url?.indexOf('?') ?? -1
  const response = await target.handle({
    method,
    path,
    headers: req.headers,
    body,
    query: queryIndex === -1 ? undefined : req.url!.slice(queryIndex + 1),
  })
  if (response !== undefined) return { kind: 'response', response }
  return { kind: 'pass', body: readRaw && body instanceof Uint8Array ? formForHost(body) : undefined }
}

/** A host parser's output is a plain object; `{}` from a parser that skipped the request is not. */
function isParsedBody(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && Object.keys(value).length > 0
}

const NO_BODY = new Uint8Array(0)

/** Seconds a request body may take to arrive when nobody says otherwise. */
export const DEFAULT_BODY_TIMEOUT = 10

/**
 * Reads a request body up to `limit` bytes; 413 beyond (checked on Content-Length first), 408 when
 * it has not all arrived within `timeoutSeconds`.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutSeconds = DEFAULT_BODY_TIMEOUT): Promise<Uint8Array> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(bodyTooLarge(limit))
  // A host's parser read the stream already and left nothing we recognise (`{}`): no 'end' will come.
  if (req.readableEnded) return Promise.resolve(NO_BODY)
  // Plain 'data'/'end' listeners: cheaper per request than an async iterator over the stream.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const unwatch = watchDeadline(timeoutSeconds, () => {
      cleanup()
      req.resume() // discard the rest; the 408 closes the connection
      reject(bodyTooSlow(timeoutSeconds))
    })
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        req.resume()
        reject(bodyTooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(new OAuthError('invalid_request', { description: 'the request body could not be read', cause: error }))
    }
    const cleanup = (): void => {
      unwatch()
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

/** `413`: a request body over `limit` bytes (every adapter, and registration's own limit). */
export function bodyTooLarge(limit: number): OAuthError {
  return new OAuthError('invalid_request', { description: `request body exceeds ${limit} bytes`, status: 413 })
}

/** `408`: a request body that did not all arrive within `seconds`. */
export function bodyTooSlow(seconds: number): OAuthError {
  return new OAuthError('invalid_request', { description: `request body not received within ${seconds} seconds`, status: 408 })
}

function formForHost(body: Uint8Array): Record<string, string> | undefined {
  try {
    return Object.fromEntries(new URLSearchParams(Buffer.from(body).toString('utf8')))
  } catch {
    return undefined
  }
}

/**
 * The path, relative to the mount `prefix`, of a request `target` serves; `undefined` when the
 * request is the host's (outside the prefix, or not one of the provider's endpoints). Cheap, no
 * I/O: every adapter asks this first, so the host's own requests cost it nothing more.
 */
export function servedPath(target: Pick<NodeHandlerTarget, 'matches'>, path: string, prefix: string | undefined): string | undefined {
  const relative = stripPrefix(path, prefix)
  return relative !== undefined && target.matches(relative) ? relative : undefined
}

/** Strips a mount prefix (`/oidc`) from a path; `undefined` when the path is outside it. */
export function stripPrefix(path: string, prefix: string | undefined): string | undefined {
  if (prefix === undefined || prefix === '' || prefix === '/') return path
  const normalized = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  if (path === normalized) return '/'
  return path.startsWith(normalized + '/') ? path.slice(normalized.length) : undefined
}

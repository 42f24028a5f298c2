/**
 * The framework-neutral request and response that every adapter translates to and from.
 * Plain objects on purpose: adapters pay no per-request Web `Request`/`Response` construction.
 */

/** Header values as Node delivers them (lower-case names). */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * A request as the core sees it.
 *
 * `body` is either the raw bytes (the adapter read the stream), or an object that a body parser
 * of the host application already produced (`express.urlencoded()`, `koa-bodyparser`, ...), or
 * `undefined` for a request without a body.
 */
export interface NeutralRequest {
  readonly method: string
  /** Path relative to where the provider is mounted, without the query string. */
  readonly path: string
  readonly headers: HeaderMap
  readonly body?: Uint8Array | string | Readonly<Record<string, unknown>> | undefined
  /** Query string parameters, raw (without the leading `?`). */
  readonly query?: string | undefined
  /** The peer's TLS client certificate (DER), for future mTLS support. */
  readonly clientCertificate?: Uint8Array | undefined
}

/** A response as the core produces it; the adapter writes it verbatim. */
export interface NeutralResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** Already serialised body, or `undefined` for an empty body (e.g. 204). */
  readonly body?: string | undefined
}

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
})

/** A JSON response with `Cache-Control: no-store` (RFC 6749 §5.1). */
export function jsonResponse(
  status: number,
  body: unknown,
  extraHeaders?: Readonly<Record<string, string>>,
): NeutralResponse {
  return {
    status,
    headers: extraHeaders === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...extraHeaders },
    body: JSON.stringify(body),
  }
}

/** A cacheable public JSON document (discovery, JWKS). */
export function publicJsonResponse(body: unknown, maxAgeSeconds = 300): NeutralResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': `public, max-age=${maxAgeSeconds}`,
      'access-control-allow-origin': '*',
    },
    body: JSON.stringify(body),
  }
}

/** An empty response with `Cache-Control: no-store`. */
export function emptyResponse(status: number): NeutralResponse {
  return { status, headers: { 'cache-control': 'no-store' } }
}

/** First value of a header, or `undefined`. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : value[0]
}

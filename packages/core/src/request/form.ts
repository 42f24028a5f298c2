import { OAuthError } from '../errors/oauth-error.js'
import { headerValue, type NeutralRequest } from '../http/types.js'

/** Parsed `application/x-www-form-urlencoded` parameters; a null-prototype record. */
export type FormParams = Readonly<Record<string, string>>

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Is the media type (ignoring parameters such as charset) the one expected? */
export function hasMediaType(req: NeutralRequest, expected: string): boolean {
  const value = headerValue(req.headers, 'content-type')
  if (value === undefined) return false
  const semi = value.indexOf(';')
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase()
  return type === expected
}

/**
 * Reads the form body of a POST (RFC 6749 §3.2, §4.1.3 / CIBA §7.1): requires the form media type,
 * rejects repeated parameters (RFC 6749 §3.1) and malformed encodings, and drops empty values
 * ("parameters sent without a value MUST be treated as if they were omitted").
 *
 * Accepts raw bytes or a body a host parser already produced (arrays there mean a repeated parameter).
 */
export function parseForm(req: NeutralRequest): FormParams {
  if (!hasMediaType(req, 'application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', { description: 'content type must be application/x-www-form-urlencoded' })
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  const body = req.body
  if (body === undefined) return out
  if (typeof body === 'string' || body instanceof Uint8Array) {
    let text: string
    try {
      text = typeof body === 'string' ? body : decoder.decode(body)
    } catch {
      throw new OAuthError('invalid_request', { description: 'request body is not valid UTF-8' })
    }
    addPairs(out, text)
    return out
  }
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) throw repeated(name)
    if (typeof value !== 'string') {
      throw new OAuthError('invalid_request', { description: `parameter ${safeName(name)} is malformed` })
    }
    addParam(out, name, value)
  }
  return out
}

/**
 * The WHATWG urlencoded parser (what `URLSearchParams` does: split on `&`, skip empty pieces, split
 * at the first `=`, `+` is a space, percent-decode), without allocating an entry per pair; pieces
 * with nothing to decode are used as they are.
 */
function addPairs(out: Record<string, string>, text: string): void {
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      const eq = text.indexOf('=', start)
      if (eq === -1 || eq > end) addParam(out, decodeFormPiece(text.slice(start, end)), '')
      else addParam(out, decodeFormPiece(text.slice(start, eq)), decodeFormPiece(text.slice(eq + 1, end)))
    }
    start = end + 1
  }
}

/** `+` → space, then percent-decoding; a malformed sequence is decoded the lenient WHATWG way. */
function decodeFormPiece(piece: string): string {
  const spaced = piece.indexOf('+') === -1 ? piece : piece.replace(/\+/g, ' ')
  if (piece.indexOf('%') === -1) return spaced
  try {
    return decodeURIComponent(spaced)
  } catch {
    // Invalid escapes or invalid UTF-8 after decoding: URLSearchParams keeps / replaces them.
    return new URLSearchParams(`x=${piece}`).get('x') ?? ''
  }
}

function addParam(out: Record<string, string>, name: string, value: string): void {
  if (name in out) throw repeated(name)
  if (value === '') {
    // Still record the name so a repeated empty+non-empty pair is caught.
    Object.defineProperty(out, name, { value: undefined, enumerable: false, configurable: true })
    return
  }
  out[name] = value
}

function repeated(name: string): OAuthError {
  return new OAuthError('invalid_request', { description: `parameter ${safeName(name)} is repeated` })
}

/** Parameter names are echoed in descriptions; keep them short and printable. */
function safeName(name: string): string {
  return /^[\w.:-]{1,64}$/.test(name) ? name : '(invalid name)'
}

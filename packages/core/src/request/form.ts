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
    for (const [name, value] of new URLSearchParams(text)) addParam(out, name, value)
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

import { OAuthError } from '../errors/oauth-error.js'

/** Credentials carried by HTTP Basic (RFC 6749 §2.3.1). */
export interface BasicCredentials {
  readonly clientId: string
  readonly clientSecret: string
}

/**
 * Parses `Authorization: Basic ...`. RFC 6749 §2.3.1: the client id and secret are each
 * `application/x-www-form-urlencoded` before being joined by `:` and base64-encoded.
 * Returns `undefined` for other schemes.
 */
export function parseBasicCredentials(header: string): BasicCredentials | undefined {
  const space = header.indexOf(' ')
  if (space === -1) return undefined
  // The scheme is case-insensitive (RFC 9110 §11.1); "Basic" as written by every client needs no lower-casing.
  const scheme = header.slice(0, space)
  if (scheme !== 'Basic' && scheme.toLowerCase() !== 'basic') return undefined
  const encoded = header.slice(space + 1).trim()
  if (encoded.length > 4096 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new OAuthError('invalid_client', { description: 'malformed Basic credentials' })
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) throw new OAuthError('invalid_client', { description: 'malformed Basic credentials' })
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) }
}

/** Strict form decoding: malformed escapes make the credentials malformed (never guessed at). */
function formDecode(value: string): string {
  if (value.indexOf('%') === -1) return value.indexOf('+') === -1 ? value : value.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    throw new OAuthError('invalid_client', { description: 'malformed Basic credentials' })
  }
}

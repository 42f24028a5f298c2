const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A verified JWS payload as a JSON object (RFC 7519 §7.2 step 10), or `undefined` when it is not
 * UTF-8 JSON or not an object. Callers turn `undefined` into their own endpoint's error.
 */
export function parseJsonObject(payload: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(payload))
  } catch {
    return undefined
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

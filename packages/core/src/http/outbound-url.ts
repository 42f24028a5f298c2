/** Host names that denote this machine. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Is `url` plain `http` on a loopback host? */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)
}

/**
 * Is `value` a URL the OP may call (client notification endpoint, CIBA §4; client `jwks_uri`)?
 * `https` without credentials or fragment; loopback `http` only when development allows it.
 */
export function isAllowedOutboundUrl(value: string, allowHttpLoopback: boolean): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.hash !== '' || url.username !== '' || url.password !== '') return false
  if (url.protocol === 'https:') return true
  return allowHttpLoopback && isLoopbackHttp(url)
}

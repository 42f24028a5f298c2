import { ConfigurationError } from '../errors/oauth-error.js'

/** A discovery document (OIDC Discovery §3, RFC 8414 §2) as plain JSON members. */
export type DiscoveryDocument = Readonly<Record<string, unknown>>

/**
 * Merges ciba-kit's metadata (`provider.metadata`) into a host's own discovery document, for a
 * host that keeps serving `/.well-known/openid-configuration` itself.
 *
 * - members only ciba-kit has (`backchannel_*`, ...) are added;
 * - lists of strings both have (`grant_types_supported`, `scopes_supported`, ...) are unioned,
 *   the host's entries first;
 * - for any other member both have, the host's value wins (its `jwks_uri`, `userinfo_endpoint`...).
 *
 * The `issuer` and `token_endpoint` must agree: ID tokens carry ciba-kit's issuer, and client
 * assertions are checked against ciba-kit's token endpoint URL (set `issuer` and `routes.token`
 * to the host's). The result is a new object; neither input is changed.
 *
 * @see OIDC Discovery 1.0 §3, CIBA Core 1.0 §4
 * @throws ConfigurationError when `issuer` or `token_endpoint` differ.
 * @example
 * const discovery = mergeDiscoveryMetadata(myDiscoveryDocument, provider.metadata)
 * app.get('/.well-known/openid-configuration', (req, res) => res.json(discovery))
 */
export function mergeDiscoveryMetadata(host: DiscoveryDocument, ciba: DiscoveryDocument): Record<string, unknown> {
  for (const member of ['issuer', 'token_endpoint'] as const) {
    if (host[member] !== undefined && host[member] !== ciba[member]) {
      const setting = member === 'issuer' ? 'issuer' : 'routes.token'
      throw new ConfigurationError(`the host's ${member} "${String(host[member])}" differs from ciba-kit's "${String(ciba[member])}": set ${setting} in createProvider() to match`)
    }
  }
  const merged: Record<string, unknown> = { ...host }
  for (const [member, value] of Object.entries(ciba)) {
    const mine = host[member]
    if (mine === undefined) merged[member] = Array.isArray(value) ? [...value] : value
    else if (isStringList(mine) && isStringList(value)) merged[member] = [...new Set([...mine, ...value])]
  }
  return merged
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

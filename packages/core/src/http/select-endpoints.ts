import type { Routes } from '../config.js'
import { ConfigurationError } from '../errors/oauth-error.js'
import type { CibaProvider } from '../provider.js'
import type { NodeHandlerTarget } from './node.js'

/** An endpoint by its route name: `'backchannelAuthentication'`, `'token'`, `'discovery'`, ... */
export type EndpointKey = keyof Routes

/**
 * Narrows a provider to some of its endpoints, for hosts that keep their own discovery, JWKS or
 * token endpoint. Every adapter (`cibaExpress`, `cibaKoa`, {@link createFetchHandler}) accepts the
 * same list as its `endpoints` option and calls this; requests for other paths are "not mine".
 *
 * @throws ConfigurationError for an unknown endpoint name or an empty list.
 * @example
 * app.use(cibaExpress(provider, { endpoints: ['backchannelAuthentication', 'userinfo'] }))
 */
export function selectEndpoints(provider: CibaProvider, endpoints: readonly EndpointKey[] | undefined): NodeHandlerTarget {
  if (endpoints === undefined) return provider
  const { routes } = provider.settings
  if (endpoints.length === 0) throw new ConfigurationError('endpoints must list at least one endpoint')
  const paths = new Set<string>()
  for (const name of endpoints) {
    if (!Object.hasOwn(routes, name)) throw new ConfigurationError(`endpoints: unknown endpoint "${String(name)}" (one of ${Object.keys(routes).join(', ')})`)
    paths.add(routes[name])
  }
  return {
    bodyLimit: provider.bodyLimit,
    bodyTimeout: provider.bodyTimeout,
    matches: (path) => paths.has(path) && provider.matches(path),
    handle: (req) => (paths.has(req.path) ? provider.handle(req) : Promise.resolve(undefined)),
  }
}

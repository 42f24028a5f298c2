import { handleNodeRequest, selectEndpoints, servedPath, type CibaProvider, type EndpointKey } from '@ciba-kit/core'
import type { Middleware } from 'koa'

/** Options for {@link cibaKoa}. */
export interface CibaKoaOptions {
  /** Serve the endpoints under this path prefix. */
  readonly prefix?: string
  /** Serve only these endpoints (default: all), e.g. `['backchannelAuthentication']`. */
  readonly endpoints?: readonly EndpointKey[]
}

/**
 * Koa middleware serving the provider's endpoints (discovery, JWKS, backchannel
 * authentication, token, userinfo). Works with or without a body parser before it; token
 * requests for grants ciba-kit does not own go to `next()` with `ctx.request.body` filled in.
 *
 * @example
 * app.use(cibaKoa(provider))
 */
export function cibaKoa(provider: CibaProvider, options: CibaKoaOptions = {}): Middleware {
  const target = selectEndpoints(provider, options.endpoints)
  return async function cibaKit(ctx, next) {
    const path = servedPath(target, ctx.path, options.prefix)
    if (path === undefined) return next()
    const request = ctx.request as { body?: unknown }
    const result = await handleNodeRequest(target, ctx.req, path, request.body)
    if (result.kind === 'pass') {
      if (result.body !== undefined) request.body = result.body
      return next()
    }
    const { status, headers, body } = result.response
    ctx.status = status
    ctx.set(headers)
    ctx.body = body ?? null
  }
}

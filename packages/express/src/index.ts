import { handleNodeRequest, selectEndpoints, servedPath, type CibaProvider, type EndpointKey } from '@ciba-kit/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/** Options for {@link cibaExpress}. */
export interface CibaExpressOptions {
  /** Serve the endpoints under this path prefix (alternative to `app.use('/prefix', ...)`). */
  readonly prefix?: string
  /** Serve only these endpoints (default: all), e.g. `['backchannelAuthentication']`. */
  readonly endpoints?: readonly EndpointKey[]
}

/**
 * Express middleware serving the provider's endpoints (discovery, JWKS, backchannel
 * authentication, token, userinfo). Works whether or not the host parsed the body already;
 * token requests for grants ciba-kit does not own go to `next()` with `req.body` filled in.
 *
 * @example
 * app.use(cibaExpress(provider))
 */
export function cibaExpress(provider: CibaProvider, options: CibaExpressOptions = {}): RequestHandler {
  const target = selectEndpoints(provider, options.endpoints)
  return function cibaKit(req: Request, res: Response, next: NextFunction): void {
    const path = servedPath(target, req.path, options.prefix)
    if (path === undefined) return next()
    handleNodeRequest(target, req, path, req.body).then((result) => {
      if (result.kind === 'pass') {
        if (result.body !== undefined) {
          req.body = result.body
          ;(req as { _body?: boolean })._body = true
        }
        return next()
      }
      const { status, headers, body } = result.response
      // Node's own setHeader: the core's headers are final, Express's res.set() would redo a MIME lookup per header.
      res.statusCode = status
      for (const name in headers) res.setHeader(name, headers[name]!)
      res.end(req.method === 'HEAD' ? undefined : body)
    }, next)
  }
}

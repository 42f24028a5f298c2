import { publicJsonResponse, type NeutralResponse } from '../http/types.js'
import type { EndpointDeps } from './deps.js'

/** `GET` JWKS (RFC 7517 §5): the public halves of the signing keys, nothing private. */
export function createJwksEndpoint(deps: EndpointDeps) {
  let cached: NeutralResponse | undefined
  return async function jwks(): Promise<NeutralResponse> {
    cached ??= publicJsonResponse((await deps.keys()).publicJwks)
    return cached
  }
}

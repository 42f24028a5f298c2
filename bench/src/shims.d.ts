// Minimal ambient types for the untyped JavaScript modules the benchmark drives. Only what
// bench/ touches is declared; these are not the libraries' full APIs.

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface OidcModelInstance {
    readonly jti: string
    readonly clientId: string
    readonly accountId: string
    readonly scope?: string
    save(): Promise<string>
  }
  export interface OidcGrant extends OidcModelInstance {
    addOIDCScope(scope: string): void
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    proxy: boolean
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (...args: unknown[]) => void): this
    Client: { find(id: string): Promise<unknown> }
    Grant: new (init: { clientId: string; accountId: string }) => OidcGrant
    BackchannelAuthenticationRequest: {
      new (init: Record<string, unknown>): OidcModelInstance
      find(id: string): Promise<OidcModelInstance | undefined>
    }
    backchannelResult(request: OidcModelInstance, grant: OidcGrant, extra?: { authTime?: number }): Promise<void>
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string, store: unknown)
  }
}

declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number })
  }
}

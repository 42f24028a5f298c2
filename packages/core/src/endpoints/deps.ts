import type { ClientRegistry } from '../clients/registry.js'
import type { ClientAuthContext } from '../client-auth/authenticate-client.js'
import type { ProviderEventBus } from '../events.js'
import type { KeySet } from '../keys/signing-keys.js'
import type { Settings } from '../settings.js'
import type { Sealer } from '../storage/sealing.js'
import type { CibaStorage } from '../storage/types.js'

/** What the endpoints depend on: explicit, typed, and the same for every request. */
export interface EndpointDeps {
  readonly settings: Settings
  readonly storage: CibaStorage
  readonly clients: ClientRegistry
  /** The imported key set (imported once, at start-up). */
  readonly keys: () => Promise<KeySet>
  readonly events: ProviderEventBus
  /** The discovery document (OIDC Discovery §3, CIBA §4). */
  readonly metadata: Readonly<Record<string, unknown>>
  /** Seals secrets before they are stored (notification tokens, pushed tokens). */
  readonly sealer: Sealer
  /** Client authentication for an endpoint (its accepted assertion audiences differ). */
  readonly clientAuth: (endpointUrl: string) => ClientAuthContext
}

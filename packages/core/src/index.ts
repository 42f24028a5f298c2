export { createProvider, type CibaProvider, type ProviderHandlers, type EndpointHandler } from './provider.js'
export {
  CIBA_GRANT_TYPE, DEFAULT_ROUTES,
  type ProviderConfig, type Routes, type UserResolver, type ResolvedUser, type RequestContext, type PolicyHooks,
  type ClientLookup, type HostClient, type SecretVerifier,
} from './config.js'
export type { ClientMetadata, TokenEndpointAuthMethod } from './clients/metadata.js'
export type { RegistrationConfig, InitialAccessTokenVerifier } from './clients/registration-config.js'
export type { Approval, Denial, DecisionResult } from './grant/decide.js'
export { ProviderEventBus, type ProviderEvents } from './events.js'
export * from './http/types.js'
export { handleNodeRequest, readBody, servedPath, stripPrefix, type NodeHandlerResult, type NodeHandlerTarget } from './http/node.js'
export { createFetchHandler, readFetchBody, toFetchResponse, type FetchHandler, type FetchHandlerOptions } from './http/fetch.js'
export { selectEndpoints, type EndpointKey } from './http/select-endpoints.js'
export { mergeDiscoveryMetadata, type DiscoveryDocument } from './endpoints/merge-metadata.js'
export * from './errors/oauth-error.js'
export { statusFor, type EndpointName } from './errors/to-response.js'
export type * from './storage/types.js'
export { MemoryStorage, type MemoryStorageOptions } from './storage/memory.js'
export type * from './notifier/types.js'
export type { Settings } from './settings.js'
export type { DeliveryOptions } from './delivery/options.js'
export type { DeliveryRunner, DeliveryRunSummary } from './delivery/worker.js'

import type { JWK } from 'jose'
import type { ClientAuthContext } from './client-auth/authenticate-client.js'
import { createAssertionVerifier, CLIENT_ASSERTION_ALGS } from './client-auth/jwt-assertion.js'
import { ClientKeys } from './clients/client-keys.js'
import { ClientMetadataError, ClientRegistry, compileClientSchema, normalizeClient, type Client, type ClientPolicy } from './clients/registry.js'
import type { ProviderConfig } from './config.js'
import { createBackchannelAuthenticationEndpoint } from './endpoints/backchannel-authentication.js'
import type { EndpointDeps } from './endpoints/deps.js'
import { createSealer, deriveSealingKeys } from './storage/sealing.js'
import { AUTH_METHODS, buildMetadata, createDiscoveryEndpoint } from './endpoints/discovery.js'
import { createJwksEndpoint } from './endpoints/jwks.js'
import { createRegistrationEndpoints } from './endpoints/registration.js'
import { createTokenEndpoint } from './endpoints/token.js'
import { createUserinfoEndpoint } from './endpoints/userinfo.js'
import { ConfigurationError } from './errors/oauth-error.js'
import { errorResponse, type EndpointName } from './errors/to-response.js'
import { ProviderEventBus, type ProviderEvents } from './events.js'
import { decide, type Approval, type Denial, type DecisionResult } from './grant/decide.js'
import { createDeliveryWorker, type DeliveryRunner } from './delivery/worker.js'
import { jsonResponse, type NeutralRequest, type NeutralResponse } from './http/types.js'
import { importKeySet, type KeySet } from './keys/signing-keys.js'
import { createRequestObjectReader } from './request/request-object.js'
import { resolveSettings, type Settings } from './settings.js'
import { MemoryStorage } from './storage/memory.js'
import type { CibaStorage } from './storage/types.js'

/** A request handler that has already turned every error into a response. */
export type EndpointHandler = (req: NeutralRequest) => Promise<NeutralResponse>

/** The provider's endpoints, one by one, for hosts that mount only some of them. */
export interface ProviderHandlers {
  readonly discovery: EndpointHandler
  readonly jwks: EndpointHandler
  readonly backchannelAuthentication: EndpointHandler
  /** Resolves `undefined` for a grant type ciba-kit does not own ("not mine": the host answers it). */
  readonly token: (req: NeutralRequest) => Promise<NeutralResponse | undefined>
  readonly userinfo: EndpointHandler
  /** RFC 7591 registration (`POST`); present when registration is enabled. */
  readonly registration?: EndpointHandler
  /** RFC 7592 client configuration endpoint (`GET`/`PUT`/`DELETE` on `registration_client_uri`); with registration. */
  readonly clientConfiguration?: EndpointHandler
}

/**
 * A CIBA OpenID Provider. Create with {@link createProvider}; mount with `@ciba-kit/express`,
 * `@ciba-kit/koa`, or call {@link CibaProvider.handle} from anything else.
 */
export interface CibaProvider {
  /** The discovery metadata (OIDC Discovery §3 + CIBA §4), to serve or to merge into a host's own. */
  readonly metadata: Readonly<Record<string, unknown>>
  readonly settings: Settings
  readonly storage: CibaStorage
  readonly handlers: ProviderHandlers
  /** The ping/push outbox worker (CIBA §10.2, §10.3); `runOnce()` for job runners and tests. */
  readonly deliveries: DeliveryRunner
  /** Request body limit for adapters that read bodies. */
  readonly bodyLimit: number
  /** Seconds an adapter waits for a request body (then `408`). */
  readonly bodyTimeout: number
  /** Does the provider serve this path (relative to its mount point)? */
  matches(path: string): boolean
  /** Routes a neutral request; `undefined` when it is not the provider's to answer. */
  handle(req: NeutralRequest): Promise<NeutralResponse | undefined>
  /** The public JWKS (RFC 7517), e.g. to merge into a host's own key set. */
  jwks(): Promise<{ readonly keys: readonly JWK[] }>
  /**
   * The user approved on their authentication device (CIBA Core §7.1): `pending -> approved`.
   * Resolves `{ ok: false, reason }` when the request is unknown, expired or already decided.
   */
  approve(authReqId: string, approval?: Approval): Promise<DecisionResult>
  /** The user denied (or the OP refuses): `pending -> denied`; the client gets `access_denied`. */
  deny(authReqId: string, denial?: Denial): Promise<DecisionResult>
  on<E extends keyof ProviderEvents>(event: E, listener: (payload: ProviderEvents[E]) => void): this
  off<E extends keyof ProviderEvents>(event: E, listener: (payload: ProviderEvents[E]) => void): this
  /** Resolves once keys are imported; rejects with the reason if a key is unusable. */
  ready(): Promise<void>
  /** Stops background work (delivery workers) and closes the storage it created. */
  close(): Promise<void>
}

/**
 * Creates a CIBA OpenID Provider. The configuration is validated here, synchronously: a mistake
 * is a {@link ConfigurationError} at start-up, not a failure on the first request.
 *
 * @see CIBA Core 1.0 §7 (backchannel authentication), §10 (token), OIDC Discovery §3
 * @example
 * const provider = createProvider({
 *   issuer: 'https://op.example.com',
 *   signingKeys: [privateJwk],
 *   clients: [{ client_id: 'pump-17', client_secret, backchannel_token_delivery_mode: 'poll' }],
 *   users: { findByLoginHint: (hint) => directory.find(hint), claims: (sub) => directory.claims(sub) },
 *   notifier: { notify: (notice) => push.send(notice) },
 * })
 */
export function createProvider(config: ProviderConfig): CibaProvider {
  const settings = resolveSettings(config)
  const ownsStorage = config.storage === undefined
  const storage = config.storage ?? new MemoryStorage({ clock: settings.clock })
  const events = new ProviderEventBus()
  for (const [event, listener] of Object.entries(config.on ?? {})) {
    if (listener !== undefined) events.on(event as keyof ProviderEvents, listener as (payload: unknown) => void)
  }

  const policy: ClientPolicy = {
    idTokenAlgs: settings.idTokenAlgs,
    requestObjectAlgs: settings.requestObjectAlgs,
    deliveryModes: settings.deliveryModes,
    allowHttpNotificationEndpoints: settings.allowHttpNotificationEndpoints,
  }
  const validateClient = compileClientSchema()
  const staticClients = new Map<string, Client>()
  for (const [index, metadata] of (config.clients ?? []).entries()) {
    try {
      const client = normalizeClient(metadata, policy, validateClient, 'static')
      if (staticClients.has(client.id)) throw new ConfigurationError(`clients[${index}]: duplicate client_id "${client.id}"`)
      staticClients.set(client.id, client)
    } catch (error) {
      if (error instanceof ClientMetadataError) throw new ConfigurationError(`clients[${index}]: ${error.message}`)
      throw error
    }
  }
  const clients = new ClientRegistry(staticClients, storage, policy, validateClient, config.clientLookup)

  const keysPromise = importKeySet(config.signingKeys)
  keysPromise.catch(() => {}) // surfaced by ready() and by the first request that needs keys
  const keys = (): Promise<KeySet> => keysPromise

  // Client keys (jwks / jwks_uri) for private_key_jwt and signed authentication requests (CIBA §7.1.1).
  const { fetch: jwksFetch, ...jwksOptions } = settings.clientJwks
  const clientKeys = new ClientKeys({ ...jwksOptions, ...(jwksFetch === undefined ? {} : { fetch: jwksFetch }), clock: settings.clock })
  const verifyAssertion = createAssertionVerifier({
    clock: settings.clock, clockSkew: settings.clockSkew, maxLifetime: settings.clientAssertionMaxLifetime, storage, clientKeys,
  })
  const readRequestObject = createRequestObjectReader({
    issuer: settings.issuer, clock: settings.clock, clockSkew: settings.clockSkew, maxLifetime: settings.requestObjectMaxLifetime,
    supportedAlgs: settings.requestObjectAlgs, storage, clientKeys,
  })

  const metadata = buildMetadata(settings, { registration: settings.registration !== undefined, authMethods: AUTH_METHODS, authSigningAlgs: CLIENT_ASSERTION_ALGS })
  const sealer = createSealer(config.sealingKeys ?? deriveSealingKeys(config.signingKeys))
  const deps: EndpointDeps = {
    settings,
    storage,
    sealer,
    clients,
    keys,
    events,
    metadata,
    clientAuth: (endpointUrl): ClientAuthContext => ({ clients, verifyAssertion, audience: [settings.issuer, endpointUrl, settings.urls.token] }),
  }

  const deliveries = createDeliveryWorker({ settings, storage, clients, events, sealer })
  if (settings.delivery.worker && settings.deliveryModes.some((mode) => mode !== 'poll')) deliveries.start()

  const report = (endpoint: EndpointName, error: unknown): void => events.emit('server_error', { endpoint, error })
  const guard = <R extends NeutralResponse | undefined>(endpoint: EndpointName, fn: (req: NeutralRequest) => Promise<R> | R) =>
    async (req: NeutralRequest): Promise<R | NeutralResponse> => {
      try {
        return await fn(req)
      } catch (error) {
        return errorResponse(endpoint, error, report)
      }
    }

  function registrationHandlers(): Pick<ProviderHandlers, 'registration' | 'clientConfiguration'> {
    if (settings.registration === undefined) return {}
    const endpoints = createRegistrationEndpoints(deps, settings.registration, policy, validateClient)
    return { registration: guard('registration', endpoints.register), clientConfiguration: guard('registration', endpoints.manage) }
  }
  const handlers: ProviderHandlers = {
    discovery: guard('discovery', createDiscoveryEndpoint(metadata)),
    jwks: guard('jwks', createJwksEndpoint(deps)),
    backchannelAuthentication: guard('backchannel_authentication', createBackchannelAuthenticationEndpoint(deps, readRequestObject)),
    token: guard('token', createTokenEndpoint(deps)),
    userinfo: guard('userinfo', createUserinfoEndpoint(deps)),
    ...registrationHandlers(),
  }

  // One route table: path -> (allowed methods, handler).
  const { routes } = settings
  const table = new Map<string, { readonly methods: readonly string[]; readonly handler: (req: NeutralRequest) => Promise<NeutralResponse | undefined> }>([
    [routes.discovery, { methods: ['GET', 'HEAD'], handler: handlers.discovery }],
    [routes.jwks, { methods: ['GET', 'HEAD'], handler: handlers.jwks }],
    [routes.backchannelAuthentication, { methods: ['POST'], handler: handlers.backchannelAuthentication }],
    [routes.token, { methods: ['POST'], handler: handlers.token }],
    [routes.userinfo, { methods: ['GET', 'POST'], handler: handlers.userinfo }],
  ])
  if (handlers.registration !== undefined) table.set(routes.registration, { methods: ['POST'], handler: handlers.registration })
  // RFC 7592 registration_client_uri: `{registration}/{client_id}`, the one route matched by prefix.
  const clientRoutePrefix = handlers.clientConfiguration === undefined ? undefined : `${routes.registration}/`
  const clientRoute = handlers.clientConfiguration === undefined ? undefined : { methods: ['GET', 'PUT', 'DELETE'], handler: handlers.clientConfiguration }
  const routeFor = (path: string) => table.get(path) ?? (clientRoutePrefix !== undefined && path.length > clientRoutePrefix.length && path.startsWith(clientRoutePrefix) ? clientRoute : undefined)

  const provider: CibaProvider = {
    metadata,
    settings,
    storage,
    handlers,
    deliveries,
    bodyLimit: settings.bodyLimit,
    bodyTimeout: settings.bodyTimeout,
    matches: (path) => routeFor(path) !== undefined,
    async handle(req) {
      const route = routeFor(req.path)
      if (route === undefined) return undefined
      if (!route.methods.includes(req.method)) {
        return jsonResponse(405, { error: 'invalid_request', error_description: `method ${req.method === 'HEAD' || /^[A-Z]{1,16}$/.test(req.method) ? req.method : ''} is not allowed` }, { allow: route.methods.join(', ') })
      }
      return route.handler(req)
    },
    jwks: async () => (await keysPromise).publicJwks,
    approve: (authReqId, approval) => decide(authReqId, { kind: 'approve', approval }, deps, deliveries.kick),
    deny: (authReqId, denial) => decide(authReqId, { kind: 'deny', denial }, deps, deliveries.kick),
    on(event, listener) {
      events.on(event, listener)
      return this
    },
    off(event, listener) {
      events.off(event, listener)
      return this
    },
    ready: async () => {
      await keysPromise
    },
    async close() {
      await deliveries.stop()
      if (ownsStorage) await storage.close?.()
    },
  }
  return provider
}


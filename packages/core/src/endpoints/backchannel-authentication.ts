import { authenticateClient } from '../client-auth/authenticate-client.js'
import type { Client } from '../clients/registry.js'
import { CIBA_GRANT_TYPE, type RequestContext, type ResolvedUser } from '../config.js'
import { InvalidUserCode, MissingUserCode, OAuthError } from '../errors/oauth-error.js'
import { jsonResponse, type NeutralRequest, type NeutralResponse } from '../http/types.js'
import { createAuthenticationRequestValidator, type AuthenticationRequest } from '../request/authentication-request.js'
import { validateBindingMessageDefault } from '../request/binding-message.js'
import { parseForm, type FormParams } from '../request/form.js'
import { resolveUser } from '../request/resolve-user.js'
import type { AuthRequestRecord } from '../storage/types.js'
import { expiryDelivery } from '../delivery/outbox.js'
import type { EndpointDeps } from './deps.js'
import { isThenable } from '../thenable.js'
import type { AuthenticationNotice } from '../notifier/types.js'

/** What a {@link RequestParamsReader} found: the parameters to validate, and a signed request's claims. */
export interface ReadRequest {
  readonly params: Readonly<Record<string, string>>
  /** The verified claims of a signed authentication request (CIBA §7.1.1), for hooks. */
  readonly requestObject?: Readonly<Record<string, unknown>>
}

/** Turns a raw form into the parameters to validate (e.g. unpacking a signed request object). */
export type RequestParamsReader = (form: FormParams, client: Client) => ReadRequest | Promise<ReadRequest>

/**
 * Parameters that are credentials: the client's own (RFC 6749 §2.3.1, RFC 7521 §4.2) and the bearer
 * token the OP will present to it (CIBA §7.1). The host's hooks never see them: they need none of
 * them, and a hook that logs its context must not log a secret.
 */
const CREDENTIALS = ['client_secret', 'client_assertion', 'client_assertion_type', 'client_notification_token'] as const

function withoutCredentials<T extends Readonly<Record<string, unknown>>>(params: T): T {
  let out: Record<string, unknown> | undefined
  for (const name of CREDENTIALS) {
    if (params[name] === undefined) continue
    out ??= { ...params }
    delete out[name]
  }
  return out === undefined ? params : (Object.freeze(out) as T)
}

/** The default reader: plain parameters only; a `request` object is refused unless a reader handles it. */
const plainParams: RequestParamsReader = (form, client) => {
  if (form['request'] !== undefined) {
    throw new OAuthError('invalid_request', { description: 'signed authentication requests are not enabled' })
  }
  // CIBA §7.1.1: a client registered for signed requests must send them.
  if (client.metadata.backchannel_authentication_request_signing_alg !== undefined) {
    throw new OAuthError('invalid_request', { description: 'this client must send a signed authentication request (request parameter)' })
  }
  return { params: form }
}

/**
 * `POST` backchannel authentication endpoint (CIBA Core §7): authenticate the client, validate
 * the request, resolve the user, persist a pending request, reach the user's device, answer
 * `{ auth_req_id, expires_in, interval }` (§7.3).
 */
export function createBackchannelAuthenticationEndpoint(deps: EndpointDeps, readParams: RequestParamsReader = plainParams) {
  const { settings, storage, events } = deps
  const validate = createAuthenticationRequestValidator(settings)
  const clientAuth = deps.clientAuth(settings.urls.backchannelAuthentication)

  return async function backchannelAuthentication(req: NeutralRequest): Promise<NeutralResponse> {
    const form = parseForm(req)
    const client = await authenticateClient(req, form, clientAuth)
    // CIBA §7.1 / §13: only clients registered for CIBA may use this endpoint.
    if (client.deliveryMode === undefined || (client.deliveryMode !== 'push' && !client.grantTypes.has(CIBA_GRANT_TYPE))) {
      throw new OAuthError('unauthorized_client', { description: 'client is not registered for CIBA' })
    }
    if (!settings.deliveryModes.includes(client.deliveryMode)) {
      throw new OAuthError('unauthorized_client', { description: `delivery mode ${client.deliveryMode} is not enabled` })
    }
    // Awaited only when the reader is asynchronous (a signed request): a hop less on the common path.
    const read = readParams(form, client)
    const { params, requestObject } = isThenable(read) ? await read : read
    const request = validate(params, client)
    const ctx: RequestContext = requestObject === undefined
      ? { client: client.metadataForHooks, params: withoutCredentials(request.params) }
      : { client: client.metadataForHooks, params: withoutCredentials(request.params), requestObject: withoutCredentials(requestObject) }
    const found = resolveUser(request.hint, ctx, { users: settings.users, issuer: settings.issuer, keys: deps.keys })
    const user = isThenable(found) ? await found : found
    const policy = applyPolicy(request, user, client, ctx, deps)
    if (policy !== undefined) await policy

    const record = await persist(request, user, client, deps)
    const notified = notify(record, client, deps)
    if (notified !== undefined) await notified
    // CIBA §10.2/§12: ping and push clients hear of an expiry too; due at expiresAt, dropped if decided first.
    if (record.deliveryMode !== 'poll') {
      const expiry = await expiryDelivery(record, client, deps)
      if (expiry !== undefined) await storage.enqueueDelivery(expiry)
    }
    events.emit('authentication_request.created', { authReqId: record.id, clientId: client.id, sub: user.sub })

    const body: Record<string, unknown> = { auth_req_id: record.id, expires_in: request.expiresIn }
    // CIBA §7.3: interval only for clients that poll the token endpoint (poll and ping).
    if (client.deliveryMode !== 'push') body.interval = record.interval
    return jsonResponse(200, body)
  }
}

/**
 * Binding message, user code and the integrator's own risk checks (CIBA Core §7.1). Synchronous
 * (`undefined`) when no hook or user code is involved; a promise otherwise.
 */
function applyPolicy(request: AuthenticationRequest, user: ResolvedUser, client: Client, ctx: RequestContext, deps: EndpointDeps): Promise<void> | undefined {
  const { hooks, userCodeSupported } = deps.settings
  const userCode = userCodeSupported && client.metadata.backchannel_user_code_parameter === true
  if (hooks.validateBindingMessage === undefined && !userCode && hooks.validateRequestContext === undefined) {
    if (request.bindingMessage !== undefined) validateBindingMessageDefault(request.bindingMessage)
    return undefined
  }
  return applyPolicyHooks(request, user, ctx, deps, userCode)
}

async function applyPolicyHooks(request: AuthenticationRequest, user: ResolvedUser, ctx: RequestContext, deps: EndpointDeps, userCode: boolean): Promise<void> {
  const { hooks } = deps.settings
  if (request.bindingMessage !== undefined) {
    if (hooks.validateBindingMessage !== undefined) await hooks.validateBindingMessage(request.bindingMessage, ctx)
    else validateBindingMessageDefault(request.bindingMessage)
  }
  if (userCode) {
    if (request.userCode === undefined) throw new MissingUserCode()
    if (hooks.verifyUserCode === undefined || !(await hooks.verifyUserCode(request.userCode, user, ctx))) throw new InvalidUserCode()
  }
  if (hooks.validateRequestContext !== undefined) await hooks.validateRequestContext({ ...ctx, user })
}

async function persist(request: AuthenticationRequest, user: ResolvedUser, client: Client, deps: EndpointDeps): Promise<AuthRequestRecord> {
  const { settings, storage } = deps
  // A secret the OP must send back later: stored sealed, never in the clear.
  const sealedToken = request.clientNotificationToken === undefined ? undefined : await deps.sealer.seal(request.clientNotificationToken)
  const now = settings.clock()
  // A 256-bit id collides only through a broken generator; one retry guards an injected one.
  for (let attempt = 0; attempt < 2; attempt++) {
    const record = pendingRecord(settings.generateId(), request, user, client, now, settings.interval, sealedToken)
    if (await storage.createAuthRequest(record, settings.expiredRetention)) return record
  }
  throw new Error('could not allocate a unique auth_req_id')
}

/** A new pending request, without members for absent values (storage copies what it keeps). */
function pendingRecord(
  id: string, request: AuthenticationRequest, user: ResolvedUser, client: Client, now: number, interval: number, sealedToken: string | undefined,
): AuthRequestRecord {
  const record: { -readonly [K in keyof AuthRequestRecord]: AuthRequestRecord[K] } = {
    id,
    clientId: client.id,
    status: 'pending',
    sub: user.sub,
    scope: request.scope.join(' '),
    deliveryMode: client.deliveryMode!,
    createdAt: now,
    expiresAt: now + request.expiresIn,
    interval,
  }
  if (request.acrValues !== undefined) record.acrValues = request.acrValues
  if (request.bindingMessage !== undefined) record.bindingMessage = request.bindingMessage
  if (sealedToken !== undefined) record.clientNotificationToken = sealedToken
  return record
}

/**
 * Reaches the user's device through the integrator's notifier. Synchronous (`undefined`) when the
 * notifier answers without a promise; a failure fails the request (see {@link notifyFailed}).
 */
function notify(record: AuthRequestRecord, client: Client, deps: EndpointDeps): Promise<void> | undefined {
  const notice: { -readonly [K in keyof AuthenticationNotice]: AuthenticationNotice[K] } = {
    authReqId: record.id,
    sub: record.sub,
    clientId: client.id,
    scope: record.scope.split(' '),
    deliveryMode: record.deliveryMode,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
  }
  if (typeof client.metadata.client_name === 'string') notice.clientName = client.metadata.client_name
  if (record.bindingMessage !== undefined) notice.bindingMessage = record.bindingMessage
  if (record.acrValues !== undefined) notice.acrValues = record.acrValues
  let result: unknown
  try {
    result = deps.settings.notifier.notify(notice)
  } catch (error) {
    return notifyFailed(record, deps, error)
  }
  if (!isThenable(result)) return undefined
  return Promise.resolve(result).then(
    () => undefined,
    (error: unknown) => notifyFailed(record, deps, error),
  )
}

async function notifyFailed(record: AuthRequestRecord, deps: EndpointDeps, error: unknown): Promise<never> {
  if (error instanceof OAuthError) {
    await deps.storage.transitionAuthRequest(record.id, ['pending'], { status: 'denied', denial: { error: 'transaction_failed' }, clientNotificationToken: undefined, updatedAt: deps.settings.clock() })
    throw error
  }
  // The user was never reached: fail the request so nobody waits for it, and tell the client to retry.
  deps.events.emit('notifier_error', { authReqId: record.id, error })
  await deps.storage.transitionAuthRequest(record.id, ['pending'], {
    status: 'denied',
    denial: { error: 'transaction_failed', description: 'the authentication device could not be reached' },
    clientNotificationToken: undefined, // the client got an error response: nothing will be sent
    updatedAt: deps.settings.clock(),
  })
  throw new OAuthError('temporarily_unavailable', { description: 'the user\'s authentication device could not be reached, retry later', headers: { 'retry-after': '5' } })
}

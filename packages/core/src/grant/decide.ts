import { CIBA_GRANT_TYPE } from '../config.js'
import { expiryDeliveryId, planDecisionDelivery } from '../delivery/outbox.js'
import type { EndpointDeps } from '../endpoints/deps.js'
import type { ApprovalRecord, DenialRecord } from '../storage/types.js'
import { effectiveStatus, sourcesOf } from './transitions.js'

/** What the user's authentication established (OIDC Core §2). All optional. */
export interface Approval {
  /** Must equal the user the request named, when given. */
  readonly sub?: string
  /** Epoch seconds of the authentication; default: now. */
  readonly authTime?: number
  readonly acr?: string
  readonly amr?: readonly string[]
  /** Extra claims for the ID token. */
  readonly claims?: Readonly<Record<string, unknown>>
}

/** Why the request was refused; default `access_denied`. */
export interface Denial {
  readonly error?: 'access_denied' | 'transaction_failed'
  readonly description?: string
}

/** Outcome of `provider.approve()` / `provider.deny()`. */
export type DecisionResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'already_decided' }

type Decision = { readonly kind: 'approve'; readonly approval: Approval | undefined } | { readonly kind: 'deny'; readonly denial: Denial | undefined }

/**
 * Applies the user's decision as one atomic `pending -> approved | denied` transition: of
 * concurrent decisions (or a decision racing expiry) exactly one wins; the others see
 * `already_decided` or `expired`. For ping and push clients the notification is enqueued in that
 * same transition (CIBA §10.2, §10.3); `onEnqueued` then wakes the delivery worker. Never waits
 * for the client.
 */
export async function decide(authReqId: string, decision: Decision, deps: EndpointDeps, onEnqueued?: () => void): Promise<DecisionResult> {
  const { storage, settings, events } = deps
  if (typeof authReqId !== 'string' || authReqId === '' || authReqId.length > 512) return { ok: false, reason: 'unknown' }
  const record = await storage.getAuthRequest(authReqId)
  const now = settings.clock()
  if (record === undefined) return { ok: false, reason: 'unknown' }
  // A deleted client's requests die with it (RFC 7592 §2.3): nothing may be approved for it.
  if ((await deps.clients.find(record.clientId)) === undefined) return { ok: false, reason: 'unknown' }
  const status = effectiveStatus(record.status, record.expiresAt, now)
  if (status === 'expired') return { ok: false, reason: 'expired' }
  if (status !== 'pending') return { ok: false, reason: 'already_decided' }

  if (decision.kind === 'approve') {
    const given = decision.approval
    if (given?.sub !== undefined && given.sub !== record.sub) {
      throw new TypeError('approve(): the approving user is not the user the request names')
    }
    const approval: ApprovalRecord = {
      sub: record.sub,
      authTime: given?.authTime ?? now,
      ...(given?.acr === undefined ? {} : { acr: given.acr }),
      ...(given?.amr === undefined ? {} : { amr: [...given.amr] }),
      ...(given?.claims === undefined ? {} : { claims: { ...given.claims } }),
    }
    const plan = await planDecisionDelivery(record, { approval }, now, deps)
    const next = await storage.transitionAuthRequest(
      authReqId, plan?.from ?? sourcesOf('approved'), { status: plan?.status ?? 'approved', approval, updatedAt: now, ...plan?.patch }, plan?.effects,
    )
    if (next === undefined) return { ok: false, reason: 'already_decided' }
    events.emit('authentication_request.approved', { authReqId, clientId: record.clientId })
    if (plan?.tokensIssued === true) events.emit('tokens.issued', { grantId: authReqId, clientId: record.clientId, grantType: CIBA_GRANT_TYPE })
    if (plan !== undefined) await enqueued(authReqId, deps, onEnqueued)
    return { ok: true }
  }
  const denial: DenialRecord = {
    error: decision.denial?.error ?? 'access_denied',
    ...(decision.denial?.description === undefined ? {} : { description: decision.denial.description }),
  }
  const plan = await planDecisionDelivery(record, { denial }, now, deps)
  const next = await storage.transitionAuthRequest(
    authReqId, plan?.from ?? sourcesOf('denied'), { status: 'denied', denial, updatedAt: now, ...plan?.patch }, plan?.effects,
  )
  if (next === undefined) return { ok: false, reason: 'already_decided' }
  events.emit('authentication_request.denied', { authReqId, clientId: record.clientId, error: denial.error })
  if (plan !== undefined) await enqueued(authReqId, deps, onEnqueued)
  return { ok: true }
}

/** After a decision's notification is enqueued: wake the worker, drop the now-useless expiry notification. */
async function enqueued(authReqId: string, deps: EndpointDeps, onEnqueued: (() => void) | undefined): Promise<void> {
  onEnqueued?.()
  try {
    await deps.storage.removeDelivery(expiryDeliveryId(authReqId))
  } catch (error) {
    // Harmless if it stays: the worker drops an expiry notification of a decided request.
    deps.events.emit('server_error', { endpoint: 'delivery', error })
  }
}

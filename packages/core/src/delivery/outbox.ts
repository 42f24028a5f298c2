import type { Client } from '../clients/registry.js'
import type { EndpointDeps } from '../endpoints/deps.js'
import type { ApprovalRecord, AuthRequestPatch, AuthRequestRecord, AuthRequestStatus, DeliveryRecord, DenialRecord, TransitionEffects } from '../storage/types.js'
import { tokenId } from '../tokens/hashes.js'
import { mintTokens, type GrantFacts } from '../tokens/mint.js'
import { pingPayload } from './ping.js'
import { pushErrorPayload, pushTokenPayload } from './push.js'

/** The id of a request's expiry notification: derived, so a decision can remove it. */
export function expiryDeliveryId(authReqId: string): string {
  return tokenId(`expiry ${authReqId}`)
}

/** A delivery record; the payload is sealed here (the request's notification token already is). */
async function delivery(
  id: string,
  kind: DeliveryRecord['kind'],
  record: AuthRequestRecord,
  endpoint: string,
  payload: string,
  dueAt: number,
  deps: Pick<EndpointDeps, 'settings' | 'sealer'>,
): Promise<DeliveryRecord> {
  const { settings } = deps
  return {
    id,
    authReqId: record.id,
    clientId: record.clientId,
    kind,
    endpoint,
    notificationToken: record.clientNotificationToken!,
    payload: await deps.sealer.seal(payload),
    attempts: 0,
    nextAttemptAt: dueAt,
    createdAt: dueAt,
    deadline: dueAt + settings.delivery.maxTotalSeconds,
  }
}

/**
 * The notification sent when a ping or push request expires undecided (CIBA §12 `expired_token`
 * for push; a ping for ping, which the spec allows). Enqueued when the request is created, due at
 * `expiresAt`; the worker drops it if the request was decided by then.
 */
export async function expiryDelivery(record: AuthRequestRecord, client: Client, deps: Pick<EndpointDeps, 'settings' | 'sealer'>): Promise<DeliveryRecord | undefined> {
  const endpoint = client.metadata.backchannel_client_notification_endpoint
  if (record.deliveryMode === 'poll' || endpoint === undefined || record.clientNotificationToken === undefined) return undefined
  const payload = record.deliveryMode === 'ping'
    ? pingPayload(record.id)
    : pushErrorPayload(record.id, { error: 'expired_token' })
  return delivery(expiryDeliveryId(record.id), 'expiry', record, endpoint, payload, record.expiresAt, deps)
}

/** How a decision is stored when the client must be notified. */
export interface DecisionPlan {
  readonly from: readonly AuthRequestStatus[]
  readonly status: AuthRequestStatus
  readonly patch: AuthRequestPatch
  readonly effects: TransitionEffects
  /** Push approval: the tokens are issued (and stored) in the same step. */
  readonly tokensIssued: boolean
}

/**
 * Plans the notification of a decision on a ping or push request (CIBA §10.2, §10.3): the
 * delivery is enqueued in the same atomic transition as the decision, and the
 * `client_notification_token` moves from the request to the delivery. A push approval issues the
 * tokens right away (`pending -> consumed`), so the push carries them. `undefined` for poll.
 */
export async function planDecisionDelivery(
  record: AuthRequestRecord,
  decision: { readonly approval: ApprovalRecord } | { readonly denial: DenialRecord },
  now: number,
  deps: EndpointDeps,
): Promise<DecisionPlan | undefined> {
  if (record.deliveryMode === 'poll' || record.clientNotificationToken === undefined) return undefined
  const client = await deps.clients.find(record.clientId)
  const endpoint = client?.metadata.backchannel_client_notification_endpoint
  if (client === undefined || endpoint === undefined) return undefined
  const { settings } = deps
  const dueAt = settings.delivery.clock()
  const patch = { clientNotificationToken: undefined }
  const id = settings.generateId()

  if ('denial' in decision) {
    const payload = record.deliveryMode === 'ping' ? pingPayload(record.id) : pushErrorPayload(record.id, decision.denial)
    const effects = { delivery: await delivery(id, record.deliveryMode, record, endpoint, payload, dueAt, deps) }
    return { from: ['pending'], status: 'denied', patch, effects, tokensIssued: false }
  }
  if (record.deliveryMode === 'ping') {
    const effects = { delivery: await delivery(id, 'ping', record, endpoint, pingPayload(record.id), dueAt, deps) }
    return { from: ['pending'], status: 'approved', patch, effects, tokensIssued: false }
  }
  const { approval } = decision
  const facts: GrantFacts = {
    grantId: record.id,
    clientId: client.id,
    sub: approval.sub,
    scope: record.scope,
    authTime: approval.authTime,
    acr: approval.acr,
    amr: approval.amr,
  }
  const minted = mintTokens(facts, client.grantTypes.has('refresh_token'), now, settings)
  const payload = await pushTokenPayload(record.id, facts, minted, client, approval, now, deps)
  return {
    // CIBA §10.3: in push mode the approval *is* the redemption; the tokens exist once, in the push.
    from: ['pending'],
    status: 'consumed',
    patch,
    effects: { tokens: minted.records, delivery: await delivery(id, 'push', record, endpoint, payload, dueAt, deps) },
    tokensIssued: true,
  }
}

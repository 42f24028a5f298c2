import type { CibaProvider, DecisionResult, Notifier } from '@ciba-kit/core'

/** Your push service (FCM, APNs, an SMS gateway...). */
export type SendPush = (sub: string, message: { title: string; body: string; authReqId: string; expiresAt: number }) => Promise<void>

/** Reaches the user's authentication device once per backchannel authentication request. */
export function createPushNotifier(send: SendPush): Notifier {
  return {
    async notify(notice) {
      await send(notice.sub, {
        title: `${notice.clientName ?? notice.clientId} asks you to confirm`,
        body: notice.bindingMessage ?? notice.scope.join(', '),
        authReqId: notice.authReqId,
        expiresAt: notice.expiresAt,
      })
    },
  }
}

/** Called by your device app's backend once it has authenticated the user on the device. */
export function onDeviceAnswer(provider: CibaProvider, answer: { authReqId: string; sub: string; approved: boolean }): Promise<DecisionResult> {
  if (!answer.approved) return provider.deny(answer.authReqId)
  return provider.approve(answer.authReqId, {
    sub: answer.sub, // must be the user the request named
    authTime: Math.floor(Date.now() / 1000),
    acr: 'urn:example:loa:2',
    amr: ['hwk', 'face'],
  })
}

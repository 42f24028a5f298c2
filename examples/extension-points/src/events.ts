import type { CibaProvider } from '@ciba-kit/core'

/** Your logger and metrics. Event payloads never carry secrets or token values. */
export interface Telemetry {
  error(message: string, fields: Record<string, unknown>): void
  count(metric: string, labels: Record<string, string>): void
}

export function observe(provider: CibaProvider, telemetry: Telemetry): void {
  provider
    .on('server_error', ({ endpoint, error }) => telemetry.error('ciba server_error', { endpoint, error }))
    .on('notifier_error', ({ authReqId, error }) => telemetry.error('device unreachable', { authReqId, error }))
    .on('authentication_request.created', ({ clientId }) => telemetry.count('ciba_requests', { clientId }))
    .on('authentication_request.denied', ({ clientId, error }) => telemetry.count('ciba_denied', { clientId, error }))
    .on('tokens.issued', ({ clientId, grantType }) => telemetry.count('tokens_issued', { clientId, grantType }))
    .on('refresh_token.reused', ({ clientId }) => telemetry.count('refresh_token_reuse', { clientId }))
    .on('delivery.failed', ({ clientId, kind, reason }) => telemetry.error('notification not delivered', { clientId, kind, reason }))
}

/** Back-off parameters, in milliseconds. */
export interface Backoff {
  readonly baseMs: number
  readonly maxMs: number
}

/**
 * Delay before the attempt that follows attempt number `attempt` (1-based): exponential
 * (`baseMs · 2^(attempt-1)`, capped at `maxMs`) with "equal jitter" — half fixed, half random —
 * so retries of many clients spread out while each delay still grows. A `Retry-After` from the
 * client raises the delay, up to `maxMs`.
 */
export function backoffDelayMs(attempt: number, backoff: Backoff, random: () => number, retryAfterMs?: number): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 30))
  const jittered = exponential / 2 + random() * (exponential / 2)
  return retryAfterMs === undefined ? jittered : Math.min(backoff.maxMs, Math.max(jittered, retryAfterMs))
}

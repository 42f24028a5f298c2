/** How the testkit makes time pass for the storage under test. */
export type TimeMode = 'virtual' | 'real'

/**
 * The clock the testkit hands to the storage factory, and the way tests let time pass.
 *
 * - `virtual`: a manual clock (epoch seconds); `passUntil` moves it instantly. The storage must
 *   take every expiry decision from the clock it was given.
 * - `real`: the system clock; `passUntil` sleeps. For backends with server-side TTLs (Redis). The
 *   expiry tests use TTLs of a few hundred milliseconds, so `expiresAt` values are fractional and
 *   the backend must honour millisecond precision.
 */
export interface TestTime {
  readonly mode: TimeMode
  /** Current time, epoch seconds (may be fractional). */
  readonly clock: () => number
  /** Lets time pass until `clock() >= at`. */
  passUntil(at: number): Promise<void>
}

/** Creates the time source for one test. */
export function createTestTime(mode: TimeMode): TestTime {
  if (mode === 'real') {
    const clock = (): number => Date.now() / 1000
    return {
      mode,
      clock,
      async passUntil(at) {
        for (;;) {
          const wait = Math.ceil((at - clock()) * 1000)
          if (wait <= 0) return
          await new Promise((resolve) => setTimeout(resolve, wait))
        }
      },
    }
  }
  // Start at a realistic time so adapters that convert to absolute dates behave as in production.
  let now = Math.floor(Date.now() / 1000)
  return {
    mode,
    clock: () => now,
    async passUntil(at) {
      if (at > now) now = at
    },
  }
}

/**
 * Is `value` a promise (or any thenable) rather than a plain value? Integrator hooks may answer
 * either way; the request path awaits only the ones that are asynchronous.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

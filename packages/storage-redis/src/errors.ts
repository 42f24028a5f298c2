import { StorageUnavailableError } from '@ciba-kit/core'

/**
 * Any failure of a Redis command (connection refused or closed, offline queue disabled, command
 * timeout, LOADING/READONLY/OOM replies...) means the storage could not answer: it becomes a
 * `StorageUnavailableError` (the OP answers 503 temporarily_unavailable). What the original error
 * says (name, message, code) is kept as `cause` for logs; its text is not repeated in the message.
 * The original itself is not kept: ioredis attaches the failed command with its arguments
 * (`error.command.args`), and those hold what was being stored: a client's secret, a sealed push
 * payload.
 */
export function unavailable(error: unknown): StorageUnavailableError {
  if (error instanceof StorageUnavailableError) return error
  const kind = error instanceof Error ? error.name : 'unknown error'
  return new StorageUnavailableError(`redis storage unavailable (${kind})`, { cause: describe(error) })
}

/** A new error with only the name, message and code of `error` (and of its own cause). */
function describe(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined
  const cause = describe(error.cause)
  const out = new Error(error.message, cause === undefined ? undefined : { cause })
  out.name = error.name
  const { code } = error as { code?: unknown }
  if (typeof code === 'string' || typeof code === 'number') Object.assign(out, { code })
  return out
}

import { StorageUnavailableError } from '@ciba-kit/core'

/**
 * Any failure of a Redis command (connection refused or closed, offline queue disabled, command
 * timeout, LOADING/READONLY/OOM replies...) means the storage could not answer: it becomes a
 * `StorageUnavailableError` (the OP answers 503 temporarily_unavailable). The original error is
 * kept as `cause` for logs; its text is not repeated in the message.
 */
export function unavailable(error: unknown): StorageUnavailableError {
  if (error instanceof StorageUnavailableError) return error
  const kind = error instanceof Error ? error.name : 'unknown error'
  return new StorageUnavailableError(`redis storage unavailable (${kind})`, { cause: error })
}

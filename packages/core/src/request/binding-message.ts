import { InvalidBindingMessage } from '../errors/oauth-error.js'

/** Longest binding message the default policy accepts (characters). */
export const BINDING_MESSAGE_MAX = 100

// Letters, marks, numbers, punctuation, symbols and plain spaces: what an authentication device
// can display on one or two lines. No control characters, no line breaks, no format characters.
const DISPLAYABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u

/**
 * The default `binding_message` policy (CIBA Core §7.1: "relatively short and use a limited set of
 * plain text characters"). Replace it with the `validateBindingMessage` hook.
 * @throws InvalidBindingMessage
 */
export function validateBindingMessageDefault(message: string): void {
  const length = [...message].length
  if (length > BINDING_MESSAGE_MAX) {
    throw new InvalidBindingMessage(`binding_message must be at most ${BINDING_MESSAGE_MAX} characters`)
  }
  if (!DISPLAYABLE.test(message) || message.trim() !== message) {
    throw new InvalidBindingMessage('binding_message must be plain displayable text without control characters or surrounding spaces')
  }
}

import { createHash, timingSafeEqual } from 'node:crypto'
import { AccessDenied, InvalidBindingMessage, type PolicyHooks } from '@ciba-kit/core'

const pinHashes = new Map<string, Buffer>([['u-1', sha256('4711')]]) // user_code per user, hashed
const frozenAccounts = new Set<string>(['u-666'])

export const hooks: PolicyHooks = {
  // Replaces the default binding_message policy (plain text, at most 100 characters).
  validateBindingMessage(message) {
    if (!/^[A-Z0-9 -]{1,20}$/.test(message)) throw new InvalidBindingMessage('use at most 20 capitals, digits, spaces or dashes')
  },
  // With `userCodeSupported: true` and a client registered with backchannel_user_code_parameter.
  verifyUserCode(userCode, user) {
    const expected = pinHashes.get(user.sub)
    return expected !== undefined && timingSafeEqual(sha256(userCode), expected)
  },
  // Any other risk decision, after the user is known; throw any CIBA §13 error.
  validateRequestContext({ user, client }) {
    if (frozenAccounts.has(user.sub)) throw new AccessDenied(`the account cannot be used by ${client.client_id}`)
  },
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

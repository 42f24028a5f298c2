import { ExpiredLoginHintToken, type UserResolver } from '@ciba-kit/core'

interface Person { readonly sub: string; readonly email: string; readonly phone: string; readonly name: string }
const people: readonly Person[] = [{ sub: 'u-1', email: 'alice@example.com', phone: '+15550001', name: 'Alice Adams' }]

export const users: UserResolver = {
  // login_hint: an e-mail address or a phone number here; undefined -> unknown_user_id.
  findByLoginHint: (hint) => {
    const person = people.find((p) => p.email === hint.toLowerCase() || p.phone === hint)
    return person === undefined ? undefined : { sub: person.sub }
  },
  // login_hint_token: whatever your deployment issues; here "<sub>.<expiry>" for brevity.
  findByLoginHintToken: (token) => {
    const [sub, expiry] = token.split('.')
    if (Number(expiry) < Date.now() / 1000) throw new ExpiredLoginHintToken()
    return people.some((p) => p.sub === sub) ? { sub: sub! } : undefined
  },
  // Claims for userinfo, by granted scope; `sub` is always set by ciba-kit.
  claims: (sub, scope) => {
    const person = people.find((p) => p.sub === sub)
    if (person === undefined) return {}
    return {
      ...(scope.includes('profile') ? { name: person.name } : {}),
      ...(scope.includes('email') ? { email: person.email, email_verified: true } : {}),
    }
  },
}

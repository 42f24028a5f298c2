// The integration guide's minimal examples are real code: this test runs them together in one
// provider, and checks that every snippet quoted in docs/ is the file it names, character for character.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, scryptSync } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { exportJWK, generateKeyPair } from 'jose'
import { createProvider, type NeutralRequest } from '@ciba-kit/core'
import { createClientLookup, type ClientRow } from '../src/client-lookup.js'
import { observe } from '../src/events.js'
import { createPushNotifier, onDeviceAnswer, type SendPush } from '../src/notifier.js'
import { hooks } from '../src/policy-hooks.js'
import { chooseStorage } from '../src/storage.js'
import { users } from '../src/user-resolver.js'

const root = new URL('../../../', import.meta.url)
const CIBA = 'urn:openid:params:grant-type:ciba'
const salt = randomBytes(16)
const row: ClientRow = { id: 'teller', name: 'Teller', salt, secretHash: scryptSync('teller-secret', salt, 32), ciba: true }
const auth = 'Basic ' + Buffer.from('teller:teller-secret').toString('base64')
const form = (path: string, params: Record<string, string>): NeutralRequest => ({
  method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: new URLSearchParams(params).toString(),
})

describe('the integration guide examples', () => {
  it('work together in one provider', async () => {
    const pushes: Parameters<SendPush>[] = []
    const counted: string[] = []
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const provider = createProvider({
      issuer: 'https://op.example.com',
      signingKeys: [await exportJWK(privateKey)],
      storage: await chooseStorage(undefined),
      users,
      notifier: createPushNotifier(async (...args) => void pushes.push(args)),
      clientLookup: createClientLookup(async (id) => (id === row.id ? row : undefined)),
      hooks,
    })
    observe(provider, { error: () => {}, count: (metric) => void counted.push(metric) })

    const bc = await provider.handlers.backchannelAuthentication(form('/backchannel-authentication', { scope: 'openid email', login_hint: 'alice@example.com', binding_message: 'PUMP 4' }))
    assert.equal(bc.status, 200, bc.body)
    const { auth_req_id: id } = JSON.parse(bc.body!) as { auth_req_id: string }
    assert.deepEqual(pushes.map(([sub, m]) => [sub, m.title, m.body, m.authReqId]), [['u-1', 'Teller asks you to confirm', 'PUMP 4', id]])
    assert.equal((await onDeviceAnswer(provider, { authReqId: id, sub: 'u-1', approved: true })).ok, true)
    const token = await provider.handlers.token(form('/token', { grant_type: CIBA, auth_req_id: id }))
    assert.equal(token?.status, 200, token?.body)
    const { access_token: accessToken } = JSON.parse(token!.body!) as { access_token: string }
    const info = await provider.handlers.userinfo({ method: 'GET', path: '/userinfo', headers: { authorization: `Bearer ${accessToken}` } })
    assert.deepEqual(JSON.parse(info.body!), { email: 'alice@example.com', email_verified: true, sub: 'u-1' })
    assert.deepEqual(counted, ['ciba_requests', 'tokens_issued'])

    const error = async (params: Record<string, string>) =>
      (JSON.parse((await provider.handlers.backchannelAuthentication(form('/backchannel-authentication', { scope: 'openid', ...params }))).body!) as { error?: string }).error
    assert.equal(await error({ login_hint: 'alice@example.com', binding_message: 'pump 4' }), 'invalid_binding_message')
    assert.equal(await error({ login_hint: 'nobody@example.com' }), 'unknown_user_id')
    assert.equal(await error({ login_hint_token: `u-1.${Math.floor(Date.now() / 1000) + 60}` }), undefined)
    assert.equal(await error({ login_hint_token: 'u-1.1000' }), 'expired_login_hint_token')
    const denied = await onDeviceAnswer(provider, { authReqId: id, sub: 'u-1', approved: false })
    assert.equal(denied.ok, false) // already decided
    await provider.close()
  })

  it('have policy hooks that decide as documented', async () => {
    const ctx = { client: { client_id: 'teller' }, params: {} }
    assert.equal(await hooks.verifyUserCode!('4711', { sub: 'u-1' }, ctx), true)
    assert.equal(await hooks.verifyUserCode!('0000', { sub: 'u-1' }, ctx), false)
    assert.equal(await hooks.verifyUserCode!('4711', { sub: 'u-2' }, ctx), false)
    assert.throws(() => hooks.validateRequestContext!({ ...ctx, user: { sub: 'u-666' } }), { error: 'access_denied' })
  })

  it('are quoted verbatim in docs/', () => {
    const docs = new URL('docs/', root)
    let quoted = 0
    for (const name of readdirSync(docs).filter((n) => n.endsWith('.md'))) {
      const text = readFileSync(new URL(name, docs), 'utf8')
      for (const match of text.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)```\n/g)) {
        assert.equal(match[2], readFileSync(new URL(match[1]!, root), 'utf8'), `${name} quotes ${match[1]} out of date`)
        quoted++
      }
    }
    assert.ok(quoted >= 6, `only ${quoted} snippets found`)
  })
})

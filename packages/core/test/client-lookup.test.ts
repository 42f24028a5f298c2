// The host's client registry hook (`clientLookup`): precedence between static, host and registered
// clients; hashed secrets through `verifySecret`; broken host metadata is a loud integration fault.
// Calls the provider's handlers directly (no server).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import {
  createProvider, MemoryStorage, type ClientLookup, type HostClient, type NeutralRequest, type ProviderConfig,
} from '@ciba-kit/core'

const CIBA = 'urn:openid:params:grant-type:ciba'
const { privateKey } = await generateKeyPair('RS256', { extractable: true })
const rsa = { ...(await exportJWK(privateKey)), kid: 'k1' }

/** What a host keeps: salt and scrypt hash, never the secret. */
function hashSecret(secret: string): { salt: Buffer; hash: Buffer } {
  const salt = randomBytes(16)
  return { salt, hash: scryptSync(secret, salt, 32) }
}
function verifier(stored: { salt: Buffer; hash: Buffer }, calls: string[] = []) {
  return (secret: string): boolean => {
    calls.push('verify')
    return timingSafeEqual(scryptSync(secret, stored.salt, 32), stored.hash)
  }
}

const form = (path: string, params: Record<string, string>, auth?: string): NeutralRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === undefined ? {} : { authorization: auth }) },
  body: new URLSearchParams(params).toString(),
})
const basic = (id: string, secret: string) => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64')
const bcParams = { scope: 'openid', login_hint: 'alice' }

function provider(clientLookup: ClientLookup, extra: Partial<ProviderConfig> = {}) {
  return createProvider({
    issuer: 'https://op.example.com',
    signingKeys: [rsa],
    users: { findByLoginHint: (hint) => (hint === 'alice' ? { sub: 'alice' } : undefined), claims: () => ({}) },
    notifier: { notify() {} },
    clientLookup,
    ...extra,
  })
}

async function json(res: Promise<{ status: number; body?: string | undefined } | undefined>) {
  const r = await res
  assert.ok(r !== undefined)
  return { status: r.status, body: JSON.parse(r.body ?? '{}') as Record<string, unknown> }
}

describe('clientLookup', () => {
  const stored = hashSecret('teller-secret')

  it('authenticates a host client by its hashed secret (basic and post) and runs the poll flow', async () => {
    const calls: string[] = []
    const table = new Map<string, HostClient>([
      ['teller', { client_id: 'teller', verifySecret: verifier(stored, calls), grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' }],
      ['kiosk', { client_id: 'kiosk', verifySecret: verifier(stored, calls), token_endpoint_auth_method: 'client_secret_post', grant_types: [CIBA] }],
    ])
    const p = provider({ find: (id) => table.get(id) })
    const ok = await json(p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('teller', 'teller-secret'))))
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    const wrong = await json(p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('teller', 'teller-secreT'))))
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error, 'invalid_client')
    const post = await json(p.handlers.backchannelAuthentication(form('/backchannel-authentication', { ...bcParams, client_id: 'kiosk', client_secret: 'teller-secret' })))
    assert.equal(post.status, 200)
    // Registered for post, presenting basic: refused before any hash is computed.
    const before = calls.length
    const mismatch = await json(p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('kiosk', 'teller-secret'))))
    assert.equal(mismatch.status, 401)
    assert.equal(calls.length, before)

    await p.approve(ok.body.auth_req_id as string, { sub: 'alice' })
    const tokens = await json(p.handlers.token(form('/token', { grant_type: CIBA, auth_req_id: ok.body.auth_req_id as string }, basic('teller', 'teller-secret'))))
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    const info = await json(p.handlers.userinfo({ method: 'GET', path: '/userinfo', headers: { authorization: `Bearer ${tokens.body.access_token as string}` } }))
    assert.equal(info.status, 200)
    assert.equal(info.body.sub, 'alice')
    // The host removes the client: its access token stops working too.
    table.delete('teller')
    const gone = await p.handlers.userinfo({ method: 'GET', path: '/userinfo', headers: { authorization: `Bearer ${tokens.body.access_token as string}` } })
    assert.equal(gone.status, 401)
  })

  it('accepts only a literal true from verifySecret, sync or async', async () => {
    const answers: unknown[] = ['yes', 1, Promise.resolve('true'), false]
    for (const answer of answers) {
      const p = provider({ find: (id) => ({ client_id: id, verifySecret: () => answer as boolean, grant_types: [CIBA] }) })
      const res = await json(p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('x', 'y'))))
      assert.equal(res.status, 401, String(answer))
    }
    const p = provider({ find: (id) => ({ client_id: id, verifySecret: async () => true, grant_types: [CIBA] }) })
    assert.equal((await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('x', 'y')))).status, 200)
  })

  it('takes a plaintext client_secret from the host as well', async () => {
    const p = provider({ find: (id) => (id === 'plain' ? { client_id: 'plain', client_secret: 's3cret', grant_types: [CIBA] } : undefined) })
    assert.equal((await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('plain', 's3cret')))).status, 200)
    assert.equal((await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('plain', 's3creT')))).status, 401)
    assert.equal((await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('nobody', 's3cret')))).status, 401)
  })

  it('looks in static clients, then the hook, then registered clients', async () => {
    const storage = new MemoryStorage()
    await storage.createClient({ clientId: 'shared', metadata: { client_id: 'shared', grant_types: [CIBA] }, clientSecret: 'registered-secret', createdAt: 0 })
    await storage.createClient({ clientId: 'self-registered', metadata: { client_id: 'self-registered', grant_types: [CIBA] }, clientSecret: 'registered-secret', createdAt: 0 })
    const asked: string[] = []
    const p = provider({
      find(id) {
        asked.push(id)
        if (id === 'static' || id === 'shared') return { client_id: id, client_secret: 'host-secret', grant_types: [CIBA] }
        return undefined
      },
    }, { storage, clients: [{ client_id: 'static', client_secret: 'static-secret', grant_types: [CIBA] }] })
    const status = async (id: string, secret: string) =>
      (await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic(id, secret)))).status
    assert.equal(await status('static', 'static-secret'), 200)
    assert.equal(await status('static', 'host-secret'), 401)
    assert.deepEqual(asked, []) // a static client never reaches the hook
    assert.equal(await status('shared', 'host-secret'), 200) // the host's client wins over a registration
    assert.equal(await status('shared', 'registered-secret'), 401)
    assert.equal(await status('self-registered', 'registered-secret'), 200) // the hook said "none": storage answers
    assert.deepEqual(asked, ['shared', 'shared', 'self-registered'])
    await p.close()
    await storage.close?.()
  })

  it('never hands the hook an over-long client_id', async () => {
    const asked: string[] = []
    const p = provider({ find: (id) => void asked.push(id) })
    const res = await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('c'.repeat(256), 'x')))
    assert.equal(res.status, 401)
    assert.deepEqual(asked, [])
  })

  it('answers broken host metadata as server_error, reported and without secrets', async () => {
    const broken: Array<[string, HostClient | (() => never)]> = [
      ['a different client_id', { client_id: 'other', client_secret: 'top-secret-1', grant_types: [CIBA] }],
      ['both a secret and a verifier', { client_id: 'x', client_secret: 'top-secret-1', verifySecret: () => true, grant_types: [CIBA] }],
      ['a verifier for client_secret_jwt', { client_id: 'x', token_endpoint_auth_method: 'client_secret_jwt', verifySecret: () => true, grant_types: [CIBA] }],
      ['an unknown delivery mode', { client_id: 'x', client_secret: 'top-secret-1', backchannel_token_delivery_mode: 'carrier-pigeon' as 'poll' }],
      ['a delivery mode that is not enabled', { client_id: 'x', client_secret: 'top-secret-1', backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://c.example/cb' }],
      ['a hook that throws', () => { throw new Error('database down') }],
    ]
    for (const [name, answer] of broken) {
      const errors: unknown[] = []
      const p = provider({ find: () => (typeof answer === 'function' ? answer() : answer) }, { on: { server_error: ({ error }) => void errors.push(error) } })
      const res = await p.handlers.backchannelAuthentication(form('/backchannel-authentication', bcParams, basic('x', 'top-secret-1')))
      assert.equal(res.status, 500, name)
      assert.deepEqual(JSON.parse(res.body!), { error: 'server_error' }, name)
      assert.equal(errors.length, 1, name)
      assert.doesNotMatch(String((errors[0] as Error).message), /top-secret-1/, name)
    }
  })
})

// The backchannel authentication request rules of CIBA Core §7.1 and §13 beyond the signed form:
// hints, user_code, binding_message, acr_values, requested_expiry, scope, validateRequestContext.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SignJWT, importJWK } from 'jose'
import {
  AccessDenied, createProvider, ExpiredLoginHintToken, InvalidBindingMessage, InvalidUserCode, MemoryStorage, OAuthError,
  type ProviderConfig, type RequestContext, type ResolvedUser,
} from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, postForm, startOp, testKeys, type TestOp } from './helpers/op.js'
import { clientKey } from './helpers/client-jwt.js'

const POLL = basic('poll-client', 'poll-secret')

/** Starts an OP with `overrides`, runs `fn`, closes it. */
async function withOp(overrides: Partial<ProviderConfig>, fn: (op: TestOp, bc: (params: Record<string, string>, auth?: string) => ReturnType<typeof postForm>) => Promise<void>): Promise<void> {
  const op = await startOp('express', overrides)
  try {
    await fn(op, (params, auth = POLL) => postForm(`${op.issuer}/backchannel-authentication`, params, { authorization: auth }))
  } finally {
    await op.close()
  }
}

function expectError(res: { status: number; body: Record<string, unknown> }, error: string, status = 400, pattern?: RegExp): void {
  assert.equal(res.body.error, error, JSON.stringify(res.body))
  assert.equal(res.status, status)
  if (pattern !== undefined) assert.match(String(res.body.error_description), pattern)
}

describe('hints (CIBA §7.1)', () => {
  let op: TestOp
  const seen: Array<{ token: string; ctx: RequestContext }> = []
  before(async () => {
    op = await startOp('express', {
      clients: [...CLIENTS, { ...CLIENTS[0]!, client_id: 'poll-2', client_secret: 'poll-2-secret' }],
      users: {
        findByLoginHint: (hint) => (hint === 'alice' ? { sub: 'alice' } : undefined),
        findByLoginHintToken: (token, ctx) => {
          seen.push({ token, ctx })
          if (token === 'expired-token') throw new ExpiredLoginHintToken()
          return token === 'token-for-bob' ? { sub: 'bob' } : undefined
        },
        claims: (sub) => ({ sub }),
      },
    })
  })
  after(() => op.close())
  const bc = (params: Record<string, string>, auth = POLL) => postForm(`${op.issuer}/backchannel-authentication`, params, { authorization: auth })

  /** A real ID token this OP issued to poll-client. */
  async function issuedIdToken(): Promise<string> {
    const started = await bc({ scope: 'openid', login_hint: 'alice' })
    await op.provider.approve(started.body.auth_req_id as string, { sub: 'alice' })
    const tokens = await postForm(`${op.issuer}/token`, { grant_type: CIBA, auth_req_id: started.body.auth_req_id as string }, { authorization: POLL })
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    return tokens.body.id_token as string
  }

  it('passes login_hint_token to the resolver with the request context', async () => {
    const res = await bc({ scope: 'openid', login_hint_token: 'token-for-bob' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(op.notices.find((n) => n.authReqId === res.body.auth_req_id)!.sub, 'bob')
    const last = seen.at(-1)!
    assert.equal(last.token, 'token-for-bob')
    assert.equal(last.ctx.client.client_id, 'poll-client')
    assert.equal(last.ctx.params.scope, 'openid')
  })

  it('never hands the client\'s credentials (form or metadata) to the resolver', async () => {
    const res = await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint_token: 'token-for-bob', client_id: 'post-client', client_secret: 'post-secret' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const { ctx } = seen.at(-1)!
    assert.equal(ctx.client.client_id, 'post-client')
    assert.equal(ctx.params.login_hint_token, 'token-for-bob')
    assert.equal(ctx.params.client_id, 'post-client')
    assert.equal('client_secret' in ctx.params, false)
    assert.equal(JSON.stringify(ctx).includes('post-secret'), false)
    assert.equal('client_secret' in ctx.client, false)
  })

  it('never hands a ping client\'s client_notification_token to the resolver', async () => {
    const contexts: RequestContext[] = []
    const ping = { client_id: 'ping-client', client_secret: 'ping-secret', grant_types: [CIBA], backchannel_token_delivery_mode: 'ping' as const, backchannel_client_notification_endpoint: 'https://client.example/cb' }
    const users = { findByLoginHint: (_hint: string, ctx: RequestContext) => (contexts.push(ctx), { sub: 'alice' }), claims: (sub: string) => ({ sub }) }
    await withOp({ deliveryModes: ['poll', 'ping'], clients: [ping], users }, async (_op, bc) => {
      const res = await bc({ scope: 'openid', login_hint: 'alice', client_notification_token: 'bearer-for-the-client-0123456789' }, basic('ping-client', 'ping-secret'))
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(contexts.length, 1)
      assert.equal(contexts[0]!.params.login_hint, 'alice')
      assert.equal(JSON.stringify(contexts[0]).includes('bearer-for-the-client'), false)
      assert.equal(JSON.stringify(contexts[0]).includes('ping-secret'), false)
    })
  })

  it('answers expired_login_hint_token when the resolver says so, unknown_user_id for nobody', async () => {
    expectError(await bc({ scope: 'openid', login_hint_token: 'expired-token' }), 'expired_login_hint_token')
    expectError(await bc({ scope: 'openid', login_hint_token: 'token-for-nobody' }), 'unknown_user_id')
  })

  it('takes the user from an id_token_hint this OP issued to this client, even expired', async () => {
    const idToken = await issuedIdToken()
    const res = await bc({ scope: 'openid', id_token_hint: idToken })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(op.notices.find((n) => n.authReqId === res.body.auth_req_id)!.sub, 'alice')
    op.clock.advance(7200) // past the ID token's exp
    assert.equal((await bc({ scope: 'openid', id_token_hint: idToken })).status, 200)
  })

  it('rejects an id_token_hint issued to another client, by another issuer, or not signed by this OP', async () => {
    const idToken = await issuedIdToken()
    expectError(await bc({ scope: 'openid', id_token_hint: idToken }, basic('poll-2', 'poll-2-secret')), 'invalid_request', 400, /was not issued to this client/)
    const ourKey = (await testKeys())[0]!
    const now = op.clock.now
    const foreignIssuer = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: ourKey.kid! })
      .setIssuer('https://elsewhere.example').setAudience('poll-client').setIssuedAt(now).setExpirationTime(now + 60)
      .sign(await importJWK(ourKey, 'RS256'))
    expectError(await bc({ scope: 'openid', id_token_hint: foreignIssuer }), 'invalid_request', 400, /was not issued by this OP/)
    const stranger = await clientKey('ES256', ourKey.kid, true)
    const forged = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'test-ES256' })
      .setIssuer(op.issuer).setAudience('poll-client').setIssuedAt(now).setExpirationTime(now + 60).sign(stranger.privateKey)
    expectError(await bc({ scope: 'openid', id_token_hint: forged }), 'invalid_request', 400, /is not signed by this OP/)
    const [h, p] = idToken.split('.')
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`
    expectError(await bc({ scope: 'openid', id_token_hint: none }), 'invalid_request', 400, /is not signed by this OP/)
    expectError(await bc({ scope: 'openid', id_token_hint: `${h}.${p}.AAAA` }), 'invalid_request', 400, /is not signed by this OP/)
    expectError(await bc({ scope: 'openid', id_token_hint: 'garbage' }), 'invalid_request', 400, /is not a JWS/)
  })

  it('requires exactly one hint', async () => {
    expectError(await bc({ scope: 'openid' }), 'invalid_request', 400, /one of login_hint, login_hint_token or id_token_hint is required/)
    expectError(await bc({ scope: 'openid', login_hint: 'alice', id_token_hint: 'x' }), 'invalid_request', 400, /only one of/)
    expectError(await bc({ scope: 'openid', login_hint_token: 'token-for-bob', id_token_hint: 'x' }), 'invalid_request', 400, /only one of/)
  })

  it('refuses login_hint_token when the OP has no resolver for it', async () => {
    await withOp({}, async (_op, send) => {
      expectError(await send({ scope: 'openid', login_hint_token: 'x' }), 'invalid_request', 400, /login_hint_token is not supported/)
    })
  })
})

describe('user_code (CIBA §7.1)', () => {
  const clients = [...CLIENTS, { ...CLIENTS[0]!, client_id: 'uc-client', client_secret: 'uc-secret', backchannel_user_code_parameter: true }]
  const UC = basic('uc-client', 'uc-secret')
  const verifyUserCode = (code: string, user: ResolvedUser): boolean => {
    if (code === 'throw') throw new InvalidUserCode('user_code is locked after too many attempts')
    return code === `${user.sub}-1234`
  }

  it('is required from a client that registered for it when the OP supports it, and verified by the hook', async () => {
    await withOp({ clients, userCodeSupported: true, hooks: { verifyUserCode } }, async (op, send) => {
      const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.equal(doc.backchannel_user_code_parameter_supported, true)
      expectError(await send({ scope: 'openid', login_hint: 'alice' }, UC), 'missing_user_code')
      expectError(await send({ scope: 'openid', login_hint: 'alice', user_code: 'wrong' }, UC), 'invalid_user_code')
      expectError(await send({ scope: 'openid', login_hint: 'alice', user_code: 'throw' }, UC), 'invalid_user_code', 400, /locked/)
      assert.equal((await send({ scope: 'openid', login_hint: 'alice', user_code: 'alice-1234' }, UC)).status, 200)
      // A client that did not register backchannel_user_code_parameter sends none.
      assert.equal((await send({ scope: 'openid', login_hint: 'alice' })).status, 200)
    })
  })

  it('is not required when the OP does not support it (discovery says false)', async () => {
    await withOp({ clients }, async (op, send) => {
      const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.equal(doc.backchannel_user_code_parameter_supported, false)
      assert.equal((await send({ scope: 'openid', login_hint: 'alice' }, UC)).status, 200)
    })
  })

  it('cannot be enabled without a verifyUserCode hook', async () => {
    const keys = await testKeys()
    assert.throws(() => createProvider({
      issuer: 'https://op.example.com', signingKeys: keys, userCodeSupported: true,
      users: { findByLoginHint: () => undefined, claims: () => ({}) }, notifier: { notify: () => {} },
    }), /userCodeSupported requires hooks.verifyUserCode/)
  })
})

describe('binding_message, acr_values, requested_expiry, scope (CIBA §7.1)', () => {
  it('applies the default binding_message policy: at most 100 displayable characters', async () => {
    await withOp({}, async (_op, send) => {
      const ok = (m: string) => send({ scope: 'openid', login_hint: 'alice', binding_message: m })
      assert.equal((await ok('x'.repeat(100))).status, 200)
      assert.equal((await ok('Zahlung 12,50 € an Müller — Nr. 4711')).status, 200)
      expectError(await ok('x'.repeat(101)), 'invalid_binding_message', 400, /at most 100 characters/)
      for (const bad of ['two\nlines', 'tab\there', 'bell\u0007', ' padded', 'rtl\u202eoverride']) {
        expectError(await ok(bad), 'invalid_binding_message', 400, /plain displayable text/)
      }
    })
  })

  it('lets the validateBindingMessage hook replace the default policy', async () => {
    const validateBindingMessage = (message: string, ctx: RequestContext): void => {
      if (!/^[A-Z0-9]{4,8}$/.test(message)) throw new InvalidBindingMessage(`binding_message must be a 4-8 character code for ${ctx.client.client_id}`)
    }
    await withOp({ hooks: { validateBindingMessage } }, async (_op, send) => {
      assert.equal((await send({ scope: 'openid', login_hint: 'alice', binding_message: 'W4SCT' })).status, 200)
      expectError(await send({ scope: 'openid', login_hint: 'alice', binding_message: 'Hello there' }), 'invalid_binding_message', 400, /4-8 character code for poll-client/)
    })
  })

  it('checks acr_values against acr_values_supported', async () => {
    await withOp({ acrValues: ['urn:acr:gold', 'urn:acr:silver'] }, async (op, send) => {
      const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.deepEqual(doc.acr_values_supported, ['urn:acr:gold', 'urn:acr:silver'])
      assert.equal((await send({ scope: 'openid', login_hint: 'alice', acr_values: 'urn:acr:bronze urn:acr:gold' })).status, 200)
      expectError(await send({ scope: 'openid', login_hint: 'alice', acr_values: 'urn:acr:bronze' }), 'invalid_request', 400, /none of the acr_values is supported/)
    })
  })

  it('clamps requested_expiry into the configured bounds by default', async () => {
    await withOp({ requestedExpiry: { min: 30, max: 600, default: 120 } }, async (_op, send) => {
      const expiresIn = async (value?: string) => (await send({ scope: 'openid', login_hint: 'alice', ...(value === undefined ? {} : { requested_expiry: value }) })).body.expires_in
      assert.equal(await expiresIn(), 120)
      assert.equal(await expiresIn('45'), 45)
      assert.equal(await expiresIn('5'), 30)
      assert.equal(await expiresIn('99999'), 600)
      for (const bad of ['0', '-1', '1.5', 'abc', '1e3', '12345678901']) {
        expectError(await send({ scope: 'openid', login_hint: 'alice', requested_expiry: bad }), 'invalid_request', 400, /requested_expiry/)
      }
    })
  })

  it('rejects an out-of-range requested_expiry when configured to', async () => {
    await withOp({ requestedExpiry: { min: 30, max: 600, outOfRange: 'reject' } }, async (_op, send) => {
      expectError(await send({ scope: 'openid', login_hint: 'alice', requested_expiry: '601' }), 'invalid_request', 400, /between 30 and 600/)
      expectError(await send({ scope: 'openid', login_hint: 'alice', requested_expiry: '29' }), 'invalid_request', 400, /between 30 and 600/)
      assert.equal((await send({ scope: 'openid', login_hint: 'alice', requested_expiry: '600' })).body.expires_in, 600)
    })
  })

  it('answers invalid_scope for unknown scopes, scopes the client may not use, and a missing openid', async () => {
    const clients = [...CLIENTS, { ...CLIENTS[0]!, client_id: 'narrow', client_secret: 'narrow-secret', scope: 'openid email' }]
    await withOp({ clients }, async (_op, send) => {
      expectError(await send({ scope: 'openid unknown', login_hint: 'alice' }), 'invalid_scope', 400, /scope unknown is not allowed/)
      expectError(await send({ scope: 'email', login_hint: 'alice' }), 'invalid_scope', 400, /must contain openid/)
      expectError(await send({ scope: 'openid profile', login_hint: 'alice' }, basic('narrow', 'narrow-secret')), 'invalid_scope', 400, /scope profile/)
      assert.equal((await send({ scope: 'openid email', login_hint: 'alice' }, basic('narrow', 'narrow-secret'))).status, 200)
    })
  })
})

describe('validateRequestContext (the integrator\'s risk checks)', () => {
  it('sees client, parameters and user, and can reject with any spec error code, changing nothing', async () => {
    const calls: Array<RequestContext & { user: ResolvedUser }> = []
    const validateRequestContext = (ctx: RequestContext & { readonly user: ResolvedUser }): void => {
      calls.push(ctx)
      const message = ctx.params.binding_message
      if (message === 'deny') throw new AccessDenied('risk engine refused the transaction')
      if (message === 'client') throw new OAuthError('unauthorized_client', { description: 'client may not ask for this user' })
      if (message === 'slow') throw new OAuthError('temporarily_unavailable', { description: 'risk engine busy' })
      if (message === 'user') throw new OAuthError('unknown_user_id', { description: 'user is not enrolled' })
    }
    const storage = new MemoryStorage()
    await withOp({ storage, hooks: { validateRequestContext } }, async (op, send) => {
      const before = storage.size
      const notices = op.notices.length
      const cases: Array<[string, string, number]> = [
        ['deny', 'access_denied', 403], ['client', 'unauthorized_client', 400],
        ['slow', 'temporarily_unavailable', 503], ['user', 'unknown_user_id', 400],
      ]
      for (const [message, error, status] of cases) {
        expectError(await send({ scope: 'openid email', login_hint: 'alice', binding_message: message }), error, status)
      }
      assert.deepEqual(storage.size, before)
      assert.equal(op.notices.length, notices)
      const ctx = calls.at(-1)!
      assert.equal(ctx.client.client_id, 'poll-client')
      assert.equal(ctx.user.sub, 'alice')
      assert.equal(ctx.params.scope, 'openid email')
      assert.equal((await send({ scope: 'openid', login_hint: 'alice', binding_message: 'fine' })).status, 200)
    })
  })
})

describe('the notifier (reaching the user\'s device, CIBA §7.1)', () => {
  /** An OP whose notifier does `behave`; answers the bc response, the id the notifier saw, the events. */
  async function attempt(behave: (authReqId: string) => unknown) {
    const storage = new MemoryStorage()
    let seen = ''
    const failures: unknown[] = []
    let result: { res: Awaited<ReturnType<typeof postForm>>; record: unknown } | undefined
    await withOp({ storage, notifier: { notify: (n) => { seen = n.authReqId; return behave(n.authReqId) as void } } }, async (op, send) => {
      op.provider.on('notifier_error', ({ error }) => failures.push(error))
      const res = await send({ scope: 'openid', login_hint: 'alice', binding_message: 'W4SCT' })
      result = { res, record: await storage.getAuthRequest(seen) }
    })
    return { ...result!, seen, failures }
  }

  it('a synchronous or an asynchronous notifier that succeeds: 200 with the auth_req_id it was given', async () => {
    for (const behave of [() => undefined, async () => { await new Promise((r) => setTimeout(r, 5)) }]) {
      const { res, seen, record } = await attempt(behave)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.auth_req_id, seen)
      assert.equal((record as { status: string }).status, 'pending')
    }
  })

  it('a notifier that throws or rejects: 503 temporarily_unavailable with Retry-After, the request denied, notifier_error emitted', async () => {
    const boom = new Error('device gateway down')
    for (const behave of [() => { throw boom }, async () => { throw boom }, () => Promise.reject(boom)]) {
      const { res, record, failures } = await attempt(behave)
      expectError(res, 'temporarily_unavailable', 503)
      assert.equal(res.headers.get('retry-after'), '5')
      assert.doesNotMatch(JSON.stringify(res.body), /gateway/)
      assert.equal((record as { status: string }).status, 'denied')
      assert.deepEqual((record as { denial: { error: string } }).denial.error, 'transaction_failed')
      assert.deepEqual(failures, [boom])
    }
  })

  it('a notifier that refuses with an OAuth error: that error, the request denied, no notifier_error', async () => {
    for (const behave of [() => { throw new AccessDenied('user blocked notifications') }, async () => { throw new AccessDenied('user blocked notifications') }]) {
      const { res, record, failures } = await attempt(behave)
      expectError(res, 'access_denied', 403)
      assert.equal((record as { status: string }).status, 'denied')
      assert.deepEqual(failures, [])
    }
  })

  it('an asynchronous user directory works like a synchronous one', async () => {
    await withOp({ users: { findByLoginHint: async (hint) => (hint === 'alice' ? { sub: 'alice' } : undefined), claims: (sub) => ({ sub }) } }, async (_op, send) => {
      assert.equal((await send({ scope: 'openid', login_hint: 'alice' })).status, 200)
      expectError(await send({ scope: 'openid', login_hint: 'mallory' }), 'unknown_user_id')
    })
  })
})

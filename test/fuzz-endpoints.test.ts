// Property-based test: random parameter sets, random JWTs (request objects, client assertions,
// hints) and random bytes at the backchannel authentication and token endpoints, over HTTP on a
// real adapter. Never a 5xx, always a JSON error from the spec's list, and a rejected request
// changes nothing in storage.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CompactSign } from 'jose'
import { MemoryStorage, type ClientMetadata } from '@ciba-kit/core'
import { basic, CIBA, CLIENTS, startOp, type TestOp } from './helpers/op.js'
import { clientKey, JWT_BEARER, type ClientKey } from './helpers/client-jwt.js'

/** Every error code CIBA Core §11/§13 and RFC 6749 §5.2 allow at these two endpoints. */
const SPEC_ERRORS = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  'access_denied', 'expired_login_hint_token', 'unknown_user_id', 'missing_user_code', 'invalid_user_code',
  'invalid_binding_message', 'authorization_pending', 'slow_down', 'expired_token',
])
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 150)
const SECRET = 'fuzz-secret-0123456789-0123456789-0123'

const PARAM_NAMES = [
  'scope', 'login_hint', 'login_hint_token', 'id_token_hint', 'binding_message', 'user_code', 'requested_expiry',
  'acr_values', 'client_notification_token', 'request', 'request_uri', 'client_id', 'client_secret',
  'client_assertion', 'client_assertion_type', 'grant_type', 'auth_req_id', 'refresh_token', '__proto__', 'constructor',
]

describe('fuzzing the backchannel authentication and token endpoints', () => {
  let op: TestOp
  let storage: MemoryStorage
  let key: ClientKey
  let pendingId = ''

  before(async () => {
    key = await clientKey('ES256', 'fuzz-key')
    const clients: ClientMetadata[] = [
      ...CLIENTS,
      {
        client_id: 'fz-ro', client_secret: SECRET, grant_types: [CIBA], backchannel_token_delivery_mode: 'poll',
        backchannel_authentication_request_signing_alg: 'ES256', jwks: { keys: [key.publicJwk] },
      },
      { client_id: 'fz-pkj', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' },
      { client_id: 'fz-csj', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' },
    ]
    storage = new MemoryStorage({ clock: () => op.clock.now })
    op = await startOp('express', { storage, clients })
    const started = await post('/backchannel-authentication', new URLSearchParams({ scope: 'openid', login_hint: 'alice' }).toString(), basic('poll-client', 'poll-secret'))
    pendingId = started.body.auth_req_id as string
    assert.ok(pendingId)
  })
  after(() => op.close())

  async function post(path: string, body: string | Uint8Array, authorization?: string, contentType = 'application/x-www-form-urlencoded') {
    const headers: Record<string, string> = { 'content-type': contentType }
    if (authorization !== undefined) headers.authorization = authorization
    const res = await fetch(`${op.issuer}${path}`, { method: 'POST', headers, body })
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (parsed ?? {}) as Record<string, unknown>, text }
  }

  // ---- arbitraries ---------------------------------------------------------------------------

  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
  const claimValue = () => fc.oneof(
    fc.constantFrom('fz-ro', 'fz-pkj', 'fz-csj', 'poll-client', 'openid', 'alice', 'openid email'),
    fc.constant(op.issuer), fc.constant(`${op.issuer}/token`), fc.constant(op.clock.now + 60), fc.constant(op.clock.now - 4000),
    fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  )
  const claimsArb = () => fc.dictionary(
    fc.oneof(fc.constantFrom('iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', ...PARAM_NAMES), fc.string({ maxLength: 8 })),
    claimValue(), { maxKeys: 14 },
  )
  /** A JWT-shaped string: random header and claims, signed with the client's real key, an HMAC, or junk. */
  const jwtArb = () => fc.record({
    header: fc.oneof(fc.constant({ alg: 'ES256', kid: 'fuzz-key' }), fc.constant({ alg: 'none' }), fc.constant({ alg: 'HS256' }),
      fc.constant({ alg: 'RSA-OAEP', enc: 'A256GCM' }), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })),
    claims: fc.oneof(claimsArb(), fc.jsonValue({ maxDepth: 2 })),
    signing: fc.constantFrom('key', 'key', 'hmac', 'junk', 'empty', 'five-segments', 'raw'),
  }).map((spec) => spec)

  async function buildJwt(spec: { header: unknown; claims: unknown; signing: string }): Promise<{ jwt: string; validlySigned: boolean }> {
    const payload = new TextEncoder().encode(JSON.stringify(spec.claims) ?? 'null')
    switch (spec.signing) {
      case 'key':
        try {
          return { jwt: await new CompactSign(payload).setProtectedHeader({ ...(spec.header as object), alg: 'ES256', kid: 'fuzz-key' }).sign(key.privateKey), validlySigned: true }
        } catch {
          return { jwt: `${b64({ alg: 'ES256' })}.${b64(spec.claims)}.AAAA`, validlySigned: false }
        }
      case 'hmac':
        return { jwt: await new CompactSign(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET)), validlySigned: true }
      case 'junk': return { jwt: `${b64(spec.header)}.${b64(spec.claims)}.${b64('junk-signature')}`, validlySigned: false }
      case 'empty': return { jwt: `${b64(spec.header)}.${b64(spec.claims)}.`, validlySigned: false }
      case 'five-segments': return { jwt: `${b64(spec.header)}.AAAA.AAAA.AAAA.AAAA`, validlySigned: false }
      default: return { jwt: `${b64(spec.header)}${b64(spec.claims)}`, validlySigned: false }
    }
  }

  const valueArb = () => fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 3, arbitrary: fc.constantFrom('openid', 'openid email', 'openid unknown', 'alice', 'bob', 'nobody', '120', '0', '-1', '1e9', CIBA, 'refresh_token', JWT_BEARER, 'poll-client', 'fz-ro', 'fz-pkj', 'fz-csj', 'W4SCT', 'x'.repeat(3000)) },
    { weight: 1, arbitrary: fc.constant('PENDING') },
    { weight: 3, arbitrary: jwtArb().map((spec) => ({ jwt: spec })) },
  )
  const paramsArb = () => fc.dictionary(fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 10 })), valueArb(), { maxKeys: 8 })
  const authArb = fc.constantFrom<string | undefined>(
    undefined, basic('poll-client', 'poll-secret'), basic('fz-ro', SECRET), basic('poll-client', 'wrong'), basic('nobody', 'x'),
    'Basic', 'Basic !!!', 'Basic Og==', 'Bearer abc', 'Digest x', basic('fz-csj', SECRET),
  )

  async function materialise(params: Record<string, unknown>): Promise<{ body: string; validlySigned: boolean }> {
    const form = new URLSearchParams()
    let validlySigned = false
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string') form.append(name, value === 'PENDING' ? pendingId : value)
      else {
        const built = await buildJwt((value as { jwt: { header: unknown; claims: unknown; signing: string } }).jwt)
        validlySigned ||= built.validlySigned
        form.append(name, built.jwt)
      }
    }
    return { body: form.toString(), validlySigned }
  }

  /** The property every answer must satisfy; `validlySigned` allows a recorded jti (replay protection). */
  function check(res: Awaited<ReturnType<typeof post>>, before: MemoryStorage['size'], validlySigned: boolean, endpoint: string): void {
    const where = `${endpoint}: ${res.status} ${res.text.slice(0, 200)}`
    assert.ok(res.status < 500, where)
    assert.match(res.contentType, /^application\/json/, where)
    if (res.status === 200) {
      assert.ok(res.body.auth_req_id !== undefined || res.body.access_token !== undefined || res.body.host === true, where)
      return
    }
    assert.ok(SPEC_ERRORS.has(res.body.error as string), where)
    const after = storage.size
    assert.equal(after.authRequests, before.authRequests, where)
    assert.equal(after.tokens, before.tokens, where)
    assert.equal(after.deliveries, before.deliveries, where)
    if (!validlySigned) assert.equal(after.once, before.once, where)
  }

  it('random parameter sets and JWTs at the backchannel endpoint', async () => {
    await fc.assert(fc.asyncProperty(paramsArb(), authArb, async (params, auth) => {
      const { body, validlySigned } = await materialise(params)
      const before = storage.size
      check(await post('/backchannel-authentication', body, auth), before, validlySigned, 'backchannel')
    }), { numRuns: NUM_RUNS })
  })

  it('random parameter sets and JWTs at the token endpoint', async () => {
    const grantArb = fc.constantFrom(CIBA, CIBA, 'refresh_token', 'authorization_code', '', 'urn:x')
    await fc.assert(fc.asyncProperty(paramsArb(), grantArb, authArb, async (params, grantType, auth) => {
      const { body, validlySigned } = await materialise({ grant_type: grantType, ...params })
      const before = storage.size
      check(await post('/token', body, auth), before, validlySigned, 'token')
    }), { numRuns: NUM_RUNS })
  })

  it('random bytes with random content types at both endpoints', async () => {
    const typeArb = fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', 'text/plain', 'multipart/form-data; boundary=x')
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), typeArb, fc.constantFrom('/backchannel-authentication', '/token'), authArb, async (bytes, type, path, auth) => {
      const before = storage.size
      check(await post(path, bytes, auth, type), before, false, path)
    }), { numRuns: NUM_RUNS })
  })
})

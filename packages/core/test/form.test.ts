import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { OAuthError } from '../src/errors/oauth-error.js'
import { parseForm } from '../src/request/form.js'
import { parseBasicCredentials } from '../src/client-auth/client-secret-basic.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** What parseForm must produce: URLSearchParams' pairs, a repeated name refused, empty values omitted. */
function reference(text: string): Record<string, string> | 'repeated' {
  const out: Record<string, string> = {}
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (seen.has(name)) return 'repeated'
    seen.add(name)
    if (value !== '') out[name] = value
  }
  return out
}

function parsed(body: string | Uint8Array): Record<string, string> | 'repeated' {
  try {
    return { ...parseForm({ method: 'POST', path: '/token', headers: FORM, body }) }
  } catch (error) {
    assert.ok(error instanceof OAuthError && /repeated/.test(error.description ?? ''), String(error))
    return 'repeated'
  }
}

test('form bodies parse exactly as URLSearchParams does (WHATWG), escapes and malformed escapes included', () => {
  const piece = fc.constantFrom('a', 'b', 'grant_type', '=', '&', '&&', '+', '%', '%2', '%2B', '%3D', '%26', '%20', '%C3%A9', '%C3', '%E2%82%AC', '%E2%82', '%zz', '%%', 'é', '€', ' ', '💡')
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 24 }).map((parts) => parts.join('')), (text) => {
      assert.deepEqual(parsed(text), reference(text), JSON.stringify(text))
      assert.deepEqual(parsed(Buffer.from(text)), reference(text), JSON.stringify(text))
    }),
    { numRuns: 20_000 },
  )
})

test('form parsing: the usual CIBA bodies', () => {
  assert.deepEqual(parsed('grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=abc_-1'), {
    grant_type: 'urn:openid:params:grant-type:ciba',
    auth_req_id: 'abc_-1',
  })
  assert.deepEqual(parsed('scope=openid+email&binding_message=W4SC+T&login_hint=&'), { scope: 'openid email', binding_message: 'W4SC T' })
  assert.equal(parsed('scope=openid&scope=email'), 'repeated')
  assert.equal(parsed('login_hint=&login_hint=alice'), 'repeated')
})

test('Basic credentials are form-decoded strictly (RFC 6749 §2.3.1)', () => {
  const basic = (pair: string): string => `Basic ${Buffer.from(pair).toString('base64')}`
  assert.deepEqual(parseBasicCredentials(basic('my%20client:s3cr%2Bt+x')), { clientId: 'my client', clientSecret: 's3cr+t x' })
  assert.deepEqual(parseBasicCredentials(basic('plain:secret')), { clientId: 'plain', clientSecret: 'secret' })
  assert.throws(() => parseBasicCredentials(basic('client:bad%zz')), (e) => e instanceof OAuthError && e.error === 'invalid_client')
  assert.throws(() => parseBasicCredentials(basic('no-colon')), (e) => e instanceof OAuthError && e.error === 'invalid_client')
  assert.equal(parseBasicCredentials('Bearer abc'), undefined)
})

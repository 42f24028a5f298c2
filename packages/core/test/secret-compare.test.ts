import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { secretMatchesBytes } from '../src/tokens/hashes.js'

const bytes = (secret: string): Buffer => Buffer.from(secret, 'utf8')

test('a client secret matches itself only', () => {
  const secret = 'bench-secret-es256-0123456789abcdef'
  assert.equal(secretMatchesBytes(secret, bytes(secret)), true)
  assert.equal(secretMatchesBytes(secret.slice(0, -1), bytes(secret)), false, 'a prefix')
  assert.equal(secretMatchesBytes(`${secret}x`, bytes(secret)), false, 'an extension')
  assert.equal(secretMatchesBytes(`${secret}\u0000`, bytes(secret)), false, 'an extension by the padding byte')
  assert.equal(secretMatchesBytes(secret.slice(0, -1), bytes(`${secret.slice(0, -1)}\u0000`)), false, 'a secret ending in the padding byte')
  assert.equal(secretMatchesBytes(`${secret.slice(0, -1)}g`, bytes(secret)), false, 'the last character changed')
  assert.equal(secretMatchesBytes('', bytes(secret)), false, 'nothing presented')
  assert.equal(secretMatchesBytes('sécret-ü', bytes('sécret-ü')), true, 'multi-byte UTF-8')
  assert.equal(secretMatchesBytes('secret-u', bytes('sécret-ü')), false)
})

test('the comparison agrees with string equality on arbitrary pairs', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), (presented, secret) => {
      assert.equal(secretMatchesBytes(presented, bytes(secret)), presented === secret)
      assert.equal(secretMatchesBytes(secret, bytes(secret)), true)
    }),
    { numRuns: 5000 },
  )
})

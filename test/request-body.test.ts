// Reading request bodies through the real adapters: a body that never finishes arriving is answered
// 408 after `bodyTimeout` (not held open), and a body a host's parser already consumed is not waited for.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import express from 'express'
import type Koa from 'koa'
import { basic, startOp, type Framework, type TestOp } from './helpers/op.js'

const POLL = basic('poll-client', 'poll-secret')

/** Sends `head` and part of a body on a raw connection; resolves with all the server wrote before closing. */
function sendPartial(url: string, path: string, declaredLength: number, partialBody: string): Promise<{ text: string; ms: number }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${POLL}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${declaredLength}\r\n\r\n${partialBody}`,
      )
    })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('close', () => resolve({ text, ms: Date.now() - started }))
    socket.on('error', reject)
    // The test fails rather than hangs when the server never answers.
    socket.setTimeout(8000, () => {
      socket.destroy()
      reject(new Error(`no answer within 8 s; got ${JSON.stringify(text)}`))
    })
  })
}

for (const framework of ['express', 'koa', 'fetch'] as Framework[]) {
  describe(`request bodies (${framework})`, () => {
    let op: TestOp
    before(async () => {
      op = await startOp(framework, { bodyTimeout: 1 })
    })
    after(() => op.close())

    it('answers 408 and closes the connection when the body does not arrive within bodyTimeout', async () => {
      const { text, ms } = await sendPartial(op.issuer, '/backchannel-authentication', 200, 'scope=openid&login')
      assert.match(text, /^HTTP\/1\.1 408 /)
      assert.match(text, /"error":"invalid_request"/)
      assert.match(text, /request body not received within 1 seconds/)
      assert.ok(ms >= 900 && ms < 6000, `answered after ${ms} ms`)
    })

    it('still answers a complete request at once', async () => {
      const res = await fetch(`${op.issuer}/backchannel-authentication`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: POLL },
        body: 'scope=openid&login_hint=alice',
      })
      assert.equal(res.status, 200)
    })
  })
}

describe('a body a host parser already read', () => {
  /** An empty token request through an OP whose host mounted `parser` first: answered at once. */
  async function answeredAtOnce(framework: Framework, parser: (app: unknown) => void): Promise<void> {
    const op = await startOp(framework, {}, parser)
    try {
      const res = await fetch(`${op.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: POLL, 'content-length': '0' },
        signal: AbortSignal.timeout(5000), // fails the test instead of hanging it
      })
      assert.equal(res.status, 400)
      assert.deepEqual(await res.json(), { error: 'invalid_request', error_description: 'grant_type is required' })
    } finally {
      await op.close()
    }
  }

  it('is not waited for on Express (express.urlencoded() leaves {} for an empty body)', () =>
    answeredAtOnce('express', (app) => (app as express.Express).use(express.urlencoded({ extended: false }))))

  it('is not waited for on Koa (a body parser that consumed the stream and left {})', () =>
    answeredAtOnce('koa', (app) =>
      (app as Koa).use(async (ctx, next) => {
        for await (const chunk of ctx.req) void chunk
        ;(ctx.request as { body?: unknown }).body = {}
        await next()
      }),
    ))
})

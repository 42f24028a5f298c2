import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createDemoClient, type DemoClient } from '../src/index.js'
import { type FakeOp, startFakeOp } from './fake-op.js'
import { openSse, type SseEvent, type SseStream } from './sse.js'

let server: Server
let base: string
let op: FakeOp
let client: DemoClient
const modes = ['poll', 'ping', 'push']

before(async () => {
  server = createServer((req, res) => client.handler(req, res, () => res.writeHead(418).end()))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  op = await startFakeOp({ modes, notificationEndpoint: `${base}/client/api/notify` })
  client = createDemoClient({
    issuer: op.issuer,
    clientId: 'demo-client',
    clientSecret: 'demo-secret',
    ping: { clientId: 'demo-client-ping', clientSecret: 'ping-secret' },
    push: { clientId: 'demo-client-push', clientSecret: 'push-secret' },
  })
})

after(async () => {
  client.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await op.close()
})

async function start(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/client/api/flows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Reads events until one of `names` arrives (skipping the rest). */
async function until(stream: SseStream, ...names: string[]): Promise<SseEvent> {
  for (;;) {
    const e = await stream.next()
    if (names.includes(e.event)) return e
  }
}

async function startAndFollow(mode: string, extra: Record<string, unknown> = {}) {
  const started = await start({ login_hint: 'alice', binding_message: 'Pump 3 code X7', mode, ...extra })
  assert.equal(started.status, 201, JSON.stringify(started.body))
  const stream = await openSse(`${base}/client/api/flows/${String(started.body.id)}/events`)
  const first = await stream.next()
  assert.equal(first.event, 'started')
  assert.equal((first.data as { auth_req_id: string }).auth_req_id, started.body.auth_req_id)
  return { id: String(started.body.id), authReqId: String(started.body.auth_req_id), stream }
}

describe('demo client backend', () => {
  it('offers the modes the OP advertises and it has a client for', async () => {
    const config = (await (await fetch(`${base}/client/api/config`)).json()) as { issuer: string; modes: Array<{ mode: string; available: boolean; reason?: string }> }
    assert.equal(config.issuer, op.issuer)
    assert.deepEqual(config.modes.map((m) => [m.mode, m.available]), [['poll', true], ['ping', true], ['push', true]])
    modes.splice(1) // the OP now advertises poll only
    try {
      const later = (await (await fetch(`${base}/client/api/config`)).json()) as typeof config
      assert.equal(later.modes[1]?.available, false)
      assert.match(later.modes[1]?.reason ?? '', /not available yet.*backchannel_token_delivery_modes_supported/)
      const refused = await start({ login_hint: 'alice', mode: 'ping' })
      assert.equal(refused.status, 400)
      assert.equal(refused.body.error, 'mode_unavailable')
    } finally {
      modes.push('ping', 'push')
    }
  })

  it('poll: sends the request with client_secret_basic, polls, then shows verified claims and userinfo', async () => {
    const { authReqId, stream } = await startAndFollow('poll')
    try {
      const sent = op.requests.get(authReqId)?.params
      assert.equal(sent?.get('login_hint'), 'alice')
      assert.equal(sent?.get('binding_message'), 'Pump 3 code X7')
      assert.equal(sent?.get('scope'), 'openid profile email')
      const poll = await stream.next()
      assert.deepEqual(poll.data, { n: 1, result: 'authorization_pending', next_in: 0 })
      assert.equal(op.tokenCalls.at(-1)?.get('grant_type'), 'urn:openid:params:grant-type:ciba')
      await op.approve(authReqId)
      const tokens = (await until(stream, 'tokens', 'failed')).data as Record<string, unknown>
      assert.equal(tokens.id_token_verified, true)
      const claims = tokens.id_token_claims as Record<string, unknown>
      assert.equal(claims.sub, 'alice')
      assert.equal(claims.aud, 'demo-client')
      assert.equal(claims.iss, op.issuer)
      assert.deepEqual(tokens.userinfo, { sub: 'alice', name: 'Alice Anderson' })
      assert.equal(tokens.refresh_token_received, true)
      // The page is shown what happened, never the tokens themselves.
      assert.equal('access_token' in tokens || 'id_token' in tokens || 'refresh_token' in tokens, false)
    } finally {
      stream.close()
    }
  })

  it('poll: a denial ends the flow with access_denied', async () => {
    const { authReqId, stream } = await startAndFollow('poll')
    try {
      await op.deny(authReqId)
      const failed = await until(stream, 'tokens', 'failed')
      assert.equal(failed.event, 'failed')
      assert.deepEqual(failed.data, { error: 'access_denied', error_description: 'the user denied' })
    } finally {
      stream.close()
    }
  })

  it('shows the OP refusing the request (unknown user)', async () => {
    const res = await start({ login_hint: 'mallory', mode: 'poll' })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, { error: 'unknown_user_id', error_description: 'no such user' })
    assert.equal((await start({ login_hint: '', mode: 'poll' })).body.error, 'invalid_request')
    assert.equal((await start({ login_hint: 'alice', mode: 'carrier-pigeon' })).body.error, 'invalid_request')
  })

  it('ping: waits for the notification, checks its bearer, then fetches the tokens', async () => {
    const { authReqId, stream } = await startAndFollow('ping')
    try {
      const token = op.requests.get(authReqId)?.params.get('client_notification_token') ?? ''
      assert.match(token, /^[A-Za-z0-9_-]{43}$/)
      const forged = await fetch(`${base}/client/api/notify`, {
        method: 'POST',
        headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
        body: JSON.stringify({ auth_req_id: authReqId }),
      })
      assert.equal(forged.status, 401)
      assert.equal(op.tokenCalls.filter((c) => c.get('auth_req_id') === authReqId).length, 0)
      await op.approve(authReqId)
      const note = await stream.next()
      assert.equal(note.event, 'notification')
      assert.equal((note.data as { kind: string }).kind, 'ping')
      const tokens = await until(stream, 'tokens', 'failed')
      assert.equal(tokens.event, 'tokens', JSON.stringify(tokens.data))
      assert.equal(op.tokenCalls.filter((c) => c.get('auth_req_id') === authReqId).length, 1)
    } finally {
      stream.close()
    }
  })

  it('push: accepts the pushed tokens after checking auth_req_id, at_hash and rt_hash', async () => {
    const { authReqId, stream } = await startAndFollow('push')
    try {
      await op.approve(authReqId)
      assert.equal((await stream.next()).event, 'notification')
      const tokens = await until(stream, 'tokens', 'failed')
      assert.equal(tokens.event, 'tokens', JSON.stringify(tokens.data))
      const claims = (tokens.data as { id_token_claims: Record<string, unknown> }).id_token_claims
      assert.equal(claims['urn:openid:params:jwt:claim:auth_req_id'], authReqId)
      assert.equal(op.tokenCalls.filter((c) => c.get('auth_req_id') === authReqId).length, 0)
    } finally {
      stream.close()
    }
  })

  it('push: a pushed error ends the flow', async () => {
    const { authReqId, stream } = await startAndFollow('push')
    try {
      await op.deny(authReqId)
      const failed = await until(stream, 'tokens', 'failed')
      assert.deepEqual(failed.data, { error: 'access_denied' })
    } finally {
      stream.close()
    }
  })

  it('replays a finished flow after Last-Event-ID and ends the stream', async () => {
    const { id, authReqId, stream } = await startAndFollow('poll')
    await op.deny(authReqId)
    await until(stream, 'failed')
    stream.close()
    const again = await openSse(`${base}/client/api/flows/${id}/events`, { 'last-event-id': '1' })
    const events: string[] = []
    try {
      for (;;) events.push((await again.next()).event)
    } catch (err) {
      assert.match(String(err), /ended/)
    }
    assert.equal(events.includes('started'), false) // event 1 was skipped
    assert.equal(events.at(-1), 'failed')
    assert.equal((await fetch(`${base}/client/api/flows/nope/events`)).status, 404)
  })

  it('serves a self-contained page with labelled inputs', async () => {
    const res = await fetch(`${base}/client`)
    assert.equal(res.status, 200)
    const html = await res.text()
    for (const id of ['login_hint', 'binding_message', 'scope']) assert.match(html, new RegExp(`<label for="${id}">`))
    assert.match(html, /<legend>Token delivery mode<\/legend>/)
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//)
    assert.equal((await fetch(`${base}/elsewhere`)).status, 418)
  })
})

// Two OP processes (separate Node processes, Express and Koa, real ports) sharing one Redis:
// whatever one process did, the other continues; concurrent redeems spread over both processes
// issue tokens once; a crashed process loses nothing.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose'
import { basic, CIBA, postForm } from './helpers/op.js'
import { startOpProcess, type OpProcess } from './helpers/op-process.js'
import { connectTestRedis, deleteKeys, REDIS_URL, redisSkipReason, uniquePrefix } from './helpers/redis.js'

const skip = await redisSkipReason('multi-instance')
const POLL = basic('poll-client', 'poll-secret')
const ISSUER = 'http://localhost:8443'
const INTERVAL = 2
/** The fixture's delivery lease: 2 x timeoutMs (1 s) + 10 s. */
const LEASE = 12

interface Notification {
  readonly authorization: string | undefined
  readonly body: string
  readonly res: ServerResponse
}

/**
 * The client's notification endpoint. It holds the first notification for each `auth_req_id`
 * unanswered (the sending process is killed meanwhile) and answers 204 to the next ones.
 */
async function startReceiver() {
  const received: Notification[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const id = (JSON.parse(body) as { auth_req_id?: string }).auth_req_id
      const first = !received.some((r) => r.body.includes(`"${id}"`))
      received.push({ authorization: req.headers.authorization, body, res })
      if (!first) res.writeHead(204).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    received,
    for: (id: string) => received.filter((r) => r.body.includes(`"${id}"`)),
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

describe('two OP processes sharing one Redis', { skip }, () => {
  const prefix = uniquePrefix('multi')
  let a: OpProcess // Express
  let b: OpProcess // Koa
  let publicJwks: { keys: JWK[] }
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let common: Parameters<typeof startOpProcess>[0]
  /** How far the test has moved every process's clock. */
  let offset = 0

  before(async () => {
    // Every process signs with the same keys, as behind a load balancer.
    const signing: JWK[] = []
    publicJwks = { keys: [] }
    for (const alg of ['RS256', 'ES256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
      signing.push({ ...(await exportJWK(privateKey)), kid: `shared-${alg}`, alg })
      publicJwks.keys.push({ ...(await exportJWK(publicKey)), kid: `shared-${alg}`, alg })
    }
    receiver = await startReceiver()
    common = { redisUrl: REDIS_URL, keyPrefix: prefix, signingKeys: signing, issuer: ISSUER, framework: 'express', notifyEndpoint: receiver.url }
    ;[a, b] = await Promise.all([
      startOpProcess({ ...common, framework: 'express' }),
      startOpProcess({ ...common, framework: 'koa' }),
    ])
  })
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    receiver?.close()
    const redis = await connectTestRedis()
    await deleteKeys(redis, prefix)
    await redis.quit()
  })

  const backchannel = async (op: OpProcess): Promise<string> => {
    const res = await postForm(`${op.url}/backchannel-authentication`, { scope: 'openid email offline_access', login_hint: 'alice' }, { authorization: POLL })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body['auth_req_id'] as string
  }
  const redeem = (op: OpProcess, authReqId: string) => postForm(`${op.url}/token`, { grant_type: CIBA, auth_req_id: authReqId }, { authorization: POLL })
  const refresh = (op: OpProcess, token: string) => postForm(`${op.url}/token`, { grant_type: 'refresh_token', refresh_token: token }, { authorization: POLL })
  /** Lets one polling interval pass in both processes (they share Redis, so they share lastPolledAt). */
  const letIntervalPass = async () => {
    offset += INTERVAL
    await Promise.all([a.advance(INTERVAL), b.advance(INTERVAL)])
  }

  it('a request created on one process is polled, approved and redeemed on the other', async () => {
    const id = await backchannel(a)
    const pending = await redeem(b, id)
    assert.equal(pending.status, 400)
    assert.equal(pending.body['error'], 'authorization_pending')
    assert.deepEqual(await b.approve(id), { ok: true })
    await letIntervalPass()
    const issued = await redeem(b, id)
    assert.equal(issued.status, 200, JSON.stringify(issued.body))
    const { payload } = await jwtVerify(issued.body['id_token'] as string, createLocalJWKSet(publicJwks), { issuer: ISSUER, audience: 'poll-client' })
    assert.equal(payload.sub, 'alice')
    assert.equal(payload['urn:openid:params:jwt:claim:auth_req_id'] ?? id, id)

    await letIntervalPass()
    const again = await redeem(a, id)
    assert.equal(again.status, 400)
    assert.equal(again.body['error'], 'invalid_grant', 'consumed on B is consumed on A')

    const userinfo = await fetch(`${a.url}/userinfo`, { headers: { authorization: `Bearer ${issued.body['access_token'] as string}` } })
    assert.equal(userinfo.status, 200, 'an access token issued by B is accepted by A')
    assert.equal(((await userinfo.json()) as { sub: string }).sub, 'alice')
  })

  it('refresh rotation across processes: a reuse on the other process revokes the grant everywhere', async () => {
    const id = await backchannel(b)
    await a.approve(id)
    const issued = await redeem(a, id)
    assert.equal(issued.status, 200, JSON.stringify(issued.body))
    const original = issued.body['refresh_token'] as string
    const rotated = await refresh(b, original)
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body))
    const reuse = await refresh(a, original)
    assert.equal(reuse.status, 400)
    assert.equal(reuse.body['error'], 'invalid_grant')
    const afterReuse = await refresh(b, rotated.body['refresh_token'] as string)
    assert.equal(afterReuse.body['error'], 'invalid_grant', 'the rotated token died with the grant')
    const userinfo = await fetch(`${b.url}/userinfo`, { headers: { authorization: `Bearer ${rotated.body['access_token'] as string}` } })
    assert.equal(userinfo.status, 401)
  })

  it('a denial on one process is access_denied on the other', async () => {
    const id = await backchannel(a)
    assert.deepEqual(await b.deny(id), { ok: true })
    assert.deepEqual(await a.approve(id), { ok: false, reason: 'already_decided' })
    const res = await redeem(a, id)
    assert.equal(res.status, 400) // CIBA §11: token endpoint errors are 400
    assert.equal(res.body['error'], 'access_denied')
  })

  it('24 simultaneous token requests spread over both processes: exactly one set of tokens', async () => {
    const id = await backchannel(b)
    await a.approve(id)
    await letIntervalPass()
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => redeem(i % 2 === 0 ? a : b, id)))
    const winners = results.filter((r) => r.status === 200)
    assert.equal(winners.length, 1, results.map((r) => `${r.status} ${String(r.body['error'] ?? '')}`).join(', '))
    for (const r of results.filter((r) => r.status !== 200)) assert.equal(r.body['error'], 'invalid_grant')
  })

  it('a client registered on one process is usable, readable and deletable on the other', async () => {
    const registered = await fetch(`${a.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Till 4', grant_types: [CIBA], backchannel_token_delivery_mode: 'poll', token_endpoint_auth_method: 'client_secret_basic' }),
    })
    assert.equal(registered.status, 201)
    const client = (await registered.json()) as Record<string, string>
    const auth = basic(client['client_id']!, client['client_secret']!)
    const management = new URL(client['registration_client_uri']!).pathname
    const manage = (op: OpProcess, method: string) =>
      fetch(`${op.url}${management}`, { method, headers: { authorization: `Bearer ${client['registration_access_token']!}` } })

    const read = await manage(b, 'GET')
    assert.equal(read.status, 200)
    assert.equal(((await read.json()) as Record<string, string>)['client_id'], client['client_id'])
    const started = await postForm(`${b.url}/backchannel-authentication`, { scope: 'openid', login_hint: 'bob' }, { authorization: auth })
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const id = started.body['auth_req_id'] as string
    await a.approve(id)
    const issued = await postForm(`${a.url}/token`, { grant_type: CIBA, auth_req_id: id }, { authorization: auth })
    assert.equal(issued.status, 200, JSON.stringify(issued.body))

    assert.equal((await manage(b, 'DELETE')).status, 204)
    const refused = await postForm(`${a.url}/backchannel-authentication`, { scope: 'openid', login_hint: 'bob' }, { authorization: auth })
    assert.equal(refused.status, 401, 'deleted on B, unknown on A')
  })

  it('ping and push notifications accepted by a process killed mid-delivery are completed by another', async () => {
    const c = await startOpProcess(common)
    await c.advance(offset)
    const start = async (mode: 'ping' | 'push') => {
      const res = await postForm(`${c.url}/backchannel-authentication`, { scope: 'openid email', login_hint: 'alice', client_notification_token: `${mode}-bearer-0123456789` }, { authorization: basic(`${mode}-client`, `${mode}-secret`) })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return res.body['auth_req_id'] as string
    }
    const [pingId, pushId] = [await start('ping'), await start('push')]
    await Promise.all([c.approve(pingId), c.approve(pushId)])
    // C claimed both (leased to it) and is sending; the receiver holds both requests unanswered.
    await waitFor(() => (receiver.for(pingId).length > 0 && receiver.for(pushId).length > 0 ? true : undefined))
    await c.kill()

    // Once C's lease lapses, a surviving process claims and completes both.
    offset += LEASE + 1
    await Promise.all([a.advance(LEASE + 1), b.advance(LEASE + 1)])
    await waitFor(() => (receiver.for(pingId).length > 1 && receiver.for(pushId).length > 1 ? true : undefined), 5000)

    const [firstPush, secondPush] = receiver.for(pushId)
    assert.equal(secondPush!.authorization, 'Bearer push-bearer-0123456789')
    assert.equal(secondPush!.body, firstPush!.body, 'the same tokens: issued once, at approval')
    const push = JSON.parse(secondPush!.body) as Record<string, string>
    const { payload } = await jwtVerify(push['id_token']!, createLocalJWKSet(publicJwks), { issuer: ISSUER, audience: 'push-client' })
    assert.equal(payload['urn:openid:params:jwt:claim:auth_req_id'], pushId)
    const userinfo = await fetch(`${b.url}/userinfo`, { headers: { authorization: `Bearer ${push['access_token']!}` } })
    assert.equal(userinfo.status, 200)

    const ping = receiver.for(pingId)[1]!
    assert.equal(ping.authorization, 'Bearer ping-bearer-0123456789')
    assert.deepEqual(JSON.parse(ping.body), { auth_req_id: pingId })
    const issued = await postForm(`${b.url}/token`, { grant_type: CIBA, auth_req_id: pingId }, { authorization: basic('ping-client', 'ping-secret') })
    assert.equal(issued.status, 200, JSON.stringify(issued.body))
    for (const held of [...receiver.for(pingId), ...receiver.for(pushId)]) if (!held.res.headersSent) held.res.destroy()
  })

  it('a process that crashes loses nothing: the other one finishes its request', async () => {
    const id = await backchannel(a)
    const notice = await waitFor(() => a.notices.find((n) => n.authReqId === id))
    assert.equal(notice.sub, 'alice')
    await a.kill()
    assert.deepEqual(await b.approve(id), { ok: true })
    const issued = await redeem(b, id)
    assert.equal(issued.status, 200, JSON.stringify(issued.body))
  })
})

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

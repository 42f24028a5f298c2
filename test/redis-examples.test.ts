// The example OPs with REDIS_URL set (their real entry points, as separate processes): state goes
// to Redis under REDIS_KEY_PREFIX, so a request started on the Express example is redeemed on
// the Koa one.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import { connectTestRedis, deleteKeys, REDIS_URL, redisSkipReason, uniquePrefix } from './helpers/redis.js'

const skip = await redisSkipReason('examples on Redis')
const root = new URL('..', import.meta.url).pathname
const DEMO_AUTH = `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`

/** Starts an example's main.ts on a free port; resolves with its URL once it printed it. */
async function startMain(framework: 'express' | 'koa', env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const { NODE_TEST_CONTEXT: _ctx, ...inherited } = process.env
  const child = spawn(process.execPath, ['--conditions=@ciba-kit/source', '--import', 'tsx', `examples/${framework}/src/main.ts`], {
    cwd: root,
    env: { ...inherited, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${framework} example exited (${code}): ${output}`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /authentication device:\s+(http:\/\/\S+?)\/device/.exec(output)
      if (match?.[1] !== undefined) resolve(match[1].replace('localhost', '127.0.0.1'))
    })
  })
  return { child, url }
}

async function form(url: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: DEMO_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('example OPs with REDIS_URL', { skip }, () => {
  const prefix = uniquePrefix('examples')
  const keysFile = join(tmpdir(), `${prefix.replace(/\W/g, '-')}keys.json`)
  let express: { child: ChildProcess; url: string }
  let koa: { child: ChildProcess; url: string }
  before(async () => {
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, ISSUER: 'http://localhost:3000', POLL_INTERVAL: '1', SIGNING_KEYS_FILE: keysFile }
    ;[express, koa] = await Promise.all([startMain('express', env), startMain('koa', env)])
  })
  after(async () => {
    for (const p of [express, koa]) {
      if (p === undefined || p.child.exitCode !== null) continue
      p.child.kill('SIGTERM')
      await once(p.child, 'exit')
    }
    const redis = await connectTestRedis()
    await deleteKeys(redis, prefix)
    await redis.quit()
    await rm(keysFile, { force: true })
  })

  it('a request started and approved on the Express example is redeemed once, on the Koa example', async () => {
    const started = await form(`${express.url}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' })
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const id = started.body['auth_req_id'] as string
    const redis = await connectTestRedis()
    try {
      assert.equal(await redis.exists(`${prefix}ar:${id}`), 1, 'the request lives in Redis under REDIS_KEY_PREFIX')
    } finally {
      await redis.quit()
    }
    const approved = await fetch(`${express.url}/device/api/requests/${id}/approve`, { method: 'POST' })
    assert.equal(approved.status, 204)
    const issued = await form(`${koa.url}/token`, { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: id })
    assert.equal(issued.status, 200, JSON.stringify(issued.body))
    assert.equal(typeof issued.body['access_token'], 'string')
    const again = await form(`${express.url}/token`, { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: id })
    assert.equal(again.body['error'], 'invalid_grant')

    // SIGNING_KEYS_FILE: both processes publish one JWKS, so Koa's ID token verifies with Express's keys.
    const [jwksExpress, jwksKoa] = await Promise.all([express, koa].map(async (p) => (await (await fetch(`${p.url}/jwks`)).json()) as { keys: JWK[] }))
    assert.deepEqual(jwksKoa, jwksExpress)
    const { payload } = await jwtVerify(issued.body['id_token'] as string, createLocalJWKSet(jwksExpress!), { audience: 'demo-client' })
    assert.equal(payload.sub, 'alice')
  })
})

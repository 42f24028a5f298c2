// Registered clients shared through Redis by two OPs (Express and Koa, real ports): a registration,
// an update or a deletion made through one is in force at the other at once.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRedisStorage } from '@ciba-kit/storage-redis'
import type { Redis } from 'ioredis'
import { basic, CIBA, postForm, startOp, type TestOp } from './helpers/op.js'
import { connectTestRedis, deleteKeys, redisSkipReason, uniquePrefix } from './helpers/redis.js'
import { bearer, fetchJson } from './helpers/registration.js'

const skip = await redisSkipReason('registration over Redis')

describe('registered clients in Redis, two OPs', { skip }, () => {
  const prefix = uniquePrefix('registration')
  let redis: Redis
  let a: TestOp
  let b: TestOp
  before(async () => {
    redis = await connectTestRedis()
    const storage = createRedisStorage(redis, { keyPrefix: prefix })
    a = await startOp('express', { storage, registration: { open: true } })
    b = await startOp('koa', { storage, registration: { open: true } })
  })
  after(async () => {
    await a?.close()
    await b?.close()
    await deleteKeys(redis, prefix)
    await redis.quit()
  })

  it('registers on one, authenticates, updates and deletes across both', async () => {
    const metadata = { grant_types: [CIBA], backchannel_token_delivery_mode: 'poll', client_name: 'shared' }
    const reg = await fetchJson(`${a.issuer}/register`, { body: metadata })
    assert.equal(reg.status, 201, JSON.stringify(reg.body))
    const id = reg.body.client_id as string
    const auth = basic(id, reg.body.client_secret as string)
    const rat = bearer(reg.body.registration_access_token)
    const bc = (op: TestOp) => postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: auth })

    const started = await bc(b)
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const put = await fetchJson(`${b.issuer}/register/${id}`, { method: 'PUT', body: { ...metadata, client_id: id, client_name: 'renamed on b' }, headers: rat })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal((await fetchJson(`${a.issuer}/register/${id}`, { headers: rat })).body.client_name, 'renamed on b')

    const pending = (await bc(a)).body.auth_req_id as string
    assert.equal((await fetch(`${a.issuer}/register/${id}`, { method: 'DELETE', headers: rat })).status, 204)
    assert.equal((await bc(b)).status, 401)
    assert.equal((await fetchJson(`${b.issuer}/register/${id}`, { headers: rat })).status, 401)
    assert.deepEqual(await b.provider.approve(pending), { ok: false, reason: 'unknown' })
    assert.deepEqual(await a.provider.approve(started.body.auth_req_id as string), { ok: false, reason: 'unknown' })
  })
})

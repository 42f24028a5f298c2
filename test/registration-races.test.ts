// RFC 7592 management requests racing each other over real HTTP, both adapters. The races are made
// deterministic by a storage that runs the other request to completion between one request's read
// of the client and its write: a client its owner deleted never comes back, and no update is lost.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryStorage, type ClientRecord } from '@ciba-kit/core'
import { basic, CIBA, postForm, startOp, type Framework, type TestOp } from './helpers/op.js'
import { bearer, fetchJson } from './helpers/registration.js'

/** Runs `between` (once) after a request has read the client and before its write reaches storage. */
class InterleavingStorage extends MemoryStorage {
  #beforeUpdate: (() => Promise<void>) | undefined
  #beforeDelete: (() => Promise<void>) | undefined

  beforeNextUpdate(between: () => Promise<void>): void {
    this.#beforeUpdate = between
  }

  beforeNextDelete(between: () => Promise<void>): void {
    this.#beforeDelete = between
  }

  override async updateClient(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const between = this.#beforeUpdate
    this.#beforeUpdate = undefined
    await between?.()
    return super.updateClient(record, expectedRevision)
  }

  override async deleteClient(clientId: string): Promise<boolean> {
    const between = this.#beforeDelete
    this.#beforeDelete = undefined
    await between?.()
    return super.deleteClient(clientId)
  }
}

const METADATA = { grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' }

for (const framework of ['express', 'koa'] as Framework[]) {
  describe(`RFC 7592 requests racing each other (${framework})`, () => {
    let op: TestOp
    let storage: InterleavingStorage
    before(async () => {
      storage = new InterleavingStorage()
      op = await startOp(framework, { storage, registration: { open: true } })
    })
    after(() => op.close())

    async function registerClient() {
      const res = await fetchJson(`${op.issuer}/register`, { body: { ...METADATA, client_name: 'original' } })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const b = res.body
      const id = b.client_id as string
      const put = (name: string) => fetchJson(b.registration_client_uri as string, { method: 'PUT', body: { ...METADATA, client_id: id, client_name: name }, headers: bearer(b.registration_access_token) })
      const remove = async () => (await fetch(b.registration_client_uri as string, { method: 'DELETE', headers: bearer(b.registration_access_token) })).status
      const read = () => fetchJson(b.registration_client_uri as string, { headers: bearer(b.registration_access_token) })
      const authenticate = async () => (await postForm(`${op.issuer}/backchannel-authentication`, { scope: 'openid', login_hint: 'alice' }, { authorization: basic(id, b.client_secret as string) })).status
      return { id, put, remove, read, authenticate }
    }

    /** Nothing of a deleted client works: management, client authentication, storage. */
    async function assertGone(c: Awaited<ReturnType<typeof registerClient>>): Promise<void> {
      assert.equal(await storage.getClient(c.id), undefined, 'not in storage')
      assert.equal((await c.read()).status, 401)
      assert.equal(await c.authenticate(), 401, 'its credentials no longer work')
    }

    it('a DELETE landing between a PUT\'s read and write wins: the PUT gets 401 invalid_token, the client stays deleted', async () => {
      const c = await registerClient()
      let deleted: number | undefined
      storage.beforeNextUpdate(async () => {
        deleted = await c.remove()
      })
      const put = await c.put('revived?')
      assert.equal(deleted, 204, 'the DELETE ran inside the PUT')
      assert.equal(put.status, 401, JSON.stringify(put.body))
      assert.equal(put.body.error, 'invalid_token')
      assert.match(put.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
      await assertGone(c)
    })

    it('a PUT landing between a DELETE\'s read and its delete is simply deleted after it', async () => {
      const c = await registerClient()
      let put: Awaited<ReturnType<typeof c.put>> | undefined
      storage.beforeNextDelete(async () => {
        put = await c.put('updated first')
      })
      assert.equal(await c.remove(), 204)
      assert.equal(put?.status, 200, 'the PUT ran inside the DELETE')
      await assertGone(c)
    })

    it('of two DELETEs, one gets 204 and the other 401 (the client no longer exists)', async () => {
      const c = await registerClient()
      let inner: number | undefined
      storage.beforeNextDelete(async () => {
        inner = await c.remove()
      })
      assert.equal(await c.remove(), 401)
      assert.equal(inner, 204)
      await assertGone(c)
    })

    it('a PUT that loses the race to another PUT is applied on top of it, neither lost nor undoing it', async () => {
      const c = await registerClient()
      let inner: Awaited<ReturnType<typeof c.put>> | undefined
      storage.beforeNextUpdate(async () => {
        inner = await c.put('inner')
      })
      const outer = await c.put('outer')
      assert.equal(inner?.status, 200)
      assert.equal(outer.status, 200, JSON.stringify(outer.body))
      assert.equal(outer.body.client_name, 'outer')
      assert.equal((await c.read()).body.client_name, 'outer', 'the PUT that finished last is the registration')
      assert.equal((await storage.getClient(c.id))?.revision, 2, 'two updates, each over the one before')
      assert.equal(await c.authenticate(), 200)
    })

    it('a PUT that loses twice answers 409 and changes nothing itself', async () => {
      const c = await registerClient()
      storage.beforeNextUpdate(async () => {
        assert.equal((await c.put('first')).status, 200)
        // Armed once the first is stored: lands between the retry's read and write.
        storage.beforeNextUpdate(async () => {
          assert.equal((await c.put('second')).status, 200)
        })
      })
      const outer = await c.put('outer')
      assert.equal(outer.status, 409, JSON.stringify(outer.body))
      assert.equal(outer.body.error, 'temporarily_unavailable')
      assert.equal((await c.read()).body.client_name, 'second')
    })
  })
}

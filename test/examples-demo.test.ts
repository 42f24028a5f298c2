// The example OPs (examples/express, examples/koa) on real ports: the demo authentication-device
// API contract, the whole poll flow from the device API to tokens, and the demo client against
// the real OP over HTTP.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { DEFAULT_DELIVERY_MODES, type RunningExample } from '../examples/demo-ui/src/index.js'
import { openSse } from '../examples/demo-ui/test/sse.js'
import { startExample as startExpress } from '../examples/express/src/app.js'
import { startExample as startKoa } from '../examples/koa/src/app.js'

const CIBA = 'urn:openid:params:grant-type:ciba'
const DEMO_AUTH = `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`
const root = new URL('..', import.meta.url).pathname

const examples = { express: startExpress, koa: startKoa } as const

async function form(url: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: DEMO_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

for (const [name, startExample] of Object.entries(examples)) {
  describe(`example OP (${name})`, () => {
    let op: RunningExample
    before(async () => {
      op = await startExample({ port: 0, host: '127.0.0.1', pollInterval: 1, quiet: true })
    })
    after(() => op.close())

    const start = async (params: Record<string, string> = {}) => {
      const res = await form(`${op.issuer}/backchannel-authentication`, {
        scope: 'openid profile email',
        login_hint: 'alice@example.com',
        binding_message: 'Pump 7 code K2',
        ...params,
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return res.body.auth_req_id as string
    }
    const modes = () => op.provider.metadata.backchannel_token_delivery_modes_supported as string[]
    const device = (path: string, method = 'GET') => fetch(`${op.url}/device/api${path}`, { method })
    const pending = async (query = '') => (await (await device(`/requests${query}`)).json()) as Array<Record<string, unknown>>
    const token = (authReqId: string) => form(`${op.issuer}/token`, { grant_type: CIBA, auth_req_id: authReqId })

    it('serves discovery at the issuer', async () => {
      assert.equal(op.issuer, op.url)
      const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.equal(doc.issuer, op.issuer)
      assert.deepEqual(doc.backchannel_token_delivery_modes_supported, [...DEFAULT_DELIVERY_MODES])
    })

    it('lists a pending request on the device API with what the user must see', async () => {
      const id = await start()
      const mine = (await pending('?sub=alice')).find((r) => r.id === id)
      assert.ok(mine, 'the request is listed for alice')
      assert.equal(mine.binding_message, 'Pump 7 code K2')
      assert.equal(mine.scope, 'openid profile email')
      assert.equal(mine.client_id, 'demo-client')
      assert.equal(mine.client_name, 'Demo Client')
      assert.equal(mine.sub, 'alice')
      assert.equal(typeof mine.expires_at, 'number')
      assert.equal((await pending('?sub=bob')).some((r) => r.id === id), false)
      const early = await token(id)
      assert.equal(early.status, 400)
      assert.equal(early.body.error, 'authorization_pending')
    })

    it('approve: 204, then tokens at the token endpoint; approving again is 404', async () => {
      const id = await start()
      const approved = await device(`/requests/${encodeURIComponent(id)}/approve`, 'POST')
      assert.equal(approved.status, 204)
      assert.equal((await device(`/requests/${encodeURIComponent(id)}/approve`, 'POST')).status, 404)
      assert.equal((await device(`/requests/${encodeURIComponent(id)}/deny`, 'POST')).status, 404)
      assert.equal((await pending()).some((r) => r.id === id), false)

      const tokens = await token(id)
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      assert.equal(tokens.body.token_type, 'Bearer')
      assert.equal(typeof tokens.body.refresh_token, 'string')
      const jwks = createRemoteJWKSet(new URL(`${op.issuer}/jwks`))
      const { payload } = await jwtVerify(tokens.body.id_token as string, jwks, { issuer: op.issuer, audience: 'demo-client' })
      assert.equal(payload.sub, 'alice')
      assert.equal(typeof payload.auth_time, 'number') // require_auth_time
      assert.deepEqual(payload.amr, ['user'])

      const userinfo = await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } })
      assert.equal(userinfo.status, 200)
      assert.deepEqual(await userinfo.json(), {
        sub: 'alice',
        name: 'Alice Anderson',
        given_name: 'Alice',
        family_name: 'Anderson',
        preferred_username: 'alice',
        email: 'alice@example.com',
        email_verified: true,
      })
    })

    it('deny: 204, and the client gets access_denied', async () => {
      const id = await start({ login_hint: 'bob' })
      assert.equal((await pending('?sub=bob')).some((r) => r.id === id), true)
      assert.equal((await device(`/requests/${encodeURIComponent(id)}/deny`, 'POST')).status, 204)
      assert.equal((await device(`/requests/${encodeURIComponent(id)}/approve`, 'POST')).status, 404)
      const denied = await token(id)
      assert.equal(denied.body.error, 'access_denied')
    })

    it('an unknown id is 404', async () => {
      assert.equal((await device('/requests/no-such-request/approve', 'POST')).status, 404)
      assert.equal((await device('/requests/no-such-request/deny', 'POST')).status, 404)
    })

    it('the demo client gets tokens from the OP over HTTP once the device approves', async () => {
      const res = await fetch(`${op.url}/client/api/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login_hint: 'alice', binding_message: 'Till 2', mode: 'poll' }),
      })
      assert.equal(res.status, 201)
      const flow = (await res.json()) as { id: string; auth_req_id: string }
      const stream = await openSse(`${op.url}/client/api/flows/${flow.id}/events`)
      try {
        assert.equal((await stream.next()).event, 'started')
        const listed = (await pending('?sub=alice')).find((r) => r.id === flow.auth_req_id)
        assert.equal(listed?.binding_message, 'Till 2')
        assert.equal((await device(`/requests/${encodeURIComponent(flow.auth_req_id)}/approve`, 'POST')).status, 204)
        let e = await stream.next()
        while (e.event === 'poll') e = await stream.next()
        assert.equal(e.event, 'tokens', JSON.stringify(e.data))
        const data = e.data as { id_token_claims: Record<string, unknown>; userinfo: Record<string, unknown> }
        assert.equal(data.id_token_claims.sub, 'alice')
        assert.equal(data.userinfo.email, 'alice@example.com')
      } finally {
        stream.close()
      }
    })

    for (const mode of ['ping', 'push'] as const) {
      for (const decision of ['approve', 'deny'] as const) {
        it(`the demo client in ${mode} mode: the OP notifies it after ${decision}`, async (t) => {
          if (!modes().includes(mode)) return t.skip(`${mode} is not enabled in the example OP (DEFAULT_DELIVERY_MODES)`)
          const res = await fetch(`${op.url}/client/api/flows`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ login_hint: 'bob', binding_message: `${mode} ${decision}`, mode }),
          })
          assert.equal(res.status, 201, await res.clone().text())
          const flow = (await res.json()) as { id: string; auth_req_id: string }
          const stream = await openSse(`${op.url}/client/api/flows/${flow.id}/events`)
          try {
            assert.equal((await stream.next()).event, 'started')
            assert.equal((await device(`/requests/${encodeURIComponent(flow.auth_req_id)}/${decision}`, 'POST')).status, 204)
            const note = await stream.next(15_000)
            assert.equal(note.event, 'notification', JSON.stringify(note.data))
            assert.equal((note.data as { kind: string }).kind, mode)
            const end = await stream.next(15_000)
            if (decision === 'approve') {
              assert.equal(end.event, 'tokens', JSON.stringify(end.data))
              assert.equal((end.data as { id_token_claims: Record<string, unknown> }).id_token_claims.aud, `demo-client-${mode}`)
            } else {
              assert.equal(end.event, 'failed')
              assert.equal((end.data as { error: string }).error, 'access_denied')
            }
          } finally {
            stream.close()
          }
        })
      }
    }
  })
}

describe('example entry points', () => {
  for (const name of ['express', 'koa']) {
    it(`${name}: main.ts reads PORT and prints the discovery, /device and /client URLs`, async () => {
      const child = spawn(process.execPath, ['--conditions=@ciba-kit/source', '--import', 'tsx', `examples/${name}/src/main.ts`], {
        cwd: root,
        env: { ...process.env, PORT: '0', POLL_INTERVAL: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ready line; output: ${out}`)), 30_000)
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString()
            if (out.includes('/client')) {
              clearTimeout(timer)
              resolve()
            }
          })
          child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
          child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)))
        })
        const discovery = /discovery:\s+(http:\/\/localhost:\d+\/\.well-known\/openid-configuration)/.exec(out)?.[1]
        assert.ok(discovery, out)
        assert.match(out, /http:\/\/localhost:\d+\/device/)
        assert.match(out, /http:\/\/localhost:\d+\/client/)
        const doc = (await (await fetch(discovery)).json()) as { issuer: string }
        assert.equal(doc.issuer, discovery.replace('/.well-known/openid-configuration', ''))
      } finally {
        child.kill('SIGTERM')
      }
    })
  }
})

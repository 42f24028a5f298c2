// The demo in a real browser (issue 7 §4): /client starts a CIBA flow, /device shows it live,
// the user approves or denies, and /client shows the ID token claims or access_denied.
// Screenshots of every step go to test-artifacts/browser/.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { RunningExample } from '../examples/demo-ui/src/index.js'
import { startExample as startExpress } from '../examples/express/src/app.js'
import { startExample as startKoa } from '../examples/koa/src/app.js'
import { chromiumUnavailable, launchChromium } from './browser-chromium.js'

const ARTIFACTS = join(new URL('..', import.meta.url).pathname, 'test-artifacts', 'browser')
const WAIT = { timeout: 20_000 }
const unavailable = chromiumUnavailable()

if (unavailable !== undefined) {
  if (process.env.CI) {
    it('Chromium is installed for the browser tests', () => assert.fail(`CI=${process.env.CI}: ${unavailable}`))
  } else {
    console.log(`# browser tests skipped: ${unavailable}`)
  }
}

const examples = { express: startExpress, koa: startKoa } as const
const skip = unavailable === undefined ? false : `browser tests skipped: ${unavailable}`

for (const [name, startExample] of Object.entries(examples)) {
  describe(`demo pages in Chromium (${name})`, { skip }, () => {
    let op: RunningExample
    let browser: Browser
    let context: BrowserContext
    let step = 0

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true })
      ;[op, browser] = await Promise.all([startExample({ port: 0, host: '127.0.0.1', pollInterval: 1, quiet: true }), launchChromium()])
      context = await browser.newContext({ viewport: { width: 900, height: 1000 } })
    })
    after(async () => {
      await context?.close()
      await browser?.close()
      await op?.close()
    })

    const shot = async (page: Page, label: string) => {
      step += 1
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${String(step).padStart(2, '0')}-${label}.png`), fullPage: true })
    }

    const openClient = async () => {
      const page = await context.newPage()
      await page.goto(`${op.url}/client`)
      await page.locator('#op', { hasText: 'OP: ' }).waitFor(WAIT)
      return page
    }

    const startFlow = async (page: Page, loginHint: string, bindingMessage: string, mode: 'Poll' | 'Ping' | 'Push' = 'Poll') => {
      await page.getByLabel('Login hint').fill(loginHint)
      await page.getByLabel('Binding message').fill(bindingMessage)
      await page.getByLabel(mode).check()
      await page.getByRole('button', { name: 'Start authentication' }).click()
      await page.locator('#auth_req_id').filter({ hasText: /\S{20,}/ }).waitFor(WAIT)
      return (await page.locator('#auth_req_id').textContent()) ?? ''
    }

    const openDevice = async (sub: string) => {
      const page = await context.newPage()
      await page.goto(`${op.url}/device?sub=${sub}`)
      await page.locator('#connection', { hasText: `Connected as ${sub}` }).waitFor(WAIT)
      return page
    }

    const card = (device: Page, bindingMessage: string) => device.locator('li.card', { hasText: bindingMessage })

    it('poll: start on /client, approve on /device, see the ID token claims and userinfo', async () => {
      const client = await openClient()
      const enabled = op.provider.metadata.backchannel_token_delivery_modes_supported as string[]
      for (const mode of ['Ping', 'Push']) {
        // A mode the OP does not advertise is shown as not available yet.
        if (!enabled.includes(mode.toLowerCase())) assert.equal(await client.getByLabel(mode).isDisabled(), true)
      }
      const binding = `Desk ${name.length} code A${step}X`
      await shot(client, 'client-ready')
      const authReqId = await startFlow(client, 'alice', binding)
      await client.locator('#log li', { hasText: 'Poll #1: authorization_pending' }).waitFor(WAIT)
      await shot(client, 'client-polling')

      const device = await openDevice('alice')
      const request = card(device, binding)
      await request.waitFor(WAIT)
      assert.equal(await request.locator('.binding').textContent(), binding)
      assert.equal(await request.getAttribute('data-request-id'), authReqId)
      assert.equal(await request.locator('[data-field=scope]').textContent(), 'openid profile email')
      assert.match((await request.locator('h3').textContent()) ?? '', /Demo Client asks you to sign in/)
      await shot(device, 'device-request')
      await request.getByRole('button', { name: /^Approve/ }).click()
      await request.waitFor({ state: 'detached', ...WAIT })
      await shot(device, 'device-approved')

      await client.locator('#outcome', { hasText: 'Authenticated as alice.' }).waitFor(WAIT)
      const claims = JSON.parse((await client.locator('#claims').textContent()) ?? '{}') as Record<string, unknown>
      assert.equal(claims.sub, 'alice')
      assert.equal(claims.aud, 'demo-client')
      assert.equal(claims.iss, op.issuer)
      assert.equal(typeof claims.auth_time, 'number')
      const userinfo = JSON.parse((await client.locator('#userinfo').textContent()) ?? '{}') as Record<string, unknown>
      assert.equal(userinfo.email, 'alice@example.com')
      await shot(client, 'client-tokens')
      await Promise.all([client.close(), device.close()])
    })

    it('a request arrives live on an open /device page; deny shows access_denied on /client', async () => {
      const device = await openDevice('bob')
      const client = await openClient()
      const binding = `Gate ${name.length} code D${step}Y`
      await startFlow(client, 'bob@example.com', binding)
      const request = card(device, binding)
      await request.waitFor(WAIT) // arrived through server-sent events, no reload
      await shot(device, 'device-live-request')
      await request.getByRole('button', { name: /^Deny/ }).click()
      await request.waitFor({ state: 'detached', ...WAIT })
      await client.locator('#outcome[data-error="access_denied"]').waitFor(WAIT)
      assert.match((await client.locator('#outcome').textContent()) ?? '', /^access_denied/)
      await shot(client, 'client-denied')
      await Promise.all([client.close(), device.close()])
    })

    for (const mode of ['Ping', 'Push'] as const) {
      it(`${mode.toLowerCase()}: the OP calls the client back once alice approves, and the claims appear`, async (t) => {
        const enabled = op.provider.metadata.backchannel_token_delivery_modes_supported as string[]
        if (!enabled.includes(mode.toLowerCase())) return t.skip(`${mode} is not enabled in the example OP (DEFAULT_DELIVERY_MODES)`)
        const client = await openClient()
        assert.equal(await client.getByLabel(mode).isDisabled(), false)
        const device = await openDevice('alice')
        const binding = `${mode} ${name.length} code N${step}Z`
        await startFlow(client, 'alice', binding, mode)
        await client.locator('#log li', { hasText: 'Waiting for the OP to call back' }).waitFor(WAIT)
        const request = card(device, binding)
        await request.waitFor(WAIT)
        await request.getByRole('button', { name: /^Approve/ }).click()
        await client.locator('#log li', { hasText: `Notification received (${mode.toLowerCase()})` }).waitFor(WAIT)
        await client.locator('#outcome', { hasText: 'Authenticated as alice.' }).waitFor(WAIT)
        const claims = JSON.parse((await client.locator('#claims').textContent()) ?? '{}') as Record<string, unknown>
        assert.equal(claims.aud, `demo-client-${mode.toLowerCase()}`)
        if (mode === 'Push') assert.equal(typeof claims['urn:openid:params:jwt:claim:auth_req_id'], 'string')
        await shot(client, `client-${mode.toLowerCase()}-tokens`)
        await Promise.all([client.close(), device.close()])
      })
    }
  })
}

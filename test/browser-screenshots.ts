// Regenerates the README screenshots of the demo pages (docs/images/demo-*.png):
//   node --conditions=@ciba-kit/source --import tsx test/browser-screenshots.ts
// Runs the Express example on port 3000 (PORT to change it), drives one poll flow for alice in
// Debian's Chromium, and captures /device with the request pending and /client with the result.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startExample } from '../examples/express/src/app.js'
import { chromiumUnavailable, launchChromium } from './browser-chromium.js'

const OUT = join(new URL('..', import.meta.url).pathname, 'docs', 'images')
const WAIT = { timeout: 30_000 }

async function main(): Promise<void> {
  const missing = chromiumUnavailable()
  if (missing !== undefined) throw new Error(missing)
  mkdirSync(OUT, { recursive: true })
  const op = await startExample({ port: Number(process.env.PORT ?? 3000), pollInterval: 2, quiet: true })
  const browser = await launchChromium()
  try {
    const context = await browser.newContext({ viewport: { width: 820, height: 900 }, deviceScaleFactor: 1 })
    const client = await context.newPage()
    await client.goto(`${op.url}/client`)
    await client.locator('#op', { hasText: 'OP: ' }).waitFor(WAIT)
    await client.getByLabel('Binding message').fill('Pump 4 code 7QX2')
    await client.getByRole('button', { name: 'Start authentication' }).click()
    await client.locator('#log li', { hasText: 'Poll #1' }).waitFor(WAIT)

    const device = await context.newPage()
    await device.setViewportSize({ width: 600, height: 760 })
    await device.goto(`${op.url}/device?sub=alice`)
    const card = device.locator('li.card', { hasText: 'Pump 4 code 7QX2' })
    await card.waitFor(WAIT)
    await device.screenshot({ path: join(OUT, 'demo-device.png'), fullPage: true })
    await card.getByRole('button', { name: /^Approve/ }).click()

    await client.locator('#outcome', { hasText: 'Authenticated as alice.' }).waitFor(WAIT)
    await client.evaluate('document.activeElement && document.activeElement.blur()')
    await client.screenshot({ path: join(OUT, 'demo-client.png'), fullPage: true })
    console.log(`wrote ${join(OUT, 'demo-device.png')} and ${join(OUT, 'demo-client.png')}`)
  } finally {
    await browser.close()
    await op.close()
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})

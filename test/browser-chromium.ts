// Shared by the browser tests and the README screenshot script: Debian's Chromium, never a
// downloaded browser.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Where `.ci/run` installs Chromium (`apt-get install chromium`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Why browser tests cannot run here, or `undefined` when they can. In CI a missing browser is a
 * failure (the caller asserts); elsewhere the tests skip with this reason printed.
 */
export function chromiumUnavailable(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (install it with: apt-get install -y chromium)`
}

/** Launches headless Chromium (no sandbox: CI containers run as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}

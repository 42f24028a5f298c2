/**
 * Redis round trips per request: one request at a time (so every command the target sends is
 * attributable to it), reading the target's command counter before and after each request.
 */
import { BC_AUTH_BODY, CLIENTS, CONTROL_PREFIX, basicAuth } from '../config.js'
import { pollBody } from './scenarios.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const AUTH = { ...FORM, authorization: basicAuth(CLIENTS.ES256) }

async function counter(url: string): Promise<number> {
  const res = await fetch(`${url}${CONTROL_PREFIX}counters`, { method: 'POST' })
  return ((await res.json()) as { redisCommands?: number }).redisCommands ?? Number.NaN
}

async function post(url: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** Mean round trips per request kind over `n` sequential flows. Throws on a wrong answer. */
export async function probeRoundTrips(url: string, n = 20): Promise<Record<string, number>> {
  const totals: Record<string, number> = { 'backchannel authentication': 0, 'poll, pending': 0, 'poll, slow_down': 0, 'approve (provider.approve)': 0, 'redeem (token response)': 0 }
  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    const before = await counter(url)
    await fn()
    totals[name] = (totals[name] ?? 0) + (await counter(url)) - before
  }
  for (let i = 0; i < n; i += 1) {
    let id = ''
    const expect = (r: { status: number; json: Record<string, unknown> }, status: number, error?: string): void => {
      if (r.status !== status || (error !== undefined && r.json.error !== error)) throw new Error(`probe: expected ${status} ${error ?? ''}, got ${r.status} ${JSON.stringify(r.json)}`)
    }
    await step('backchannel authentication', async () => {
      const r = await post(url, '/backchannel-authentication', AUTH, BC_AUTH_BODY)
      expect(r, 200)
      id = r.json.auth_req_id as string
    })
    await step('poll, pending', async () => expect(await post(url, '/token', AUTH, pollBody(id)), 400, 'authorization_pending'))
    await step('poll, slow_down', async () => expect(await post(url, '/token', AUTH, pollBody(id)), 400, 'slow_down'))
    await step('approve (provider.approve)', async () => expect(await post(url, `${CONTROL_PREFIX}approve`, FORM, `auth_req_id=${id}`), 200))
    await step('redeem (token response)', async () => expect(await post(url, '/token', AUTH, pollBody(id)), 200))
  }
  return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / n]))
}

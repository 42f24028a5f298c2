/**
 * What each scenario sends and how every response is judged. Every response is classified
 * (status + OAuth error code) and counted; every SAMPLE_EVERY-th body is parsed and checked
 * field by field; flows parse every token response and keep sample ID tokens, which are
 * verified against the target's JWKS after the cell.
 */
import { performance } from 'node:perf_hooks'
import { BC_AUTH_BODY, CIBA_GRANT, CLIENTS, CONTROL_PREFIX, basicAuth, type BenchClient } from '../config.js'
import type { CellSpec } from '../types.js'
import { formPost, type Script } from './http-load.js'
import { Tally, classify } from './tally.js'

/** Every `SAMPLE_EVERY`-th response body is parsed and checked in depth. */
const SAMPLE_EVERY = 64
const ID_PATTERN = /^[A-Za-z0-9_-]{22,}$/

export interface Plan {
  readonly script: Script<unknown>
  readonly unit: 'req/s' | 'flows/s'
  /** Response classes that are correct for this scenario/target. */
  readonly allowed: readonly string[]
  readonly flow: boolean
  /** ID tokens (and access tokens) kept for verification after the cell. */
  readonly samples: { idToken: string; accessToken: string }[]
  readonly client: BenchClient
}

function parse(body: string, tally: Tally): Record<string, unknown> | undefined {
  try {
    tally.checked += 1
    return JSON.parse(body) as Record<string, unknown>
  } catch {
    tally.problem(`unparseable body: ${body.slice(0, 80)}`)
    return undefined
  }
}

function checkAuthResponse(body: Record<string, unknown>, tally: Tally): void {
  const { auth_req_id: id, expires_in: expiresIn, interval } = body
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) tally.problem('auth_req_id missing or malformed')
  if (!Number.isInteger(expiresIn) || (expiresIn as number) <= 0) tally.problem('expires_in missing or not a positive integer')
  if (interval !== undefined && (!Number.isInteger(interval) || (interval as number) < 1)) tally.problem('interval malformed')
}

function checkTokenResponse(body: Record<string, unknown>, tally: Tally): boolean {
  const ok =
    typeof body.access_token === 'string' &&
    typeof body.id_token === 'string' &&
    typeof body.refresh_token === 'string' &&
    typeof body.token_type === 'string' &&
    body.token_type.toLowerCase() === 'bearer' &&
    Number.isInteger(body.expires_in)
  if (!ok) tally.problem(`token response lacks fields: ${Object.keys(body).join(',')}`)
  return ok
}

/** Token endpoint poll body for one `auth_req_id` (CIBA Core §10.1). */
export function pollBody(authReqId: string): string {
  return `grant_type=${encodeURIComponent(CIBA_GRANT)}&auth_req_id=${authReqId}`
}

/** One request shape repeated; every response classified, a sample checked in depth. */
function repeated(
  tally: Tally,
  allowed: readonly string[],
  request: () => string,
  deep: (body: Record<string, unknown>) => void,
): Script<null> {
  let n = 0
  return {
    context: () => null,
    next: request,
    response(_c, status, body, ms) {
      tally.latencies.push(ms)
      const key = classify(status, body)
      tally.count(key)
      if (allowed.includes(key)) tally.success(performance.now())
      if (n++ % SAMPLE_EVERY === 0) {
        const parsed = parse(body, tally)
        if (parsed !== undefined) deep(parsed)
      }
    },
  }
}

/** Build the plan for a cell. `pool` holds seeded pending ids (poll / slow-down). */
export function planFor(cell: CellSpec, tally: Tally, pool: readonly string[]): Plan {
  const host = new URL(cell.url).host
  const es = CLIENTS.ES256
  const auth = `Authorization: ${basicAuth(es)}\r\n`
  const base = { flow: false, samples: [], client: es, unit: 'req/s' as const }
  switch (cell.scenario) {
    case 'ceiling': {
      const allowed = ['200']
      const raw = formPost('/token', host, pollBody('x'.repeat(43)), auth)
      const deep = (b: Record<string, unknown>): void => {
        if (b.ok !== true) tally.problem('ceiling body lacks ok:true')
      }
      return { ...base, allowed, script: repeated(tally, allowed, () => raw, deep) }
    }
    case 'bc-auth': {
      const allowed = ['200']
      const raw = formPost('/backchannel-authentication', host, BC_AUTH_BODY, auth)
      return { ...base, allowed, script: repeated(tally, allowed, () => raw, (b) => checkAuthResponse(b, tally)) }
    }
    case 'poll':
    case 'slow-down': {
      // The peer has no slow_down; ciba-kit answers authorization_pending to the first poll of
      // an id and slow_down to the too-early ones that follow.
      const allowed = cell.scenario === 'poll' ? ['400 authorization_pending'] : ['400 slow_down', '400 authorization_pending']
      const requests = pool.map((id) => formPost('/token', host, pollBody(id), auth))
      let next = 0
      const deep = (b: Record<string, unknown>): void => {
        if (typeof b.error !== 'string' || !allowed.includes(`400 ${b.error}`)) tally.problem(`poll answered ${String(b.error)}`)
      }
      return { ...base, allowed, script: repeated(tally, allowed, () => requests[next++ % requests.length] ?? '', deep) }
    }
    case 'flow-es256':
    case 'flow-rs256':
      return flowPlan(cell.scenario === 'flow-es256' ? es : CLIENTS.RS256, host, tally)
  }
}

interface FlowContext {
  step: 0 | 1 | 2
  id: string
  t0: number
}

/** authenticate -> approve (bench control endpoint, in the target) -> redeem, per connection. */
function flowPlan(client: BenchClient, host: string, tally: Tally): Plan {
  const samples: { idToken: string; accessToken: string }[] = []
  const auth = `Authorization: ${basicAuth(client)}\r\n`
  const authenticate = formPost('/backchannel-authentication', host, BC_AUTH_BODY, auth)
  let flows = 0
  const script: Script<FlowContext> = {
    context: () => ({ step: 0, id: '', t0: 0 }),
    next(c) {
      if (c.step === 0) {
        c.t0 = performance.now()
        return authenticate
      }
      if (c.step === 1) return formPost(`${CONTROL_PREFIX}approve`, host, `auth_req_id=${c.id}`)
      return formPost('/token', host, pollBody(c.id), auth)
    },
    response(c, status, body) {
      if (c.step === 0) {
        const parsed = status === 200 ? (JSON.parse(body) as { auth_req_id?: unknown }) : undefined
        if (typeof parsed?.auth_req_id !== 'string') return tally.count(`authenticate ${classify(status, body)}`)
        c.id = parsed.auth_req_id
        c.step = 1
        return
      }
      if (c.step === 1) {
        if (status === 200) c.step = 2
        else {
          tally.count(`approve ${status}`)
          c.step = 0
        }
        return
      }
      c.step = 0
      tally.count(classify(status, body))
      if (status !== 200) return
      const parsed = parse(body, tally)
      if (parsed === undefined || !checkTokenResponse(parsed, tally)) return
      const now = performance.now()
      tally.success(now)
      tally.latencies.push(now - c.t0)
      if (flows++ % SAMPLE_EVERY === 0 && samples.length < 64) {
        samples.push({ idToken: parsed.id_token as string, accessToken: parsed.access_token as string })
      }
    },
  }
  return { script, unit: 'flows/s', allowed: ['200'], flow: true, samples, client }
}

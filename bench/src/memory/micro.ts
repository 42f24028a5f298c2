/**
 * CPU cost per call of the core handlers in-process (no HTTP): the part of a request that is
 * ciba-kit's own. `--profile=FILE` writes a CPU profile of the measured calls.
 *
 *   node --conditions=@ciba-kit/source --import tsx src/memory/micro.ts [--profile=out.cpuprofile]
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { createProvider, type CibaProvider } from '@ciba-kit/core'
import { POLL_INTERVAL, USER, benchProviderBase } from '../config.js'
import { generateKeys } from '../keys.js'
import { IdArena, authenticate, poll } from './drive.js'

const { values: args } = parseArgs({ options: { profile: { type: 'string' }, n: { type: 'string', default: '20000' } } })
const N = Number(args.n)
let now = Math.floor(Date.now() / 1000)
const provider: CibaProvider = createProvider({ ...benchProviderBase(), signingKeys: await generateKeys(), clock: () => now })
await provider.ready()

async function cpuPerCall(label: string, n: number, op: (i: number) => Promise<unknown>): Promise<void> {
  const start = process.cpuUsage()
  for (let i = 0; i < n; i += 1) await op(i)
  const used = process.cpuUsage(start)
  console.log(`${label.padEnd(32)} ${((used.user + used.system) / n).toFixed(1)} µs CPU per call`)
}

const ids = new IdArena()
for (let i = 0; i < 2 * N; i += 1) ids.push(await authenticate(provider)) // also JIT warm-up
for (let i = 0; i < N; i += 1) await poll(provider, ids.get(i)) // warm-up
now += POLL_INTERVAL

let session: Session | undefined
if (args.profile !== undefined) {
  session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
await cpuPerCall('backchannel authentication', N, async () => ids.push(await authenticate(provider)))
const expect = (want: string) => async (id: string): Promise<void> => {
  const answer = await poll(provider, id)
  if (answer !== want) throw new Error(`poll answered ${answer}, expected ${want}`)
}
await cpuPerCall('token poll, pending', N, (i) => expect('authorization_pending')(ids.get(N + i)))
await cpuPerCall('token poll, slow_down', N, (i) => expect('slow_down')(ids.get(N + i)))
let approvedAt = 2 * N
await cpuPerCall('approve', N / 4, async () => {
  if (!(await provider.approve(ids.get(approvedAt++), { sub: USER })).ok) throw new Error('approve failed')
})
let redeemAt = 2 * N
await cpuPerCall('redeem (ES256 ID token)', N / 4, async () => {
  const answer = await poll(provider, ids.get(redeemAt++))
  if (answer !== 'tokens') throw new Error(`redeem answered ${answer}`)
})
if (session !== undefined && args.profile !== undefined) {
  const { profile } = await session.post('Profiler.stop')
  writeFileSync(args.profile, JSON.stringify(profile))
}

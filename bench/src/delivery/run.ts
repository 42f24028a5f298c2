/**
 * `pnpm --filter @ciba-kit/bench bench:delivery`: ping/push delivery through the outbox worker
 * to a local HTTPS receiver (its own throw-away CA, made with the openssl CLI; TLS verified).
 *
 *   latency: sequential approve() -> receiver got the notification (the in-process kick path)
 *   drain:   N notifications queued with the worker off, then runOnce() drains them
 *            (concurrency 16), in notifications per second
 * The receiver runs in this process (a lower bound). For MemoryStorage and, when reachable, Redis (CIBA_BENCH_REDIS_URL, default redis://127.0.0.1:6379).
 *
 *   --count=N   notifications per drain cell (default 2000); --quick: 300
 */
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportJWK, generateKeyPair } from 'jose'
import { Redis } from 'ioredis'
import { createProvider, MemoryStorage, type CibaProvider, type CibaStorage, type NeutralRequest } from '@ciba-kit/core'
import { createRedisStorage, recommendedRedisOptions } from '@ciba-kit/storage-redis'

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, count: { type: 'string' } } })
const COUNT = Number(args.count ?? (args.quick ? 300 : 2000))
const CIBA = 'urn:openid:params:grant-type:ciba'

function pki(): { ca: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ciba-bench-pki-'))
  const ssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=bench CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign')
    ssl('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1')
    writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '1', '-extfile', 'ext')
    return { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), key: readFileSync(join(dir, 'leaf.key'), 'utf8'), cert: readFileSync(join(dir, 'leaf.pem'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const { ca, key, cert } = pki()
let received = 0
const waiters: Array<() => void> = []
const receiver = createServer({ key, cert }, (req, res) => {
  req.resume()
  req.on('end', () => {
    received++
    for (const w of waiters.splice(0)) w()
    res.writeHead(204).end()
  })
})
receiver.listen(0, '127.0.0.1')
await once(receiver, 'listening')
const origin = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}`
const untilReceived = (n: number) => new Promise<void>((resolve) => {
  const check = () => (received >= n ? resolve() : waiters.push(check))
  check()
})

const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const signingKeys = [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256' }]
const auth = (id: string) => 'Basic ' + Buffer.from(`${id}:${id}-secret`).toString('base64')

function provider(storage: CibaStorage, worker: boolean): CibaProvider {
  return createProvider({
    issuer: 'https://op.bench',
    signingKeys,
    storage,
    deliveryModes: ['ping', 'push'],
    clients: ['ping', 'push'].map((mode) => ({
      client_id: mode, client_secret: `${mode}-secret`, grant_types: [CIBA, 'refresh_token'], id_token_signed_response_alg: 'ES256',
      backchannel_token_delivery_mode: mode as 'ping' | 'push', backchannel_client_notification_endpoint: `${origin}/${mode}`,
    })),
    users: { findByLoginHint: (hint) => ({ sub: hint }), claims: () => ({}) },
    notifier: { notify: () => {} },
    delivery: { ca, worker, concurrency: 16 },
  })
}

async function start(p: CibaProvider, mode: string): Promise<string> {
  const req: NeutralRequest = {
    method: 'POST', path: '/backchannel-authentication',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth(mode) },
    body: `scope=openid&login_hint=alice&client_notification_token=bench-${mode}`,
  }
  const res = await p.handle(req)
  return (JSON.parse(res!.body!) as { auth_req_id: string }).auth_req_id
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

async function cell(name: string, makeStorage: () => CibaStorage, mode: 'ping' | 'push'): Promise<string> {
  // Latency: one at a time through the kick path.
  const live = provider(makeStorage(), true)
  const samples: number[] = []
  for (let i = 0; i < Math.min(COUNT, 300); i++) {
    const id = await start(live, mode)
    const target = received + 1
    const t0 = performance.now()
    await live.approve(id)
    await untilReceived(target)
    samples.push(performance.now() - t0)
  }
  await live.close()
  samples.sort((a, b) => a - b)

  // Drain: queue COUNT decisions with the worker off, then drain them.
  const storage = makeStorage()
  const queued = provider(storage, false)
  for (let i = 0; i < COUNT; i++) await queued.approve(await start(queued, mode))
  const base = received
  const t0 = performance.now()
  const summary = await queued.deliveries.runOnce()
  const seconds = (performance.now() - t0) / 1000
  if (summary.delivered !== COUNT || received - base !== COUNT) throw new Error(`${name}/${mode}: delivered ${summary.delivered}/${COUNT}`)
  await queued.close()
  return `| ${name} | ${mode} | ${pct(samples, 0.5)!.toFixed(2)} | ${pct(samples, 0.99)!.toFixed(2)} | ${Math.round(COUNT / seconds)} |`
}

const rows = ['| storage | mode | approve→received p50 ms | p99 ms | drain notifications/s |', '|---|---|---|---|---|']
for (const mode of ['ping', 'push'] as const) rows.push(await cell('memory', () => new MemoryStorage(), mode))

const redisUrl = process.env['CIBA_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379'
const redis = new Redis(redisUrl, { ...recommendedRedisOptions, lazyConnect: true })
redis.on('error', () => {})
try {
  await redis.connect()
  const prefix = `ciba-bench-delivery:${Date.now()}:`
  for (const mode of ['ping', 'push'] as const) rows.push(await cell('redis', () => createRedisStorage(redis, { keyPrefix: prefix }), mode))
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
  await redis.quit()
} catch (error) {
  console.log(`# redis skipped: ${error instanceof Error ? error.message : String(error)}`)
  redis.disconnect()
}
receiver.close()
console.log(`delivery bench: ${COUNT} notifications per drain cell, node ${process.version}\n`)
console.log(rows.join('\n'))

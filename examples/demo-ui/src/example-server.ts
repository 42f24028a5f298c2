import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CibaProvider, CibaStorage, ClientMetadata, UserResolver } from '@ciba-kit/core'
import { connectRedisStorage } from '@ciba-kit/storage-redis'
import { readFile, writeFile } from 'node:fs/promises'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { createDemoClient, type DemoClient } from './client.js'
import { DEMO_CLIENTS, createDemoUsers, demoClientMetadata, type DemoDeliveryMode } from './demo-config.js'
import { createDemoDevice, type DemoDevice } from './device.js'
import type { NodeHandler } from './http.js'

/** How to run an example OP (the environment variables of the README, or a test's choice). */
export interface ExampleOptions {
  /** Port to listen on; `0` picks a free one (tests). Default 3000. */
  readonly port?: number
  /** Interface to bind. Default: every interface. Tests use `127.0.0.1`. */
  readonly host?: string
  /** The OP's issuer. Default `http://localhost:$PORT` (or `http://$host:$PORT` when `host` is given). */
  readonly issuer?: string
  /** Seconds between polls (`interval`, CIBA §7.3). Default 5. */
  readonly pollInterval?: number
  /**
   * Token delivery modes to enable. Default {@link DEFAULT_DELIVERY_MODES}. Adding `ping`/`push` registers a demo
   * client for each (notification endpoint: the demo client's `/client/api/notify`) and offers
   * the mode on `/client`; the OP must support the mode.
   */
  readonly deliveryModes?: readonly DemoDeliveryMode[]
  /** Do not print the URLs (tests). */
  readonly quiet?: boolean
  /**
   * A JSON file of private JWKs shared by several OP processes (e.g. with `REDIS_URL`): created with
   * fresh keys by the first process (exclusive create, mode 0600), read by the others, so they publish
   * one JWKS and can open each other's sealed outbox. Default: fresh keys in memory per process.
   * A production OP loads its keys from its key store instead.
   */
  readonly signingKeysFile?: string
}

/** Reads `PORT` (default 3000), `ISSUER` (default `http://localhost:$PORT`) and `POLL_INTERVAL` (default 5). */
export function readExampleEnv(env: Readonly<Record<string, string | undefined>> = process.env): ExampleOptions {
  const port = integer(env.PORT, 'PORT', 3000, 0)
  const pollInterval = integer(env.POLL_INTERVAL, 'POLL_INTERVAL', 5, 1)
  return {
    port,
    pollInterval,
    ...(env.ISSUER === undefined || env.ISSUER === '' ? {} : { issuer: env.ISSUER }),
    ...(env.SIGNING_KEYS_FILE === undefined || env.SIGNING_KEYS_FILE === '' ? {} : { signingKeysFile: env.SIGNING_KEYS_FILE }),
  }
}

async function generateSigningKeys(): Promise<JWK[]> {
  const [rsa, ec] = await Promise.all([
    generateKeyPair('RS256', { extractable: true, modulusLength: 2048 }),
    generateKeyPair('ES256', { extractable: true }),
  ])
  return [
    { ...(await exportJWK(rsa.privateKey)), alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.privateKey)), alg: 'ES256', use: 'sig' },
  ]
}

/** Fresh keys, or the keys in `file` (created by whichever process gets there first). */
async function loadSigningKeys(file: string | undefined): Promise<JWK[]> {
  if (file === undefined) return generateSigningKeys()
  const fresh = await generateSigningKeys()
  try {
    await writeFile(file, JSON.stringify({ keys: fresh }), { flag: 'wx', mode: 0o600 })
    return fresh
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  // Another process created it; it may still be writing: retry briefly on a partial file.
  for (let attempt = 0; ; attempt++) {
    try {
      return (JSON.parse(await readFile(file, 'utf8')) as { keys: JWK[] }).keys
    } catch (err) {
      if (attempt >= 20) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

function integer(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > 65535) throw new Error(`${name} must be an integer >= ${min}, got "${value}"`)
  return n
}

/** Everything an example needs to create its provider, prepared by {@link startExampleServer}. */
export interface DemoSetup {
  readonly issuer: string
  /** Freshly generated private keys (RS256 and ES256), for `createProvider({ signingKeys })`. */
  readonly signingKeys: readonly JWK[]
  /** alice and bob. */
  readonly users: UserResolver
  /** demo-client / demo-secret (poll), plus ping/push clients for the modes enabled. */
  readonly clients: ClientMetadata[]
  /** The modes the demo enables (`createProvider({ deliveryModes })`). */
  readonly deliveryModes: readonly DemoDeliveryMode[]
  readonly pollInterval: number
  /** `true` when the issuer is `http` on loopback: the demo client's notification endpoint is then http too. */
  readonly loopbackHttp: boolean
  /** The demo authentication device: pass `device.notifier` to `createProvider`. */
  readonly device: DemoDevice
  /** `/device` and `/client` as one Node handler, once the provider exists. */
  handler(provider: CibaProvider): NodeHandler
}

/** A running example OP. */
export interface RunningExample {
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly issuer: string
  readonly server: Server
  readonly provider: CibaProvider
  readonly device: DemoDevice
  /** Stops everything: event streams, timers, the provider, the server. */
  close(): Promise<void>
}

/**
 * The modes the example OPs enable unless told otherwise: all three (CIBA §5). Ping and push
 * use the demo clients `demo-client-ping` and `demo-client-push`, whose notification endpoint is
 * the demo client's own `/client/api/notify`.
 */
export const DEFAULT_DELIVERY_MODES: readonly DemoDeliveryMode[] = ['poll', 'ping', 'push']

/** Is this path one the demo pages own? (Koa mounts the Node handler only for these.) */
export function isDemoPath(pathname: string): boolean {
  return /^\/(device|client)(\/|$)/.test(pathname)
}

/**
 * Starts an example OP: listens, works out the issuer, generates signing keys, creates the demo
 * device and client, asks `build` for the provider and the framework's request listener, and
 * prints the URLs. Shared by `examples/express` and `examples/koa`, so those stay about the
 * ciba-kit lines an integrator writes.
 */
export async function startExampleServer(
  options: ExampleOptions,
  name: string,
  build: (setup: DemoSetup) => { provider: CibaProvider; listener: RequestListener },
): Promise<RunningExample> {
  // Listen first (port 0 must be resolved to build the issuer), but answer 503 until the OP is
  // built, so a request arriving during start-up never hangs.
  let ready: RequestListener | undefined
  const server = createServer((req, res) => {
    if (ready !== undefined) return ready(req, res)
    res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('starting')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const issuer = (options.issuer ?? `http://${options.host ?? 'localhost'}:${port}`).replace(/\/$/, '')
  const url = `http://${options.host ?? 'localhost'}:${port}`
  const loopbackHttp = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(issuer)

  const signingKeys = await loadSigningKeys(options.signingKeysFile)
  const deliveryModes: readonly DemoDeliveryMode[] = options.deliveryModes ?? DEFAULT_DELIVERY_MODES
  const device = createDemoDevice()
  const client: DemoClient = createDemoClient({
    issuer,
    clientId: DEMO_CLIENTS.poll.clientId,
    clientSecret: DEMO_CLIENTS.poll.clientSecret,
    ...(deliveryModes.includes('ping') ? { ping: DEMO_CLIENTS.ping } : {}),
    ...(deliveryModes.includes('push') ? { push: DEMO_CLIENTS.push } : {}),
  })

  let built: { provider: CibaProvider; listener: RequestListener }
  try {
    built = build({
      issuer,
      signingKeys,
      users: createDemoUsers(),
      clients: demoClientMetadata({ baseUrl: issuer, modes: deliveryModes }),
      deliveryModes,
      pollInterval: options.pollInterval ?? 5,
      loopbackHttp,
      device,
      handler(provider) {
        const deviceHandler = device.handler(provider)
        return (req, res, next) => deviceHandler(req, res, () => client.handler(req, res, next))
      },
    })
    await built.provider.ready()
  } catch (err) {
    device.close()
    client.close()
    server.close()
    throw err
  }
  const { provider, listener } = built
  ready = listener

  if (options.quiet !== true) {
    console.log(
      [
        `ciba-kit demo OP (${name}) is ready.`,
        `  discovery:              ${issuer}/.well-known/openid-configuration`,
        `  authentication device:  ${url}/device   (the user's phone: approve or deny)`,
        `  demo client:            ${url}/client   (start a CIBA flow for alice or bob)`,
        `  client: ${DEMO_CLIENTS.poll.clientId} / ${DEMO_CLIENTS.poll.clientSecret} (client_secret_basic, poll), users: alice, bob`,
        `  delivery modes: ${deliveryModes.join(', ')}`,
      ].join('\n'),
    )
  }

  return {
    url,
    issuer,
    server,
    provider,
    device,
    async close() {
      device.close()
      client.close()
      await provider.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Runs an example from the command line: start, and stop cleanly on Ctrl-C. */
/**
 * The examples' `main`: reads the environment ({@link readExampleEnv}), connects to Redis when
 * `REDIS_URL` is set (key prefix `REDIS_KEY_PREFIX`, default `ciba-demo:`) so several OP processes
 * share state, starts the OP and stops it on SIGINT/SIGTERM.
 */
export function runFromCommandLine(start: (options: ExampleOptions & { readonly storage?: CibaStorage }) => Promise<RunningExample>): void {
  let options: ExampleOptions
  try {
    options = readExampleEnv()
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(2)
  }
  const redisUrl = process.env.REDIS_URL
  const storage = redisUrl === undefined || redisUrl === ''
    ? Promise.resolve(undefined)
    : connectRedisStorage(redisUrl, { keyPrefix: process.env.REDIS_KEY_PREFIX ?? 'ciba-demo:' }).catch((err: unknown) => {
        console.error(`Redis at REDIS_URL is not reachable: ${err instanceof Error ? err.message : String(err)}`)
        process.exit(1)
      })
  storage.then((store) => start(store === undefined ? options : { ...options, storage: store })).then(
    (running) => {
      const stop = () => {
        void running.close().then(() => process.exit(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    },
    (err: unknown) => {
      console.error(`the demo OP could not start: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(1)
    },
  )
}

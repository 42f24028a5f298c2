// A real HTTPS notification receiver on 127.0.0.1 for the ping/push tests. Its certificate is
// issued by a throw-away CA generated here with the `openssl` CLI; the tests hand that CA to the
// provider (`delivery.ca`). TLS verification stays on (never NODE_TLS_REJECT_UNAUTHORIZED=0).
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A PEM CA certificate and a server key/certificate it issued (for 127.0.0.1 and localhost). */
export interface TestPki {
  readonly ca: string
  readonly key: string
  readonly cert: string
}

let pki: TestPki | undefined
/** Generates the test PKI once per process. Fails loudly when `openssl` is missing. */
export function testPki(): TestPki {
  if (pki !== undefined) return pki
  const dir = mkdtempSync(join(tmpdir(), 'ciba-kit-pki-'))
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ciba-kit test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    ssl('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1')
    writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n')
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext')
    pki = {
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      key: readFileSync(join(dir, 'leaf.key'), 'utf8'),
      cert: readFileSync(join(dir, 'leaf.pem'), 'utf8'),
    }
    return pki
  } catch (error) {
    throw new Error('the delivery tests need the openssl CLI to create a test CA', { cause: error })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A notification as the receiver saw it. */
export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

/** What the receiver answers to the n-th request (0-based): a status, or hang / drop the connection. */
export type Reply =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | 'hang'
  | 'destroy'
  | ((res: ServerResponse) => void)

export interface Receiver {
  /** `https://127.0.0.1:<port>` (or `http://` for {@link startHttpReceiver}). */
  readonly origin: string
  readonly received: Received[]
  /** Sets how requests are answered from now on (default: 204). */
  reply(fn: (index: number, req: Received) => Reply): void
  /** Resolves once at least `count` requests have arrived in total. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>
  close(): Promise<void>
}

async function start(server: Server | ReturnType<typeof createHttpServer>, scheme: string): Promise<Receiver> {
  const received: Received[] = []
  const waiters: Array<() => void> = []
  let answer: (index: number, req: Received) => Reply = () => ({ status: 204 })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const index = received.push(entry) - 1
      for (const w of waiters.splice(0)) w()
      const reply = answer(index, entry)
      if (reply === 'hang') return
      if (reply === 'destroy') return void req.socket.destroy()
      if (typeof reply === 'function') return reply(res)
      res.writeHead(reply.status, { ...(reply.body === undefined ? {} : { 'content-type': 'application/json' }), ...reply.headers })
      res.end(reply.body)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    received,
    reply(fn) {
      answer = fn
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} requests, expected ${count}`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 50)
          waiters.push(() => {
            clearTimeout(t)
            resolve()
          })
        })
      }
      return received
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Starts an HTTPS receiver whose certificate chains to {@link testPki}'s CA. */
export function startHttpsReceiver(): Promise<Receiver> {
  const { key, cert } = testPki()
  return start(createServer({ key, cert }), 'https')
}

/** A plain-HTTP receiver (for the loopback development exception). */
export function startHttpReceiver(): Promise<Receiver> {
  return start(createHttpServer(), 'http')
}

/** A 127.0.0.1 origin where nothing listens (connections are refused). */
export async function downOrigin(): Promise<string> {
  const server = createHttpServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `https://127.0.0.1:${port}`
}

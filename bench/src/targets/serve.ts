/**
 * Common start-up for every target process: one HTTP server on 127.0.0.1 (ephemeral port),
 * the bench-only control endpoints under {@link CONTROL_PREFIX} dispatched before the app
 * (one `startsWith` per request, the same for every target), and the port reported to the
 * orchestrator over IPC.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { CONTROL_PREFIX } from '../config.js'

/** Bench-only operations a target performs in-process through its own library API. */
export interface Control {
  /** Approve a pending request for the bench user (the user's decision on their device). */
  approve?(authReqId: string): Promise<boolean>
  /** Create `n` pending poll-mode requests for `clientId`, return their `auth_req_id`s. */
  seed?(n: number, clientId: string): Promise<string[]>
  /** Counters the target keeps (e.g. Redis commands sent), read between sequential requests. */
  counters?(): Record<string, number>
  /** Release what the target holds outside the process (e.g. its Redis keys) before it exits. */
  close?(): Promise<void>
  /** Move the target's injected clock on by the poll interval (scale benchmark). */
  tick?(): void
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  req.setEncoding('utf8')
  for await (const chunk of req) body += chunk as string
  return new URLSearchParams(body)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** CPU profiling of a window (one cell), through the inspector: `--profile` in run.ts. */
let session: Session | undefined

async function profile(op: 'start' | 'stop', file: string): Promise<void> {
  if (op === 'start') {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
    return
  }
  if (session === undefined) throw new Error('profiling was not started')
  const { profile: data } = await session.post('Profiler.stop')
  session.disconnect()
  session = undefined
  await writeFile(file, JSON.stringify(data))
}

async function handleControl(req: IncomingMessage, res: ServerResponse, control: Control): Promise<void> {
  const op = req.url?.slice(CONTROL_PREFIX.length)
  const form = await readForm(req)
  if (op === 'profile-start' || op === 'profile-stop') {
    await profile(op === 'profile-start' ? 'start' : 'stop', form.get('file') ?? '')
    json(res, 200, { ok: true })
  } else if (op === 'approve' && control.approve) {
    const ok = await control.approve(form.get('auth_req_id') ?? '')
    json(res, ok ? 200 : 409, { ok })
  } else if (op === 'seed' && control.seed) {
    const ids = await control.seed(Number(form.get('n')), form.get('client_id') ?? '')
    json(res, 200, { ids })
  } else if (op === 'tick' && control.tick) {
    control.tick()
    json(res, 200, { ok: true })
  } else if (op === 'counters' && control.counters) {
    json(res, 200, control.counters())
  } else if (op === 'cpu') {
    json(res, 200, process.cpuUsage())
  } else if (op === 'memory') {
    json(res, 200, process.memoryUsage())
  } else {
    json(res, 404, { error: 'unknown control operation' })
  }
}

/** Serve `app` plus the control endpoints; tell the parent the port; exit when it goes away. */
export async function serve(app: RequestListener, control: Control = {}): Promise<void> {
  const server = createServer((req, res) => {
    if (req.url !== undefined && req.url.startsWith(CONTROL_PREFIX)) {
      handleControl(req, res, control).catch((err: unknown) => {
        console.error('control operation failed:', err)
        if (!res.headersSent) json(res, 500, { error: 'control_failed' })
      })
      return
    }
    app(req, res)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  // Exit normally (so --cpu-prof writes its profile) when the orchestrator says so or dies.
  process.on('message', (message) => {
    if ((message as { type?: string }).type !== 'shutdown') return
    const exit = (): never => process.exit(0)
    ;(control.close?.() ?? Promise.resolve()).then(exit, (err: unknown) => {
      console.error('target clean-up failed:', err)
      exit()
    })
  })
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
  process.send?.({ type: 'ready', port })
}

/**
 * A minimal HTTP/1.1 keep-alive load generator: N connections, one request in flight each,
 * pre-formatted requests, responses parsed just enough (status, Content-Length or chunked
 * body). autocannon was measured to be the bottleneck once every response had to be read
 * (a deep clone of the request context and a header conversion per response), which would
 * flatter every ratio against the bare frameworks; this client costs a few µs per request.
 */
import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

/** What a connection sends next; `undefined` ends this connection's work. */
export interface Script<C> {
  /** Per-connection state (flows keep their step and auth_req_id here). */
  context(): C
  /** The raw request (head and body) to send next, or undefined to stop this connection. */
  next(context: C): string | undefined
  /** A complete response to the request just sent; `ms` is its latency. */
  response(context: C, status: number, body: string, ms: number): void
}

export interface LoadOptions {
  readonly host: string
  readonly port: number
  readonly connections: number
  readonly durationSec: number
  /** Stop after this many requests in total (across connections). */
  readonly maxRequests: number
}

export interface LoadOutcome {
  readonly requests: number
  readonly errors: readonly string[]
  readonly startedAt: number
  readonly endedAt: number
}

/** `POST path` with a form body and optional extra header lines (each ending in CRLF). */
export function formPost(path: string, host: string, body: string, headerLines = ''): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `${headerLines}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

const CRLFCRLF = Buffer.from('\r\n\r\n')

/** Incremental response parser for one connection. Returns null until a response is complete. */
export class ResponseReader {
  #buf: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
  }

  take(): { status: number; body: string } | null {
    const buf = this.#buf
    const headEnd = buf.indexOf(CRLFCRLF)
    if (headEnd === -1) return null
    const head = buf.toString('latin1', 0, headEnd)
    const status = Number(head.slice(9, 12))
    const start = headEnd + 4
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    if (lengthMatch !== null) {
      const end = start + Number(lengthMatch[1])
      if (buf.length < end) return null
      this.#buf = buf.subarray(end)
      return { status, body: buf.toString('utf8', start, end) }
    }
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return this.#chunked(buf, status, start)
    // No length: only a bodiless response is possible on a kept-alive connection.
    this.#buf = buf.subarray(start)
    return { status, body: '' }
  }

  #chunked(buf: Buffer, status: number, start: number): { status: number; body: string } | null {
    const parts: Buffer[] = []
    let at = start
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at)
      if (lineEnd === -1) return null
      const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16)
      const dataStart = lineEnd + 2
      if (size === 0) {
        if (buf.length < dataStart + 2) return null
        this.#buf = buf.subarray(dataStart + 2)
        return { status, body: Buffer.concat(parts).toString('utf8') }
      }
      if (buf.length < dataStart + size + 2) return null
      parts.push(buf.subarray(dataStart, dataStart + size))
      at = dataStart + size + 2
    }
  }
}

/** Run `script` on `connections` kept-alive connections until the time or request budget ends. */
export async function runLoad<C>(options: LoadOptions, script: Script<C>): Promise<LoadOutcome> {
  const errors: string[] = []
  let sent = 0
  const startedAt = performance.now()
  const deadline = startedAt + options.durationSec * 1000
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const context = script.context()
      const reader = new ResponseReader()
      let sentAt = 0
      let socket: Socket | undefined
      const finish = (): void => {
        socket?.destroy()
        resolve()
      }
      const send = (): void => {
        if (sent >= options.maxRequests || performance.now() >= deadline) return finish()
        const request = script.next(context)
        if (request === undefined) return finish()
        sent += 1
        sentAt = performance.now()
        socket?.write(request, 'latin1')
      }
      socket = connect({ host: options.host, port: options.port, noDelay: true }, send)
      socket.on('data', (chunk: Buffer) => {
        reader.push(chunk)
        for (let r = reader.take(); r !== null; r = reader.take()) {
          script.response(context, r.status, r.body, performance.now() - sentAt)
          send()
        }
      })
      socket.on('error', (err) => {
        if (errors.length < 5) errors.push(err.message)
        resolve()
      })
      socket.on('close', () => resolve())
    })
  await Promise.all(Array.from({ length: options.connections }, one))
  return { requests: sent, errors, startedAt, endedAt: performance.now() }
}

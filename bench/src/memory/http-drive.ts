/**
 * Polls over real HTTP for the scale benchmark, from the load generator process (scale-load.ts) on
 * kept-alive connections. Polls go in epochs of distinct ids; between two epochs every in-flight
 * request is answered and the target's clock moves on by the poll interval, so that no id is
 * polled sooner than `interval` (which would measure `slow_down` instead).
 */
import { connect, type Socket } from 'node:net'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { formPost, ResponseReader } from '../loadgen/http-load.js'
import { pollBody } from '../loadgen/scenarios.js'
import type { DriveStats } from './drive.js'

export interface HttpPollOptions {
  readonly port: number
  readonly authorization: string
  readonly connections: number
  /** Total polls. */
  readonly polls: number
  /** Polls per epoch: at most the number of distinct ids, each polled once per epoch. */
  readonly epoch: number
  /** The `auth_req_id` of the `i`-th poll. */
  id(i: number): string
  /** Called between epochs, with nothing in flight (advance the target's clock). */
  nextEpoch(): void | Promise<void>
}

/** Drive `polls` polls; a poll counts as right when answered `400 authorization_pending`. */
export async function pollOverHttp(options: HttpPollOptions): Promise<DriveStats> {
  const host = `127.0.0.1:${options.port}`
  const auth = `Authorization: ${options.authorization}\r\n`
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: options.connections }, () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: options.port, noDelay: true }, () => resolve(socket))
        socket.once('error', reject)
      }),
    ),
  )
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  let issued = 0
  let answered = 0
  let epochEnd = Math.min(options.epoch, options.polls)
  let wrong = 0
  let maxOpMs = 0
  const started = performance.now()
  const cpu = process.cpuUsage()
  await new Promise<void>((resolve, reject) => {
    const idle: Socket[] = []
    const sentAt = new Map<Socket, number>()
    const send = (socket: Socket): void => {
      if (issued >= epochEnd) {
        idle.push(socket)
        return
      }
      const id = options.id(issued++)
      sentAt.set(socket, performance.now())
      socket.write(formPost('/token', host, pollBody(id), auth), 'latin1')
    }
    for (const socket of sockets) {
      const reader = new ResponseReader()
      socket.on('error', reject)
      socket.on('data', (chunk: Buffer) => {
        reader.push(chunk)
        for (let r = reader.take(); r !== null; r = reader.take()) {
          const ms = performance.now() - (sentAt.get(socket) ?? 0)
          if (ms > maxOpMs) maxOpMs = ms
          if (r.status !== 400 || !r.body.includes('"authorization_pending"')) wrong += 1
          answered += 1
          if (answered === options.polls) return resolve()
          if (answered === epochEnd) {
            // Nothing in flight: the next epoch may poll the same ids again.
            idle.push(socket)
            Promise.resolve(options.nextEpoch()).then(() => {
              epochEnd = Math.min(epochEnd + options.epoch, options.polls)
              for (const waiting of idle.splice(0)) send(waiting)
            }, reject)
            return
          }
          send(socket)
        }
      })
      send(socket)
    }
  })
  const elapsed = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  delay.disable()
  for (const socket of sockets) socket.destroy()
  const n = options.polls
  return { ops: n, opsPerSec: n / elapsed, cpuMicrosPerOp: (user + system) / n, maxOpMs, maxLoopDelayMs: delay.max / 1e6, wrong }
}

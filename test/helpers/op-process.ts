// Starts OP processes (test/fixtures/op-process.ts) as separate Node processes sharing one Redis.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { AuthenticationNotice } from '@ciba-kit/core'
import type { JWK } from 'jose'
import type { Framework } from './op.js'

const SCRIPT = fileURLToPath(new URL('../fixtures/op-process.ts', import.meta.url))

/** A running OP process. */
export interface OpProcess {
  /** `http://127.0.0.1:<port>`: where this process listens. */
  readonly url: string
  readonly child: ChildProcess
  /** Authentication notices this process sent to the (simulated) user's device. */
  readonly notices: AuthenticationNotice[]
  approve(authReqId: string): Promise<unknown>
  deny(authReqId: string): Promise<unknown>
  /** Moves this process's clock forward. */
  advance(seconds: number): Promise<unknown>
  /** SIGKILL: a crash, nothing is cleaned up. */
  kill(): Promise<void>
  /** Graceful stop. */
  stop(): Promise<void>
}

/** Options shared by every process of one test. */
export interface OpProcessOptions {
  readonly redisUrl: string
  readonly keyPrefix: string
  readonly framework: Framework
  readonly signingKeys: readonly JWK[]
  readonly issuer: string
  /** Where ping-client / push-client send notifications (http on loopback). */
  readonly notifyEndpoint?: string
}

/** Forks one OP process and waits until it listens. */
export async function startOpProcess(options: OpProcessOptions): Promise<OpProcess> {
  // The child must not report to our test runner (NODE_TEST_CONTEXT) but run as a plain program.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env
  const child = fork(SCRIPT, [], {
    execArgv: ['--conditions=@ciba-kit/source', '--import', 'tsx'],
    env: {
      ...env,
      REDIS_URL: options.redisUrl,
      KEY_PREFIX: options.keyPrefix,
      FRAMEWORK: options.framework,
      SIGNING_KEYS: JSON.stringify(options.signingKeys),
      ISSUER: options.issuer,
      ...(options.notifyEndpoint === undefined ? {} : { NOTIFY_ENDPOINT: options.notifyEndpoint }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const notices: AuthenticationNotice[] = []
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  const ready = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`OP process exited early (${code})`)))
    child.on('message', (message: { ready?: boolean; port?: number; notice?: AuthenticationNotice; id?: number; result?: unknown; error?: string }) => {
      if (message.ready === true && message.port !== undefined) resolve(message.port)
      else if (message.notice !== undefined) notices.push(message.notice)
      else if (message.id !== undefined) {
        const waiter = pending.get(message.id)
        pending.delete(message.id)
        if (message.error !== undefined) waiter?.reject(new Error(message.error))
        else waiter?.resolve(message.result)
      }
    })
  })
  const port = await ready
  const command = (cmd: string, extra: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve, reject })
      child.send({ id, cmd, ...extra })
    })
  const exited = (): Promise<unknown> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit'))
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    notices,
    approve: (authReqId) => command('approve', { authReqId }),
    deny: (authReqId) => command('deny', { authReqId }),
    advance: (seconds) => command('advance', { seconds }),
    async kill() {
      child.kill('SIGKILL')
      await exited()
    },
    async stop() {
      if (child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited()
      clearTimeout(timer)
    },
  }
}

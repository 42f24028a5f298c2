/**
 * Why ciba-kit on Express loses ground as its in-memory storage grows (bench/README.md): bytes
 * promoted into V8's old generation per request, for plain `node:http`, for `node:http` plus the
 * per-request `Object.setPrototypeOf` of `req`/`res` that Express does, and for Express 5 itself.
 * Whatever is promoted must be reclaimed by major GCs, which mark the whole live heap: cheap for a
 * bare app, costly for an OP holding hundreds of thousands of pending requests.
 *
 *   node --import tsx src/diagnostics/promotion.ts   (pnpm --filter @ciba-kit/bench bench:promotion)
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { formPost, runLoad } from '../loadgen/http-load.js'

const server = fileURLToPath(new URL('./promotion-server.ts', import.meta.url))
for (const kind of ['node', 'set-prototype', 'express']) {
  const child = fork(server, [kind], { execArgv: ['--import', 'tsx', '--trace-gc', '--trace-gc-nvp'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  let trace = ''
  child.stdout?.on('data', (chunk: Buffer) => (trace += chunk.toString()))
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)))
  const request = formPost('/token', `127.0.0.1:${port}`, 'grant_type=x&auth_req_id=abc')
  const { requests } = await runLoad(
    { host: '127.0.0.1', port, connections: 32, durationSec: 3, maxRequests: 2_000_000 },
    { context: () => null, next: () => request, response: () => {} },
  )
  child.kill()
  await new Promise((resolve) => child.once('exit', resolve))
  const promoted = [...trace.matchAll(/promoted=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
  console.log(`${kind.padEnd(14)} ${Math.round(requests / 3).toLocaleString('en-US').padStart(7)} req/s, ${(promoted / requests).toFixed(0).padStart(5)} bytes promoted per request`)
}

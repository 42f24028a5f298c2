/**
 * A server process of the scale benchmark's HTTP part (scale.ts starts one per store and size):
 *
 *   scale-target.ts ciba    SIZE IDS_FILE   ciba-kit on Koa, MemoryStorage holding SIZE pending requests
 *   scale-target.ts control SIZE IDS_FILE   a bare Koa app answering polls from a bare Map of SIZE ids
 *
 * The requests are created before the server listens (through the real backchannel authentication
 * handler, injected clock), their `auth_req_id`s written to IDS_FILE for the load generator, and
 * the heap settled by two full GCs, so that each size is measured in a process that differs from
 * the others only in what it stores. `/__bench/tick` moves the clock on by the poll interval.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import Koa from 'koa'
import { createProvider, MemoryStorage } from '@ciba-kit/core'
import { cibaKoa } from '@ciba-kit/koa'
import { POLL_INTERVAL, benchProviderBase } from '../config.js'
import { generateKeys } from '../keys.js'
import { serve, type Control } from '../targets/serve.js'
import { IdArena, authenticate, settledHeap, writeIds } from './drive.js'

/** Lifetime of the pending requests: longer than any run (the clock moves 5 s per epoch). */
const SCALE_EXPIRY = 3600

const [kind, sizeArg, idsFile] = process.argv.slice(2)
const size = Number(sizeArg)
if ((kind !== 'ciba' && kind !== 'control') || !Number.isSafeInteger(size) || size <= 0 || idsFile === undefined) {
  throw new Error('usage: scale-target.ts ciba|control SIZE IDS_FILE')
}

const ids = new IdArena()
const app = new Koa()
let control: Control
if (kind === 'ciba') {
  let now = Math.floor(Date.now() / 1000)
  const clock = (): number => now
  const provider = createProvider({
    ...benchProviderBase(),
    signingKeys: await generateKeys(),
    storage: new MemoryStorage({ clock }),
    requestedExpiry: { default: SCALE_EXPIRY, max: SCALE_EXPIRY },
    clock,
  })
  await provider.ready()
  for (let i = 0; i < size; i += 1) ids.push(await authenticate(provider))
  app.use(cibaKoa(provider))
  control = {
    tick() {
      now += POLL_INTERVAL
    },
  }
} else {
  // The floor under any in-memory store: the same number of ids (same length and alphabet as an
  // auth_req_id) in a bare Map, answered by a bare Koa app that parses the form like a token endpoint.
  const entries = new Map<string, { status: string; expiresAt: number }>()
  const expiresAt = Math.floor(Date.now() / 1000) + SCALE_EXPIRY
  for (let i = 0; i < size; i += 1) {
    const id = randomBytes(32).toString('base64url')
    ids.push(id)
    entries.set(id, { status: 'pending', expiresAt })
  }
  app.use(async (ctx) => {
    let raw = ''
    ctx.req.setEncoding('utf8')
    for await (const chunk of ctx.req) raw += chunk as string
    const entry = entries.get(new URLSearchParams(raw).get('auth_req_id') ?? '')
    ctx.status = 400
    ctx.set('cache-control', 'no-store')
    ctx.body = { error: entry?.status === 'pending' ? 'authorization_pending' : 'invalid_grant' }
  })
  control = { tick() {} }
}
writeIds(idsFile, ids)
settledHeap()
await serve(app.callback(), control)

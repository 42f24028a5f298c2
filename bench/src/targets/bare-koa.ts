/**
 * Ceiling: a bare Koa 3 app answering a small form POST with a small JSON. Koa has no body
 * parser of its own; the minimal one here (read, URLSearchParams) is the cheapest a Koa app
 * can do, so the ceiling is not lowered by a heavy parser.
 */
import Koa from 'koa'
import { serve } from './serve.js'

const app = new Koa()
app.use(async (ctx) => {
  if (ctx.method !== 'POST' || ctx.path !== '/token') return
  let raw = ''
  ctx.req.setEncoding('utf8')
  for await (const chunk of ctx.req) raw += chunk as string
  const form = new URLSearchParams(raw)
  ctx.set('cache-control', 'no-store')
  ctx.body = { ok: true, grant_type: form.get('grant_type') }
})
await serve(app.callback())

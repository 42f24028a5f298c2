/**
 * Ceiling: a bare Express 5 app answering a small form POST with a small JSON (what any Express
 * endpoint costs before it does any work of its own). The form is read the cheapest way (stream
 * + URLSearchParams, as in the Koa ceiling) and the JSON written with `res.end`, like the ciba-kit
 * adapter does: `express.urlencoded()` and `res.json()` (which also hashes the body for an ETag)
 * measured ~2-3× slower, and a ceiling must not be lowered by the choice of helpers.
 */
import express from 'express'
import { serve } from './serve.js'

const app = express()
app.disable('x-powered-by')
app.disable('etag')
app.post('/token', async (req, res) => {
  let raw = ''
  req.setEncoding('utf8')
  for await (const chunk of req) raw += chunk as string
  const form = new URLSearchParams(raw)
  res
    .status(200)
    .set({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify({ ok: true, grant_type: form.get('grant_type') }))
})
await serve(app)

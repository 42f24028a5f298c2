/**
 * Ceiling: a bare Express 5 app answering a small form POST with a small JSON (what any
 * Express endpoint costs before it does any work of its own).
 */
import express from 'express'
import { serve } from './serve.js'

const app = express()
app.disable('x-powered-by')
app.use(express.urlencoded({ extended: false }))
app.post('/token', (req, res) => {
  const body = req.body as Record<string, string | undefined>
  res.set('cache-control', 'no-store')
  res.json({ ok: true, grant_type: body.grant_type ?? null })
})
await serve(app)

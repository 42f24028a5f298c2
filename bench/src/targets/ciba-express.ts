/** ciba-kit mounted on Express 5 the way DESIGN.md shows: `app.use(cibaExpress(provider))`. */
import express from 'express'
import { cibaExpress } from '@ciba-kit/express'
import { benchProvider } from './ciba-provider.js'
import { serve } from './serve.js'

const { provider, control } = await benchProvider()
const app = express()
app.disable('x-powered-by')
app.use(cibaExpress(provider))
await serve(app, control)

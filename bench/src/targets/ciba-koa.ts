/** ciba-kit mounted on Koa 3 the way DESIGN.md shows: `app.use(cibaKoa(provider))`. */
import Koa from 'koa'
import { cibaKoa } from '@ciba-kit/koa'
import { benchProvider } from './ciba-provider.js'
import { serve } from './serve.js'

const { provider, control } = await benchProvider()
const app = new Koa()
app.use(cibaKoa(provider))
await serve(app.callback(), control)

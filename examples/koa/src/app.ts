import { createProvider, type CibaStorage } from '@ciba-kit/core'
import { isDemoPath, startExampleServer, type ExampleOptions, type RunningExample } from '@ciba-kit/demo-ui'
import { cibaKoa } from '@ciba-kit/koa'
import Koa from 'koa'

/**
 * The Koa example OP: ciba-kit mounted on a Koa app, with the demo authentication device
 * (`/device`) and demo client (`/client`) next to it. `startExampleServer` prepares the demo's
 * keys, users, clients and device; the lines below are what an integrator writes.
 */
export function startExample(options: ExampleOptions & { readonly storage?: CibaStorage } = {}): Promise<RunningExample> {
  return startExampleServer(options, 'Koa', (demo) => {
    const provider = createProvider({
      issuer: demo.issuer,
      signingKeys: demo.signingKeys, // private JWKs; in production, load them from your key store
      // This OP has no other token endpoint: unknown grant types get unsupported_grant_type.
      otherGrantTypes: 'reject',
      clients: demo.clients, // demo-client / demo-secret: client_secret_basic, poll
      users: demo.users, // alice, bob: your user directory goes here
      notifier: demo.device.notifier, // reaches the user's device: here, the /device page
      deliveryModes: demo.deliveryModes,
      polling: { interval: demo.pollInterval },
      development: { allowHttpNotificationEndpoints: demo.loopbackHttp },
      ...(options.storage === undefined ? {} : { storage: options.storage }), // default: in memory
    })

    const app = new Koa()
    const pages = demo.handler(provider)
    app.use(async (ctx, next) => {
      // The demo pages are plain Node handlers: give them the raw request and response.
      if (!isDemoPath(ctx.path)) return next()
      ctx.respond = false
      pages(ctx.req, ctx.res)
    })
    app.use(cibaKoa(provider)) // discovery, /jwks, /backchannel-authentication, /token, /userinfo
    return { provider, listener: app.callback() }
  })
}

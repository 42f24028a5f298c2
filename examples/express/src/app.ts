import { createProvider, type CibaStorage } from '@ciba-kit/core'
import { startExampleServer, type ExampleOptions, type RunningExample } from '@ciba-kit/demo-ui'
import { cibaExpress } from '@ciba-kit/express'
import express from 'express'

/**
 * The Express example OP: ciba-kit mounted on an Express app, with the demo authentication
 * device (`/device`) and demo client (`/client`) next to it. `startExampleServer` prepares the
 * demo's keys, users, clients and device; the lines below are what an integrator writes.
 */
export function startExample(options: ExampleOptions & { readonly storage?: CibaStorage } = {}): Promise<RunningExample> {
  return startExampleServer(options, 'Express', (demo) => {
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

    const app = express()
    app.use(demo.handler(provider)) // the demo pages: /device and /client
    app.use(cibaExpress(provider)) // discovery, /jwks, /backchannel-authentication, /token, /userinfo
    return { provider, listener: app }
  })
}

// `pnpm --filter @ciba-kit/example-existing-server start`: the existing server with CIBA, plus the
// demo authentication device (/device) and demo client (/client) to watch a flow. PORT (default
// 4000) and ISSUER (default http://localhost:$PORT) come from the environment.
import { createServer } from 'node:http'
import { createDemoClient, createDemoDevice } from '@ciba-kit/demo-ui'
import { exportJWK, generateKeyPair } from 'jose'
import { createAuthServer } from './app.js'
import { DEMO_SECRETS, demoClientTable } from './client-table.js'
import { DEMO_USERS } from './users.js'

const port = Number(process.env.PORT ?? 4000)
const issuer = process.env.ISSUER ?? `http://localhost:${port}`

// A fresh key per run; a real server loads its existing key.
const { privateKey } = await generateKeyPair('RS256', { extractable: true })
const signingKey = { ...(await exportJWK(privateKey)), kid: 'existing-server-1', alg: 'RS256' }

// The demo device plays the users' phones: your notifier sends a push message or an SMS instead.
const device = createDemoDevice({
  users: DEMO_USERS.map((u) => ({ sub: u.sub, displayName: u.name, loginHints: [u.email], claims: { name: u.name, email: u.email } })),
})
const { app, provider } = await createAuthServer({ issuer, signingKey, clients: await demoClientTable(), users: DEMO_USERS, notifier: device.notifier })
const client = createDemoClient({ issuer, clientId: 'teller-terminal', clientSecret: DEMO_SECRETS['teller-terminal']!, defaultLoginHint: 'alice@example.com' })
const deviceHandler = device.handler(provider)

const server = createServer((req, res) => deviceHandler(req, res, () => client.handler(req, res, () => app(req, res))))
server.listen(port, () => {
  console.log(`existing server with CIBA: ${issuer}/.well-known/openid-configuration`)
  console.log(`  the user's phone: ${issuer}/device    the teller terminal: ${issuer}/client`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    device.close()
    client.close()
    server.close()
    void provider.close()
  })
}

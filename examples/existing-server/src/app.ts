// An Express authorization server that existed before CIBA: its own client table (hashed secrets),
// its own /token (client_credentials, JWT access tokens), its own discovery document and JWKS.
// The lines marked `+ CIBA` are all it takes to add CIBA; everything else is unchanged.
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { CIBA_GRANT_TYPE, createProvider, mergeDiscoveryMetadata, type CibaProvider, type HostClient, type Notifier } from '@ciba-kit/core'
import { cibaExpress } from '@ciba-kit/express'
import express, { type NextFunction, type Request, type Response } from 'express'
import { exportJWK, importJWK, SignJWT, type JWK } from 'jose'
import { verifySecret, type ClientRow } from './client-table.js'
import { findUserByEmail, type UserRow } from './users.js'

export interface AuthServerOptions {
  /** Public URL of the server, e.g. `https://auth.example.com`. */
  readonly issuer: string
  /** The server's private signing key (an RS256 JWK with a `kid`). */
  readonly signingKey: JWK
  readonly clients: ReadonlyMap<string, ClientRow>
  readonly users: readonly UserRow[]
  /** + CIBA: how this server reaches a user's phone (push service, SMS gateway...). */
  readonly notifier: Notifier
  /** Injectable clock (epoch seconds), for tests. */
  readonly clock?: () => number
}

export interface AuthServer {
  readonly app: express.Express
  readonly provider: CibaProvider
}

/** The server's own discovery document, as it was. */
export function ownDiscovery(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['payments:read'],
    service_documentation: `${issuer}/docs`,
  }
}

export async function createAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const { issuer, signingKey, clients, users } = options
  const now = options.clock ?? (() => Math.floor(Date.now() / 1000))
  const privateKey = await importJWK(signingKey, 'RS256')
  const publicJwk = { ...(await exportJWK(createPublicKey({ key: signingKey as JsonWebKey, format: 'jwk' }))), kid: signingKey.kid!, alg: 'RS256', use: 'sig' }
  const app = express()
  app.disable('x-powered-by')

  // + CIBA: a provider that uses this server's issuer, key, clients and users.
  const provider = createProvider({
    issuer,
    signingKeys: [signingKey], // the key the JWKS below already publishes
    clientLookup: { find: (clientId) => cibaClient(clients.get(clientId)) },
    users: {
      findByLoginHint: (hint) => findUserByEmail(users, hint),
      claims: (sub, scope) => {
        const user = users.find((u) => u.sub === sub)
        return { ...(scope.includes('profile') ? { name: user?.name } : {}), ...(scope.includes('email') ? { email: user?.email } : {}) }
      },
    },
    notifier: options.notifier,
    scopes: ['openid', 'profile', 'email'],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
  // + CIBA: the backchannel authentication endpoint and userinfo.
  app.use(cibaExpress(provider, { endpoints: ['backchannelAuthentication', 'userinfo'] }))

  // The server's own discovery document and JWKS.
  const discovery = mergeDiscoveryMetadata(ownDiscovery(issuer), provider.metadata) // + CIBA: was ownDiscovery(issuer)
  app.get('/.well-known/openid-configuration', (_req, res) => void res.json(discovery))
  app.get('/.well-known/jwks.json', (_req, res) => void res.json({ keys: [publicJwk] }))

  // The server's own token endpoint: client_credentials, JWT access tokens.
  app.post(
    '/token',
    cibaExpress(provider, { endpoints: ['token'] }), // + CIBA: answers the CIBA grant, passes everything else on
    express.urlencoded({ extended: false }),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = (req.body ?? {}) as Record<string, unknown>
        const client = await authenticate(req, params, clients)
        if (client === undefined) return void oauthError(res, 401, 'invalid_client')
        if (params.grant_type !== 'client_credentials') return void oauthError(res, 400, 'unsupported_grant_type')
        if (!client.grants.includes('client_credentials')) return void oauthError(res, 400, 'unauthorized_client')
        const allowed = client.scope.split(' ')
        const requested = typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : allowed
        if (requested.some((s) => !allowed.includes(s))) return void oauthError(res, 400, 'invalid_scope')
        const iat = now()
        const accessToken = await new SignJWT({ scope: requested.join(' '), client_id: client.id })
          .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid!, typ: 'at+jwt' })
          .setIssuer(issuer).setSubject(client.id).setAudience(`${issuer}/api`).setIssuedAt(iat).setExpirationTime(iat + 300)
          .sign(privateKey)
        res.set('cache-control', 'no-store').json({ access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: requested.join(' ') })
      } catch (error) {
        next(error)
      }
    },
  )
  return { app, provider }
}

/**
 * + CIBA: a row of the client table as CIBA client metadata, with the hashed secret's verifier.
 * Rows without the `ciba` column are known but not registered for CIBA (`unauthorized_client`).
 */
function cibaClient(row: ClientRow | undefined): HostClient | undefined {
  if (row === undefined) return undefined
  return {
    client_id: row.id,
    client_name: row.name,
    token_endpoint_auth_method: row.authMethod,
    verifySecret: (secret) => verifySecret(row.secretHash, secret),
    grant_types: row.ciba === undefined ? [] : [CIBA_GRANT_TYPE],
    ...(row.ciba === undefined ? {} : { backchannel_token_delivery_mode: 'poll', scope: row.ciba.scope }),
  }
}

/** The server's own client authentication (Basic or form post), against hashed secrets. */
async function authenticate(req: Request, params: Record<string, unknown>, clients: ReadonlyMap<string, ClientRow>): Promise<ClientRow | undefined> {
  let id: unknown = params.client_id
  let secret: unknown = params.client_secret
  const authorization = req.headers.authorization
  if (authorization?.startsWith('Basic ') === true) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '))
    } catch {
      return undefined
    }
  }
  if (typeof id !== 'string' || typeof secret !== 'string') return undefined
  const row = clients.get(id)
  return row !== undefined && (await verifySecret(row.secretHash, secret)) ? row : undefined
}

function oauthError(res: Response, status: number, error: string): void {
  if (status === 401) res.set('www-authenticate', 'Basic realm="auth"')
  res.status(status).set('cache-control', 'no-store').json({ error })
}

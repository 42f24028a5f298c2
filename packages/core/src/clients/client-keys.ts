import { Ajv } from 'ajv'
import { compactVerify, createLocalJWKSet, errors, type CryptoKey, type JWK } from 'jose'
import type { Client } from './registry.js'
import { readStreamLimited } from '../http/read-stream.js'
import { isAllowedOutboundUrl } from '../http/outbound-url.js'

/** Why the client's keys could not verify a JWS. Callers map it to their endpoint's error code. */
export type ClientKeyFailure =
  /** The client registered neither `jwks` nor `jwks_uri`. */
  | 'no_keys'
  /** `jwks_uri` could not be fetched, was too large, not JSON, not a JWK Set, or is not allowed. */
  | 'unavailable'
  /** No key in the client's set fits the JWS header (`kid`, `alg`, key type, `use`). */
  | 'no_matching_key'
  /** A key matched, the signature did not verify. */
  | 'bad_signature'
  /** Not a JWS jose can process (malformed, `crit`, ...). */
  | 'malformed'

/** Thrown by {@link ClientKeys.verify}; its message never holds key material or the token. */
export class ClientKeyError extends Error {
  override readonly name = 'ClientKeyError'
  constructor(readonly reason: ClientKeyFailure, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** How `jwks_uri` documents are fetched and cached. */
export interface ClientKeysOptions {
  /** Outbound `fetch`. Default: the global `fetch`. */
  readonly fetch?: typeof fetch
  /** Milliseconds a fetch (connect + body) may take. Default 3000. */
  readonly timeoutMs?: number
  /** Largest accepted JWK Set document, bytes. Default 64 KiB. */
  readonly maxBytes?: number
  /** Seconds a fetched JWK Set is trusted before it is fetched again. Default 300. */
  readonly cacheTtl?: number
  /** Minimum seconds between two fetches of one URI triggered by an unknown `kid`. Default 30. */
  readonly refetchCooldown?: number
  /** Accept `http` `jwks_uri` on loopback hosts. Tests and development only; production requires https. */
  readonly allowHttpLoopback?: boolean
  /** Current time in epoch seconds. */
  readonly clock: () => number
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>

interface CacheEntry {
  readonly resolver: KeyResolver
  readonly fetchedAt: number
}

const MAX_CACHED = 1000
const MAX_CANDIDATES = 8

const jwkSetSchema = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: { type: 'array', maxItems: 100, items: { type: 'object', required: ['kty'], properties: { kty: { type: 'string' } } } },
  },
} as const

/**
 * The keys a client signs with (OIDC Registration §2 `jwks` / `jwks_uri`), for `private_key_jwt`
 * (RFC 7523) and signed authentication requests (CIBA Core §7.1.1).
 *
 * `jwks_uri` documents are fetched with a time and size limit, without following redirects, cached
 * for `cacheTtl`, and fetched once more when a JWS names a key the cached set lacks (key rotation),
 * at most once per `refetchCooldown`. Concurrent requests for one URI share one fetch.
 */
export class ClientKeys {
  readonly #fetch: typeof fetch
  readonly #timeoutMs: number
  readonly #maxBytes: number
  readonly #cacheTtl: number
  readonly #cooldown: number
  readonly #allowHttpLoopback: boolean
  readonly #clock: () => number
  readonly #remote = new Map<string, CacheEntry>()
  readonly #inflight = new Map<string, Promise<CacheEntry>>()
  readonly #local = new Map<string, KeyResolver>()
  readonly #validate = new Ajv({ strict: false }).compile(jwkSetSchema)

  constructor(options: ClientKeysOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch
    this.#timeoutMs = options.timeoutMs ?? 3000
    this.#maxBytes = options.maxBytes ?? 64 * 1024
    this.#cacheTtl = options.cacheTtl ?? 300
    this.#cooldown = options.refetchCooldown ?? 30
    this.#allowHttpLoopback = options.allowHttpLoopback ?? false
    this.#clock = options.clock
  }

  /**
   * Verifies a compact JWS with the client's keys, accepting only `alg`. Returns the payload.
   * @throws ClientKeyError
   */
  async verify(jws: string, client: Client, alg: string): Promise<Uint8Array> {
    const { jwks, jwks_uri: uri } = client.metadata
    if (jwks !== undefined) return this.#verifyWith(this.#localResolver(jwks), jws, alg)
    if (uri === undefined) throw new ClientKeyError('no_keys', 'the client has registered no keys (jwks or jwks_uri)')
    let entry = await this.#remoteEntry(uri, false)
    try {
      return await this.#verifyWith(entry.resolver, jws, alg)
    } catch (error) {
      // Key rotation: the client may sign with a key published after our fetch.
      if (!(error instanceof ClientKeyError) || error.reason !== 'no_matching_key') throw error
      if (this.#clock() - entry.fetchedAt < this.#cooldown) throw error
      entry = await this.#remoteEntry(uri, true)
      return this.#verifyWith(entry.resolver, jws, alg)
    }
  }

  #localResolver(jwks: { readonly keys: readonly JWK[] }): KeyResolver {
    const id = JSON.stringify(jwks)
    let resolver = this.#local.get(id)
    if (resolver === undefined) {
      resolver = this.#resolverFor(jwks)
      remember(this.#local, id, resolver)
    }
    return resolver
  }

  #resolverFor(jwks: unknown): KeyResolver {
    if (!this.#validate(jwks)) throw new ClientKeyError('unavailable', 'the client\'s key set is not a valid JWK Set')
    try {
      return createLocalJWKSet(jwks as { keys: JWK[] })
    } catch (cause) {
      throw new ClientKeyError('unavailable', 'the client\'s key set is not a valid JWK Set', { cause })
    }
  }

  async #verifyWith(resolver: KeyResolver, jws: string, alg: string): Promise<Uint8Array> {
    const options = { algorithms: [alg] }
    try {
      return (await compactVerify(jws, resolver, options)).payload
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        // No `kid` and several keys fit: try each (bounded), as jose leaves to the caller.
        let tried = 0
        for await (const key of error as unknown as AsyncIterable<CryptoKey>) {
          if (++tried > MAX_CANDIDATES) break
          try {
            return (await compactVerify(jws, key, options)).payload
          } catch {
            // next candidate
          }
        }
        throw new ClientKeyError('bad_signature', 'the signature does not verify with any of the client\'s keys')
      }
      throw classify(error)
    }
  }

  async #remoteEntry(uri: string, force: boolean): Promise<CacheEntry> {
    const cached = this.#remote.get(uri)
    if (!force && cached !== undefined && this.#clock() - cached.fetchedAt < this.#cacheTtl) return cached
    let pending = this.#inflight.get(uri)
    if (pending === undefined) {
      pending = this.#fetchSet(uri).finally(() => this.#inflight.delete(uri))
      this.#inflight.set(uri, pending)
    }
    return pending
  }

  async #fetchSet(uri: string): Promise<CacheEntry> {
    if (!this.#isAllowedUri(uri)) throw new ClientKeyError('unavailable', 'the client\'s jwks_uri is not an https URL')
    try {
      return await this.#download(uri)
    } catch (error) {
      // What the URL answered (its status, its content type, its size) is not told to the client: a
      // jwks_uri may name an internal service, and the answer would describe it. The detail stays in `cause`.
      throw new ClientKeyError('unavailable', 'the client\'s jwks_uri did not provide a usable JWK Set', { cause: error })
    }
  }

  async #download(uri: string): Promise<CacheEntry> {
    let text: string
    try {
      const response = await this.#fetch(uri, {
        method: 'GET',
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {})
        throw new ClientKeyError('unavailable', `the client's jwks_uri answered HTTP ${response.status}`)
      }
      text = await readLimited(response, this.#maxBytes)
    } catch (error) {
      if (error instanceof ClientKeyError) throw error
      throw new ClientKeyError('unavailable', 'the client\'s jwks_uri could not be fetched', { cause: error })
    }
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch {
      throw new ClientKeyError('unavailable', 'the client\'s jwks_uri did not return JSON')
    }
    const entry: CacheEntry = { resolver: this.#resolverFor(document), fetchedAt: this.#clock() }
    remember(this.#remote, uri, entry)
    return entry
  }

  #isAllowedUri(uri: string): boolean {
    return isAllowedOutboundUrl(uri, this.#allowHttpLoopback)
  }
}

/** Reads at most `limit` bytes of a response body; larger bodies are refused, not truncated. */
async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > limit) {
    await response.body?.cancel().catch(() => {})
    throw new ClientKeyError('unavailable', 'the client\'s JWK Set is too large')
  }
  if (response.body === null) return ''
  const bytes = await readStreamLimited(response.body, limit, 'cancel')
  if (bytes === undefined) throw new ClientKeyError('unavailable', 'the client\'s JWK Set is too large')
  return new TextDecoder().decode(bytes)
}

function classify(error: unknown): ClientKeyError {
  if (error instanceof errors.JWKSNoMatchingKey) return new ClientKeyError('no_matching_key', 'no key of the client matches the JWS header')
  if (error instanceof errors.JWSSignatureVerificationFailed) return new ClientKeyError('bad_signature', 'the signature does not verify with the client\'s key')
  if (error instanceof errors.JOSENotSupported || error instanceof errors.JWKInvalid || error instanceof errors.JWKSInvalid) {
    return new ClientKeyError('no_matching_key', 'no usable key of the client matches the JWS header', { cause: error })
  }
  return new ClientKeyError('malformed', 'the JWS is malformed', { cause: error })
}

/** Insert into a bounded map (oldest entry evicted first). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_CACHED) map.delete(map.keys().next().value as string)
}

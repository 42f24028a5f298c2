import { ConfigurationError } from '@ciba-kit/core'
import type {
  AuthRequestPatch,
  AuthRequestRecord,
  AuthRequestStatus,
  CibaStorage,
  ClientRecord,
  DeliveryRecord,
  RefreshTokenUse,
  TokenRecord,
  TransitionEffects,
} from '@ciba-kit/core'
import type { Redis } from 'ioredis'
import { decodeFields, encodeFields, spec } from './codec.js'
import { unavailable } from './errors.js'
import { runScript, type ScriptName } from './scripts.js'

/** Options of {@link RedisStorage}. */
export interface RedisStorageOptions {
  /**
   * Prefix of every key (default `ciba:`). Give each deployment (and each test run) its own.
   * Use this, not ioredis' own `keyPrefix` option (the Lua scripts build keys themselves).
   */
  readonly keyPrefix?: string
  /** Epoch seconds; TTLs are computed from it. Default: the system clock (millisecond precision). */
  readonly clock?: () => number
  /** How long a delivery is kept after its `deadline` so the worker can see it gave up. Default 3600 s. */
  readonly deliveryRetentionSeconds?: number
  /** When `true`, {@link RedisStorage.close} also closes the client. Default `false`. */
  readonly ownsClient?: boolean
}

const systemClock = (): number => Date.now() / 1000

/**
 * `CibaStorage` on Redis (ioredis), shared by any number of OP processes.
 *
 * Every atomic operation is one Lua script (one round trip: creating a request, a pending poll,
 * a transition with its token effects); records are hashes with Redis TTLs (`PEXPIRE`, millisecond
 * precision); the delivery outbox is a sorted set by due time. Nothing is O(n) in the number of
 * stored records. Every Redis failure rejects with `StorageUnavailableError`.
 *
 * Configure the client to fail fast when Redis is down (see {@link recommendedRedisOptions}):
 * otherwise ioredis queues commands while it reconnects and requests hang instead of getting a 503.
 *
 * Redis Cluster is not supported (the scripts touch keys of several records); use one primary
 * (with replicas/Sentinel for failover). Enable AOF persistence if grants must survive a restart.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL, recommendedRedisOptions)
 * const storage = createRedisStorage(redis, { keyPrefix: 'op1:' })
 * const provider = createProvider({ ...config, storage })
 */
export class RedisStorage implements CibaStorage {
  readonly #client: Redis
  readonly #prefix: string
  readonly #clock: () => number
  readonly #deliveryRetention: number
  readonly #ownsClient: boolean

  constructor(client: Redis, options: RedisStorageOptions = {}) {
    if (client.options.keyPrefix) {
      throw new ConfigurationError('RedisStorage: use the keyPrefix option of the storage, not of the ioredis client')
    }
    this.#client = client
    this.#prefix = options.keyPrefix ?? 'ciba:'
    this.#clock = options.clock ?? systemClock
    this.#deliveryRetention = options.deliveryRetentionSeconds ?? 3600
    this.#ownsClient = options.ownsClient ?? false
  }

  /** The ioredis client this storage uses. */
  get client(): Redis {
    return this.#client
  }

  async createAuthRequest(record: AuthRequestRecord, retainSeconds: number): Promise<boolean> {
    const px = this.#px(record.expiresAt + Math.max(0, retainSeconds))
    const created = await this.#run('createAuthRequest', [this.#key('ar', record.id)], [px, ...encodeFields(record)])
    return created === 1
  }

  async getAuthRequest(id: string): Promise<AuthRequestRecord | undefined> {
    const flat = await this.#call(() => this.#client.hgetall(this.#key('ar', id)))
    return Object.keys(flat).length === 0 ? undefined : decodeFields(Object.entries(flat).flat())
  }

  async recordPoll(id: string, polledAt: number): Promise<AuthRequestRecord | undefined> {
    return decodeFields(await this.#run('recordPoll', [this.#key('ar', id)], [JSON.stringify(polledAt)]))
  }

  async transitionAuthRequest(
    id: string,
    from: readonly AuthRequestStatus[],
    patch: AuthRequestPatch,
    effects?: TransitionEffects,
  ): Promise<AuthRequestRecord | undefined> {
    const set: string[] = []
    const del: string[] = []
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'id' || key === 'clientId') continue
      if (value === undefined) del.push(key)
      else set.push(key, JSON.stringify(value))
    }
    const delivery = effects?.delivery
    const argv = [
      from.length, ...from.map((s) => JSON.stringify(s)),
      set.length / 2, ...set,
      del.length, ...del,
      ...this.#tokenSpecs(effects?.tokens ?? []),
      ...(delivery === undefined ? ['0'] : ['1', ...this.#deliverySpec(delivery)]),
    ]
    return decodeFields(await this.#run('transition', [this.#key('ar', id)], argv))
  }

  async saveTokens(records: readonly TokenRecord[]): Promise<void> {
    if (records.length > 0) await this.#run('saveTokens', [], this.#tokenSpecs(records))
  }

  async findToken(id: string): Promise<TokenRecord | undefined> {
    const record = decodeFields<TokenRecord>(await this.#run('findToken', [this.#key('tok', id)], []))
    // Redis has already dropped it at its TTL; this only guards against a clock ahead of Redis's.
    return record === undefined || record.expiresAt <= this.#clock() ? undefined : record
  }

  async useRefreshToken(id: string, usedAt: number, replacements: readonly TokenRecord[]): Promise<RefreshTokenUse> {
    const reply = await this.#run('useRefreshToken', [this.#key('tok', id)], [JSON.stringify(usedAt), ...this.#tokenSpecs(replacements)])
    const [outcome, flat] = Array.isArray(reply) ? (reply as [string, unknown]) : ['missing', undefined]
    const record = decodeFields<TokenRecord>(flat)
    if ((outcome === 'used' || outcome === 'reused') && record !== undefined) return { outcome, record }
    return { outcome: 'missing' }
  }

  async revokeGrant(grantId: string, until: number): Promise<void> {
    await this.#run('revokeGrant', [], [grantId, this.#px(until)])
  }

  async markOnce(key: string, expiresAt: number): Promise<boolean> {
    const reply = await this.#call(() => this.#client.set(this.#key('once', key), '1', 'PX', this.#px(expiresAt), 'NX'))
    return reply === 'OK'
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const json = await this.#call(() => this.#client.get(this.#key('client', clientId)))
    return json === null ? undefined : (JSON.parse(json) as ClientRecord)
  }

  async createClient(record: ClientRecord): Promise<boolean> {
    const reply = await this.#call(() => this.#client.set(this.#key('client', record.clientId), JSON.stringify(record), 'NX'))
    return reply === 'OK'
  }

  async updateClient(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const updated = await this.#run('updateClient', [this.#key('client', record.clientId)], [String(expectedRevision), JSON.stringify(record)])
    return updated === 1
  }

  async deleteClient(clientId: string): Promise<boolean> {
    return (await this.#call(() => this.#client.del(this.#key('client', clientId)))) === 1
  }

  async enqueueDelivery(record: DeliveryRecord): Promise<void> {
    await this.#run('enqueueDelivery', [], this.#deliverySpec(record))
  }

  async claimDeliveries(now: number, limit: number, leaseUntil: number): Promise<DeliveryRecord[]> {
    if (limit <= 0) return []
    const reply = await this.#run('claimDeliveries', [this.#key('dlvq')], [String(now), limit, String(leaseUntil), JSON.stringify(leaseUntil)])
    return (Array.isArray(reply) ? reply : []).map((flat) => decodeFields<DeliveryRecord>(flat)).filter((d) => d !== undefined)
  }

  async rescheduleDelivery(
    id: string,
    patch: Pick<DeliveryRecord, 'attempts' | 'nextAttemptAt'> & { readonly lastError?: string },
  ): Promise<void> {
    const fields = encodeFields({ attempts: patch.attempts, nextAttemptAt: patch.nextAttemptAt, lastError: patch.lastError })
    await this.#run('rescheduleDelivery', [this.#key('dlv', id), this.#key('dlvq')], [id, String(patch.nextAttemptAt), ...fields])
  }

  async removeDelivery(id: string): Promise<void> {
    await this.#call(() => this.#client.multi().del(this.#key('dlv', id)).zrem(this.#key('dlvq'), id).exec())
  }

  /** Closes the client when the storage owns it (see {@link RedisStorageOptions.ownsClient}). */
  async close(): Promise<void> {
    if (!this.#ownsClient) return
    try {
      await this.#client.quit()
    } catch {
      this.#client.disconnect()
    }
  }

  #key(kind: string, id?: string): string {
    return id === undefined ? this.#prefix + kind : `${this.#prefix}${kind}:${id}`
  }

  /** Milliseconds from now until `at` (epoch seconds), at least 1 (PEXPIRE needs a positive TTL). */
  #px(at: number): number {
    return Math.max(1, Math.ceil((at - this.#clock()) * 1000))
  }

  #tokenSpecs(records: readonly TokenRecord[]): (string | number)[] {
    return [records.length, ...records.flatMap((r) => spec([r.id, r.grantId, this.#px(r.expiresAt)], r))]
  }

  #deliverySpec(record: DeliveryRecord): (string | number)[] {
    return spec([record.id, this.#px(record.deadline + this.#deliveryRetention), String(record.nextAttemptAt)], record)
  }

  #run(name: ScriptName, keys: readonly string[], argv: readonly (string | number)[]): Promise<unknown> {
    return this.#call(() => runScript(this.#client, name, keys, [this.#prefix, ...argv]))
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (error) {
      throw unavailable(error)
    }
  }
}

/**
 * Creates a {@link RedisStorage} on an ioredis client.
 *
 * @example
 * const storage = createRedisStorage(new Redis(url, recommendedRedisOptions), { keyPrefix: 'ciba:' })
 */
export function createRedisStorage(client: Redis, options: RedisStorageOptions = {}): RedisStorage {
  return new RedisStorage(client, options)
}

const SHARDS = 64

/**
 * A `Map<string, V>` split into 64 shards by key. A JS Map rehashes every entry when it grows
 * (or shrinks) past a power of two: at 1,000,000 records that is one 100-300 ms pause inside
 * whichever request inserts the next record. Sharded, no single rehash moves more than about
 * 1/64 of the records (a few ms at a million). Keys are random ids or hashes, so their first and
 * last characters spread them evenly; any key works, only the spread would suffer.
 */
export class ShardedMap<V> {
  readonly #shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>())

  #shard(key: string): Map<string, V> {
    return this.#shards[((key.charCodeAt(0) * 31) ^ key.charCodeAt(key.length - 1)) & (SHARDS - 1)]!
  }

  get(key: string): V | undefined {
    return this.#shard(key).get(key)
  }

  set(key: string, value: V): this {
    this.#shard(key).set(key, value)
    return this
  }

  delete(key: string): boolean {
    return this.#shard(key).delete(key)
  }

  get size(): number {
    let n = 0
    for (const shard of this.#shards) n += shard.size
    return n
  }
}

/**
 * A binary min-heap of (time, key, kind) entries: the in-memory storage's expiry schedule. Push and
 * pop are O(log n), so sweeping expired records never needs a pass over every record. `kind` is a
 * small integer telling what the key names (kept beside it rather than as a prefix of the key, so an
 * entry holds no string of its own: one heap object less per stored record for the GC to mark).
 */
export class ExpiryHeap {
  #times: number[] = []
  #keys: string[] = []
  #kinds: number[] = []
  /** Largest size since the last compaction: arrays keep their peak capacity when popped. */
  #peak = 0

  get size(): number {
    return this.#times.length
  }

  push(time: number, key: string, kind = 0): void {
    const times = this.#times
    const keys = this.#keys
    const kinds = this.#kinds
    let i = times.length
    times.push(time)
    keys.push(key)
    kinds.push(kind)
    if (times.length > this.#peak) this.#peak = times.length
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (times[parent]! <= time) break
      times[i] = times[parent]!
      keys[i] = keys[parent]!
      kinds[i] = kinds[parent]!
      i = parent
    }
    times[i] = time
    keys[i] = key
    kinds[i] = kind
  }

  /** The earliest time, or `Infinity` when empty. */
  peekTime(): number {
    return this.#times.length === 0 ? Infinity : this.#times[0]!
  }

  /** The kind of the earliest entry (what {@link pop} returns next). Call only when not empty. */
  peekKind(): number {
    return this.#kinds[0]!
  }

  /** Removes and returns the earliest key. Call only when not empty. */
  pop(): string {
    const times = this.#times
    const keys = this.#keys
    const kinds = this.#kinds
    const top = keys[0]!
    const lastTime = times.pop()!
    const lastKey = keys.pop()!
    const lastKind = kinds.pop()!
    const n = times.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const right = left + 1
        const child = right < n && times[right]! < times[left]! ? right : left
        if (times[child]! >= lastTime) break
        times[i] = times[child]!
        keys[i] = keys[child]!
        kinds[i] = kinds[child]!
        i = child
      }
      times[i] = lastTime
      keys[i] = lastKey
      kinds[i] = lastKind
    }
    // Give memory back once the schedule has shrunk to a quarter of its peak (amortised O(1)).
    if (this.#peak > 4096 && n * 4 < this.#peak) {
      this.#times = times.slice()
      this.#keys = keys.slice()
      this.#kinds = kinds.slice()
      this.#peak = n
    }
    return top
  }
}

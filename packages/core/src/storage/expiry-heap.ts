/**
 * A binary min-heap of (time, key) pairs: the in-memory storage's expiry schedule. Push and pop
 * are O(log n), so sweeping expired records never needs a pass over every record.
 */
export class ExpiryHeap {
  #times: number[] = []
  #keys: string[] = []
  /** Largest size since the last compaction: arrays keep their peak capacity when popped. */
  #peak = 0

  get size(): number {
    return this.#times.length
  }

  push(time: number, key: string): void {
    const times = this.#times
    const keys = this.#keys
    let i = times.length
    times.push(time)
    keys.push(key)
    if (times.length > this.#peak) this.#peak = times.length
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (times[parent]! <= time) break
      times[i] = times[parent]!
      keys[i] = keys[parent]!
      i = parent
    }
    times[i] = time
    keys[i] = key
  }

  /** The earliest time, or `Infinity` when empty. */
  peekTime(): number {
    return this.#times.length === 0 ? Infinity : this.#times[0]!
  }

  /** Removes and returns the earliest key. Call only when not empty. */
  pop(): string {
    const times = this.#times
    const keys = this.#keys
    const top = keys[0]!
    const lastTime = times.pop()!
    const lastKey = keys.pop()!
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
        i = child
      }
      times[i] = lastTime
      keys[i] = lastKey
    }
    // Give memory back once the schedule has shrunk to a quarter of its peak (amortised O(1)).
    if (this.#peak > 4096 && n * 4 < this.#peak) {
      this.#times = times.slice()
      this.#keys = keys.slice()
      this.#peak = n
    }
    return top
  }
}

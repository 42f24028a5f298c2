/** Per-cell bookkeeping in the load generator: outcome classes, latencies, problems. */

/** Percentile (nearest rank) of an ascending-sorted array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

/** Growable float buffer (latencies; avoids boxing millions of numbers in an array). */
export class Samples {
  #data = new Float64Array(1 << 16)
  #length = 0
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2)
      next.set(this.#data)
      this.#data = next
    }
    this.#data[this.#length++] = value
  }
  get length(): number {
    return this.#length
  }
  sorted(): Float64Array {
    return this.#data.slice(0, this.#length).sort()
  }
}

export class Tally {
  readonly counts = new Map<string, number>()
  readonly problems: string[] = []
  readonly latencies = new Samples()
  /** Correct units (requests or flows). */
  successes = 0
  checked = 0
  /** performance.now() of the last correct unit. */
  lastAt = 0

  count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
  }

  success(now: number): void {
    this.successes += 1
    this.lastAt = now
  }

  /** Record a problem (kept short: the first few of each kind are enough to diagnose). */
  problem(message: string): void {
    if (this.problems.length < 8 && !this.problems.includes(message)) this.problems.push(message)
  }

  /** Outcome classes that are not in `allowed` become problems. */
  rejectUnexpected(allowed: readonly string[]): void {
    for (const [key, n] of this.counts) {
      if (!allowed.includes(key)) this.problem(`${n} unexpected response(s): ${key}`)
    }
  }
}

/** `400 slow_down`-style class of a response: status plus the OAuth error code if any. */
export function classify(status: number, body: string): string {
  const at = body.indexOf('"error":"')
  if (at === -1) return String(status)
  const end = body.indexOf('"', at + 9)
  return `${status} ${body.slice(at + 9, end)}`
}

/** A tiny server-sent events reader for tests: fetch + stream parsing, no browser needed. */
export interface SseEvent {
  readonly event: string
  readonly data: unknown
  readonly id?: string
}

export interface SseStream {
  /** Resolves with the next event (waits for it), or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent>
  close(): void
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  if (res.status !== 200 || res.body === null) throw new Error(`SSE ${url} answered ${res.status}`)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  const queue: SseEvent[] = []
  let buffer = ''
  let ended = false

  const pump = async (): Promise<void> => {
    const { value, done } = await reader.read()
    if (done) {
      ended = true
      return
    }
    buffer += value
    let cut: number
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      let event = 'message'
      let data = ''
      let id: string | undefined
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7)
        else if (line.startsWith('data: ')) data += line.slice(6)
        else if (line.startsWith('id: ')) id = line.slice(4)
      }
      if (data !== '') queue.push({ event, data: JSON.parse(data) as unknown, ...(id === undefined ? {} : { id }) })
    }
  }

  return {
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (queue.length === 0) {
        if (ended) throw new Error('SSE stream ended')
        if (Date.now() > deadline) throw new Error('timed out waiting for an SSE event')
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          pump(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out waiting for an SSE event')), Math.max(1, deadline - Date.now()))
          }),
        ]).finally(() => clearTimeout(timer))
      }
      return queue.shift() as SseEvent
    },
    close() {
      controller.abort()
    },
  }
}

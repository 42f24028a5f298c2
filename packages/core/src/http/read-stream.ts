/**
 * Reads a Web stream up to `limit` bytes. Returns the bytes, or `undefined` as soon as the stream
 * goes past the limit; then the reader is cancelled (`onExceed: 'cancel'`, for outbound responses
 * we abandon) or only released (`'release'`, for an inbound request whose connection must survive
 * long enough to carry the 413).
 */
export async function readStreamLimited(
  body: ReadableStream<Uint8Array>,
  limit: number,
  onExceed: 'cancel' | 'release',
): Promise<Uint8Array | undefined> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      if (onExceed === 'cancel') await reader.cancel().catch(() => {})
      else reader.releaseLock()
      return undefined
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

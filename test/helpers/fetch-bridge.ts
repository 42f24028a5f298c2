// A minimal Node http <-> Fetch API bridge, as runtimes and frameworks without their own Node
// integration use (Hono's node-server, Fastify's fetch bridge): IncomingMessage -> Request,
// Response -> ServerResponse. Test-only; the library never constructs a Request itself.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'

export type FetchApp = (request: Request) => Promise<Response>

export function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
}

export async function writeWebResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  res.writeHead(response.status, headers)
  if (response.body !== null) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk)
  }
  res.end()
}

/** A Node request listener running a Fetch API app. */
export function nodeListener(app: FetchApp): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    app(toWebRequest(req)).then(
      (response) => writeWebResponse(response, res),
      () => {
        res.statusCode = 500
        res.end()
      },
    ).catch(() => res.destroy())
  }
}

/**
 * A server for promotion.ts: answers every POST with a small JSON after reading the body, as
 * plain `node:http`, as `node:http` plus the one thing Express does to every request (give `req`
 * and `res` new prototypes), or as an Express 5 app.
 */
import { createServer, IncomingMessage, ServerResponse, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'

const answer: RequestListener = (req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    res.statusCode = 200
    res.setHeader('content-type', 'application/json')
    res.end('{"ok":true}')
  })
}

function listener(kind: string): RequestListener {
  if (kind === 'express') {
    const app = express()
    app.use(answer)
    return app
  }
  if (kind === 'set-prototype') {
    // What express/lib/express.js does per request (app.request / app.response as prototypes).
    const requestProto = Object.create(IncomingMessage.prototype) as object
    const responseProto = Object.create(ServerResponse.prototype) as object
    return (req, res) => {
      Object.setPrototypeOf(req, requestProto)
      Object.setPrototypeOf(res, responseProto)
      answer(req, res)
    }
  }
  return answer
}

const server = createServer(listener(process.argv[2] ?? 'node'))
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port))

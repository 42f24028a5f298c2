// `pnpm demo:koa`: the Koa example OP. PORT (default 3000), ISSUER (default http://localhost:$PORT)
// and POLL_INTERVAL (default 5) come from the environment. With REDIS_URL set, state lives in
// Redis (key prefix REDIS_KEY_PREFIX, default "ciba-demo:") so several OP processes can share it.
import { runFromCommandLine } from '@ciba-kit/demo-ui'
import { connectRedisStorage } from '@ciba-kit/storage-redis'
import { startExample } from './app.js'

const redisUrl = process.env['REDIS_URL']
const storage = redisUrl
  ? await connectRedisStorage(redisUrl, { keyPrefix: process.env['REDIS_KEY_PREFIX'] ?? 'ciba-demo:' }).catch((err: unknown) => {
      console.error(`Redis at REDIS_URL is not reachable: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(1)
    })
  : undefined
runFromCommandLine((options) => startExample(storage === undefined ? options : { ...options, storage }))

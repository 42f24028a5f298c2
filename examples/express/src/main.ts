// `pnpm demo`: the Express example OP. PORT (default 3000), ISSUER (default http://localhost:$PORT)
// and POLL_INTERVAL (default 5) come from the environment. With REDIS_URL set, state lives in
// Redis (key prefix REDIS_KEY_PREFIX, default "ciba-demo:") so several OP processes can share it.
import { runFromCommandLine } from '@ciba-kit/demo-ui'
import { startExample } from './app.js'

runFromCommandLine(startExample)

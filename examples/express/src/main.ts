// `pnpm demo`: the Express example OP. PORT (default 3000), ISSUER (default http://localhost:$PORT)
// and POLL_INTERVAL (default 5) come from the environment.
import { runFromCommandLine } from '@ciba-kit/demo-ui'
import { startExample } from './app.js'

runFromCommandLine(startExample)

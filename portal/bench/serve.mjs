// The server the load test measures: server.mjs's configuration, the evaluation mode from
// SHIPGATE_CHECK_ASYNC (`1`: evaluateAsync), and its address printed on standard output.
import { buildServer } from '../server.mjs'
import { listenFromEnv, optionsFromEnv } from '../src/config.mjs'

const app = buildServer({
  ...optionsFromEnv(process.env),
  checkAsync: process.env.SHIPGATE_CHECK_ASYNC === '1',
  logger: { level: process.env.LOG_LEVEL || 'warn' },
})
const url = await app.listen(listenFromEnv(process.env))
process.stdout.write(`listening on ${url}\n`)
process.once('SIGTERM', () => app.close().then(() => process.exit(0)))

// The release portal: `npm start` (portal/README.md). Serves the example policy set unless the
// SHIPGATE_* variables name another; listens on HOST:PORT (127.0.0.1:8080).
import { fileURLToPath } from 'node:url'

import { buildServer } from './src/app.mjs'
import { ConfigError, listenFromEnv, optionsFromEnv } from './src/config.mjs'

export { buildServer }

async function main() {
  let app
  let address
  try {
    address = listenFromEnv(process.env)
    app = buildServer({
      ...optionsFromEnv(process.env),
      logger: { level: process.env.LOG_LEVEL || 'info' },
    })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`shipgate portal: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      app.close().then(() => process.exit(0), () => process.exit(1))
    })
  }
  try {
    await app.listen(address)
  } catch (err) {
    process.stderr.write(`shipgate portal: cannot listen on ${address.host}:${address.port}: ${err.message}\n`)
    process.exit(2)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main()
}

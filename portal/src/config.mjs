// The portal's configuration: what it serves (the policy set, catalog, example changes, train,
// deployment history and decision archive) and the fixed "now", from the options of
// `buildServer` or from the environment. Relative paths are relative to the repository root.
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: the folder above `portal/`. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The example set of the repository, the defaults. `archive` has none: see `buildServer`. */
export const defaults = Object.freeze({
  policy: 'policies/payments',
  catalog: 'policies/catalog.yaml',
  changes: 'policies/changes',
  train: 'policies/trains/december.yaml',
  history: 'policies/history/deployments.jsonl',
  archiveSeed: 'policies/audit/decisions.jsonl',
})

/** Environment variable of each option. */
export const environment = Object.freeze({
  policy: 'SHIPGATE_POLICY',
  catalog: 'SHIPGATE_CATALOG',
  changes: 'SHIPGATE_CHANGES',
  train: 'SHIPGATE_TRAIN',
  history: 'SHIPGATE_HISTORY',
  archive: 'SHIPGATE_ARCHIVE',
  now: 'SHIPGATE_NOW',
})

/** The options `buildServer` reads from an environment (`process.env`): set variables only. */
export function optionsFromEnv(env) {
  const options = {}
  for (const [key, name] of Object.entries(environment)) {
    const value = env[name]
    if (value !== undefined && value !== '') options[key] = value
  }
  return options
}

/** A path option, absolute. */
export function located(path) {
  return isAbsolute(path) ? path : join(repoRoot, path)
}

/** The server's listening address from an environment: `PORT` (8080) and `HOST` (127.0.0.1). */
export function listenFromEnv(env) {
  const text = env.PORT ?? '8080'
  const port = Number(text)
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(`PORT must be a port number (0-65535), got ${JSON.stringify(text)}`)
  }
  return { port, host: env.HOST || '127.0.0.1' }
}

/** A configuration the portal cannot start with: its message is for the operator. */
export class ConfigError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = 'ConfigError'
  }
}

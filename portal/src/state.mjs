// What the portal loads once, at start: the compiled policy set and catalog, the example
// changes, the train, the history file (checked readable) and the decision archive. Anything
// that does not load is a ConfigError naming the file and what is wrong, so the server never
// starts half-configured.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, extname, isAbsolute, join, relative } from 'node:path'

import { AuditLog, Catalog, Change, Engine, metrics, readDocument } from './shipgate.mjs'
import { ConfigError, defaults, located } from './config.mjs'

const DOCUMENT = new Set(['.json', '.yaml', '.yml'])

/** Runs `load`; an error of the binding becomes a ConfigError that names `what`. */
function loading(what, path, load) {
  try {
    return load()
  } catch (err) {
    const detail = err?.diagnostics || err?.message || String(err)
    throw new ConfigError(`cannot load the ${what} (${path}):\n${detail}`, { cause: err })
  }
}

/** RFC 3339 with an offset, as the engine reads it; `Date.parse` alone accepts far more. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i

export function isInstant(text) {
  return typeof text === 'string' && RFC3339.test(text) && !Number.isNaN(Date.parse(text))
}

/** An instant as the engine writes it: RFC 3339 UTC, whole seconds. */
export function formatInstant(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** `path` relative to the working folder when it lies under it, or near it. */
function shortest(path) {
  const near = relative(process.cwd(), path)
  return near === '' || isAbsolute(near) ? path : near
}

export function loadState(options = {}) {
  const paths = {}
  for (const key of ['policy', 'catalog', 'changes', 'train', 'history']) {
    paths[key] = located(options[key] ?? defaults[key])
  }
  if (options.now !== undefined && !isInstant(options.now)) {
    throw new ConfigError(
      `SHIPGATE_NOW must be an RFC 3339 instant with an offset (2026-12-18T09:00:00Z), got ${JSON.stringify(options.now)}`,
    )
  }

  // Decisions locate rules by the path the engine was given: relative to the working folder,
  // as the CLI's are, so that no absolute path of this machine reaches a client.
  const policyPath = shortest(paths.policy)
  const engine = loading('policy set', paths.policy, () => Engine.fromPath(policyPath))
  const catalogObject = loading('catalog', paths.catalog, () => readDocument(paths.catalog))
  const catalog = loading('catalog', paths.catalog, () => new Catalog(catalogObject))

  const examples = new Map()
  const files = loading('example changes', paths.changes, () =>
    readdirSync(paths.changes).filter((f) => DOCUMENT.has(extname(f).toLowerCase())).sort(),
  )
  for (const file of files) {
    const path = join(paths.changes, file)
    const change = loading('example change', path, () => readDocument(path))
    loading('example change', path, () => new Change(change))
    if (examples.has(change.id)) {
      throw new ConfigError(`two example changes have the id ${JSON.stringify(change.id)} (${examples.get(change.id).file} and ${file})`)
    }
    examples.set(change.id, { id: change.id, title: change.title ?? change.id, file, change })
  }

  const trainDocument = loading('train', paths.train, () => readDocument(paths.train))
  const train = Array.isArray(trainDocument) ? trainDocument : trainDocument?.changes
  if (!Array.isArray(train)) {
    throw new ConfigError(`cannot load the train (${paths.train}): expected a list of changes or {changes: [...]}`)
  }

  loading('deployment history', paths.history, () => metrics(paths.history))

  // The archive: the one given, or a copy of the example archive in a folder of its own, so
  // that recording a decision never writes into the repository.
  let archivePath
  let scratch
  if (options.archive !== undefined) {
    archivePath = located(options.archive)
  } else {
    scratch = mkdtempSync(join(tmpdir(), 'shipgate-portal-'))
    archivePath = join(scratch, basename(defaults.archiveSeed))
    const seed = located(defaults.archiveSeed)
    loading('example archive', seed, () => copyFileSync(seed, archivePath))
  }
  const archive = loading('decision archive', archivePath, () => new AuditLog(archivePath))

  return {
    paths: { ...paths, archive: archivePath },
    now: options.now,
    engine,
    catalog,
    catalogObject,
    examples,
    train,
    archive,
    /** Removes the scratch copy of the archive, if one was made. */
    close() {
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
    },
  }
}

'use strict'
// Loads the native addon. `npm run build` (or `npm run build:debug`) compiles it with cargo and
// copies it here as `shipgate.node`; SHIPGATE_NODE_ADDON may name another build to load.
const { join } = require('node:path')

const addon = process.env.SHIPGATE_NODE_ADDON || join(__dirname, 'shipgate.node')

let native
try {
  native = require(addon)
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    throw new Error(
      `shipgate: the native addon is not built (looked for ${addon}); ` +
        'run `npm run build` in bindings/node (needs a Rust toolchain)',
      { cause: err },
    )
  }
  throw err
}

// Held now, so that a later monkey-patch of `JSON` changes nothing this package returns.
const parse = JSON.parse
const { decisionPart, decisionJson } = native
const VERDICTS = ['allow', 'pending', 'deny']
const CREATE = Symbol('Decision')

/**
 * The engine's answer for one change. The addon returns the decision packed into a string
 * (V8 owns it, so it is freed with this object like any other value); each part is built as
 * plain objects, by `JSON.parse` of its JSON text, the first time it is read, and kept: reading
 * `d.reasons` twice gives the same array. `verdict` is read from the packed string without
 * calling into the addon.
 */
class Decision {
  #packed
  #parts

  constructor(key, packed) {
    if (key !== CREATE) {
      throw new TypeError('Decision has no public constructor: decisions come from Engine.evaluate')
    }
    this.#packed = packed
    this.#parts = undefined
  }

  /** A part, built on first read and kept. */
  #part(key) {
    const parts = (this.#parts ??= { __proto__: null })
    let value = parts[key]
    if (value === undefined) {
      value = parts[key] = parse(decisionPart(this.#packed, key))
    }
    return value
  }

  get verdict() {
    return VERDICTS[this.#packed.charCodeAt(0)]
  }
  get change() {
    return this.#part('change')
  }
  get now() {
    return this.#part('now')
  }
  get tier() {
    return this.#part('tier')
  }
  get reasons() {
    return this.#part('reasons')
  }
  get requirements() {
    return this.#part('requirements')
  }
  get obligations() {
    return this.#part('obligations')
  }
  get exemptions() {
    return this.#part('exemptions')
  }
  get waivers() {
    return this.#part('waivers')
  }
  get schedule() {
    return this.#part('schedule')
  }
  get conflicts() {
    return this.#part('conflicts')
  }
  get strategy() {
    return this.#part('strategy')
  }
  get rollback() {
    return this.#part('rollback')
  }
  get notify() {
    return this.#part('notify')
  }
  get order() {
    return this.#part('order')
  }
  get trace() {
    return this.#part('trace')
  }
  get to_ship() {
    return this.#part('to_ship')
  }
  get policy() {
    return this.#part('policy')
  }
  get inputs() {
    return this.#part('inputs')
  }
  get engine() {
    return this.#part('engine')
  }

  /** The whole decision as a new plain object: the JSON of `shipgate check --format json`. */
  toObject() {
    return parse(decisionJson(this.#packed, false))
  }

  /** For `JSON.stringify`: the plain object, so the text is that of the CLI's JSON. */
  toJSON() {
    return this.toObject()
  }

  /** The JSON text exactly as `shipgate check --format json` prints it (two-space indent). */
  toJSONText() {
    return decisionJson(this.#packed, true)
  }

  /** `console.log` and `util.inspect` show the whole decision, as `Decision {...}`. */
  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    if (depth < 0) return options.stylize(`[Decision: ${this.verdict}]`, 'special')
    return `Decision ${inspect(this.toObject(), { ...options, depth })}`
  }
}

const wrap = (packed) => new Decision(CREATE, packed)
const wrapAll = (list) => {
  for (let i = 0; i < list.length; i++) list[i] = new Decision(CREATE, list[i])
  return list
}

// The evaluate methods return `Decision`s: each native method is wrapped where it is, on the
// class the addon defines, so `Engine` stays the addon's class (and `instanceof` holds). The
// native methods are kept on the prototype under a symbol, so that loading this file again
// (a second copy of the package, a test runner's fresh module registry) wraps them, not the
// wrappers.
const { prototype } = native.Engine
const NATIVE = Symbol.for('shipgate.nativeEvaluate')
if (!Object.hasOwn(prototype, NATIVE)) {
  const saved = {}
  for (const name of ['evaluate', 'evaluateAsync', 'evaluateMany', 'evaluateManyAsync']) {
    saved[name] = prototype[name]
  }
  Object.defineProperty(prototype, NATIVE, { value: Object.freeze(saved) })
}
const raw = prototype[NATIVE]

// Reading options through Node-API costs more than the rest of the arguments, so the common
// case is read here: `known` says the options have no key but `now` and `explain` (or `now`
// alone, for `many`), so the addon need not list their keys; `dateTime` is the time of a valid
// `Date` given as `now`, which the addon then takes as it is. Anything else (text for `now`, a
// wrong type, an unknown key) goes to the addon, which reads it and names what is wrong.
const getTime = Date.prototype.getTime

function known(options, many) {
  if (options === undefined || options === null) return true
  if (typeof options !== 'object') return false
  for (const key in options) {
    if (key !== 'now' && (many || key !== 'explain')) return false
  }
  return true
}

function dateTime(options) {
  const now = options.now
  if (!(now instanceof Date)) return undefined
  const time = getTime.call(now)
  return time === time ? time : undefined // NaN: an invalid Date, which the addon reports
}

function evaluateRaw(engine, method, change, catalog, options) {
  if (!known(options, false)) return method.call(engine, change, catalog, options, false)
  if (options === undefined || options === null) return method.call(engine, change, catalog, options, true)
  const time = dateTime(options)
  const explain = options.explain
  if (time === undefined || (explain !== undefined && typeof explain !== 'boolean')) {
    return method.call(engine, change, catalog, options, true)
  }
  return method.call(engine, change, catalog, undefined, true, time, explain === true)
}

function evaluateManyRaw(engine, method, changes, catalog, options) {
  if (!known(options, true)) return method.call(engine, changes, catalog, options, false)
  const time = options === undefined || options === null ? undefined : dateTime(options)
  if (time === undefined) return method.call(engine, changes, catalog, options, true)
  return method.call(engine, changes, catalog, undefined, true, time)
}

// `options.auditLog`: the decision is appended to that `AuditLog` before it is returned. It is
// taken out of the options here (the addon reads the rest), and the append is the archive's own.
function inputError(path, message) {
  const err = new Error(`${path}: ${message}`)
  Object.assign(err, { code: 'INPUT_ERROR', path, file: null, line: null, column: null, diagnostics: null, index: null })
  return err
}

function splitAuditLog(options) {
  if (options === null || typeof options !== 'object' || !Object.hasOwn(options, 'auditLog')) {
    return [undefined, options]
  }
  const { auditLog, ...rest } = options
  if (!(auditLog instanceof native.AuditLog)) {
    throw inputError('options.auditLog', 'expected an AuditLog')
  }
  return [auditLog, rest]
}

const methods = {
  evaluate(change, catalog, options) {
    const [log, rest] = splitAuditLog(options)
    const decision = new Decision(CREATE, evaluateRaw(this, raw.evaluate, change, catalog, rest))
    if (log !== undefined) log.append(decision)
    return decision
  },
  evaluateAsync(change, catalog, options) {
    const [log, rest] = splitAuditLog(options)
    return evaluateRaw(this, raw.evaluateAsync, change, catalog, rest).then((packed) => {
      const decision = wrap(packed)
      if (log !== undefined) log.append(decision)
      return decision
    })
  },
  evaluateMany(changes, catalog, options) {
    return wrapAll(evaluateManyRaw(this, raw.evaluateMany, changes, catalog, options))
  },
  evaluateManyAsync(changes, catalog, options) {
    return evaluateManyRaw(this, raw.evaluateManyAsync, changes, catalog, options).then(wrapAll)
  },
}
for (const [name, method] of Object.entries(methods)) {
  const { enumerable } = Object.getOwnPropertyDescriptor(prototype, name)
  Object.defineProperty(prototype, name, { value: method, writable: true, enumerable, configurable: true })
}

// `AuditLog.append(decision, at?)`: the addon takes the decision's JSON text, which is what the
// archive keeps. The native method is kept under a symbol, as the evaluate methods are.
const auditPrototype = native.AuditLog.prototype
const NATIVE_APPEND = Symbol.for('shipgate.nativeAppend')
if (!Object.hasOwn(auditPrototype, NATIVE_APPEND)) {
  Object.defineProperty(auditPrototype, NATIVE_APPEND, { value: auditPrototype.append })
}
const nativeAppend = auditPrototype[NATIVE_APPEND]
Object.defineProperty(auditPrototype, 'append', {
  value: function append(decision, at) {
    if (!(decision instanceof Decision)) throw inputError('decision', 'expected a Decision')
    return nativeAppend.call(this, decision.toJSONText(), at)
  },
  writable: true,
  enumerable: Object.getOwnPropertyDescriptor(auditPrototype, 'append').enumerable,
  configurable: true,
})

module.exports = {
  AuditLog: native.AuditLog,
  Engine: native.Engine,
  Catalog: native.Catalog,
  Change: native.Change,
  Decision,
  drawGraph: native.drawGraph,
  metrics: native.metrics,
  metricsSvg: native.metricsSvg,
  readDocument: native.readDocument,
}

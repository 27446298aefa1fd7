// Decisions are lazy: `evaluate` returns a `Decision` holding the packed decision, and each part
// is built on first read and kept. These tests pin what users see of it.
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'

import { Catalog, Change, Decision, Engine } from 'shipgate'
import { NOW, assertThrowsShipgate, catalogObject, changeObject, policiesDir } from './support.mjs'

const KEYS = [
  'verdict', 'change', 'now', 'tier', 'reasons', 'requirements', 'exemptions', 'waivers',
  'schedule', 'strategy', 'rollback', 'notify', 'order', 'trace', 'policy', 'inputs', 'engine',
]
const STRING_KEYS = ['verdict', 'change', 'now', 'tier', 'strategy', 'policy', 'inputs', 'engine']
const OBJECT_KEYS = KEYS.filter((k) => !STRING_KEYS.includes(k))

const RULES = `tiers low, high
tier high when change.size > 100
rule two_eyes {
  deny when change.requester == change.implementer
  message "requester {change.requester} may not implement"
}
rule cab {
  when tier >= high
  require approval "cab" count 2
}
`
const engine = Engine.fromSource(RULES, 'rules.gate')
const catalog = new Catalog(catalogObject())

const payments = Engine.fromPath(join(policiesDir, 'payments'))
const paymentsCatalog = Catalog.fromPath(join(policiesDir, 'catalog.yaml'))
const exampleChanges = readdirSync(join(policiesDir, 'changes'))
  .sort()
  .map((f) => Change.fromPath(join(policiesDir, 'changes', f)))

/** Every example change at two instants, with and without a trace. */
function examples() {
  const out = []
  for (const change of exampleChanges) {
    for (const now of ['2026-12-01T09:00:00Z', '2026-12-18T09:00:00Z']) {
      for (const explain of [false, true]) out.push({ change, options: { now, explain } })
    }
  }
  return out
}

describe('reading a Decision', () => {
  test('each part is built once: a second read gives the same object', () => {
    for (const { change, options } of examples()) {
      const d = payments.evaluate(change, paymentsCatalog, options)
      for (const key of OBJECT_KEYS) {
        const first = d[key]
        assert.equal(typeof first, 'object', key)
        assert.equal(d[key], first, `${key} is built again`)
      }
      assert.equal(d.schedule.regions, d.schedule.regions)
      assert.equal(d.tier, d.tier)
    }
  })

  test('every part equals the same key of the plain form, in the same key order', () => {
    for (const { change, options } of examples()) {
      const d = payments.evaluate(change, paymentsCatalog, options)
      const plain = d.toObject()
      // `obligations` only where approvals are owed after the change (the hotfix).
      const owed = plain.obligations
      assert.deepEqual(d.obligations, owed ?? [])
      assert.equal(owed !== undefined, plain.change === 'CHG-1045')
      delete plain.obligations
      // `to_ship` only with explain, after `trace`.
      const keys = options.explain ? [...KEYS.slice(0, 14), 'to_ship', ...KEYS.slice(14)] : KEYS
      assert.deepEqual(Object.keys(plain), keys)
      // With explain `to_ship` is compared in the loop below; without it, it is null.
      if (!options.explain) assert.equal(d.to_ship, null)
      for (const key of keys) {
        assert.equal(JSON.stringify(d[key]), JSON.stringify(plain[key]), key)
        assert.deepEqual(d[key], plain[key], key)
      }
    }
  })

  test('parts are plain values: arrays, plain objects, strings, null', () => {
    const d = payments.evaluate(exampleChanges[0], paymentsCatalog, { now: NOW })
    assert.ok(Array.isArray(d.reasons))
    assert.equal(Object.getPrototypeOf(d.schedule), Object.prototype)
    assert.equal(typeof d.verdict, 'string')
    assert.ok(['allow', 'pending', 'deny'].includes(d.verdict))
    const none = engine.evaluate(changeObject(), catalog, { now: NOW })
    assert.equal(none.strategy, null)
  })

  test('parts read in any order, and after toObject, agree', () => {
    const a = payments.evaluate(exampleChanges[1], paymentsCatalog, { now: NOW, explain: true })
    const b = payments.evaluate(exampleChanges[1], paymentsCatalog, { now: NOW, explain: true })
    const plain = b.toObject()
    for (const key of [...KEYS].reverse()) assert.deepEqual(a[key], plain[key], key)
    for (const key of KEYS) assert.deepEqual(b[key], plain[key], key)
  })

  test('toObject gives a new object each time; changing it leaves the decision alone', () => {
    const d = engine.evaluate(changeObject({ implementer: 'ana' }), catalog, { now: NOW })
    const one = d.toObject()
    const two = d.toObject()
    assert.notEqual(one, two)
    assert.notEqual(one.reasons, d.reasons)
    one.reasons.length = 0
    one.verdict = 'allow'
    assert.equal(d.verdict, 'deny')
    assert.equal(d.toObject().reasons.length, 1)
    assert.equal(d.reasons.length, 1)
  })

  test('text that is not ASCII comes back as it went in', () => {
    const name = 'Zoë Ωmega 😀 "quoted" \\ back\nslash'
    const d = engine.evaluate(changeObject({ requester: name, implementer: name }), catalog, { now: NOW })
    assert.equal(d.verdict, 'deny')
    assert.equal(d.reasons[0].message, `requester ${name} may not implement`)
    assert.equal(JSON.parse(d.toJSONText()).reasons[0].message, `requester ${name} may not implement`)
    assert.equal(JSON.parse(JSON.stringify(d)).reasons[0].message, `requester ${name} may not implement`)
  })

  test('a later monkey-patch of JSON.parse does not change the parts', () => {
    const want = engine.evaluate(changeObject(), catalog, { now: NOW }).toObject()
    const { parse } = JSON
    try {
      JSON.parse = () => ({ patched: true })
      const d = engine.evaluate(changeObject(), catalog, { now: NOW })
      assert.deepEqual(d.schedule, want.schedule)
      assert.deepEqual(d.toObject(), want)
    } finally {
      JSON.parse = parse
    }
  })
})

describe('a Decision as JSON', () => {
  test('JSON.stringify gives the text of the plain form, for every example', () => {
    for (const { change, options } of examples()) {
      const d = payments.evaluate(change, paymentsCatalog, options)
      const text = JSON.stringify(d)
      assert.equal(text, JSON.stringify(d.toObject()))
      assert.equal(text, JSON.stringify(JSON.parse(d.toJSONText())))
      // Nested in other data too, as a portal would send it.
      assert.equal(JSON.stringify({ id: 'x', decision: d }), `{"id":"x","decision":${text}}`)
    }
  })

  test('toJSONText is the CLI\'s text: two-space indent, keys in contract order', () => {
    const d = payments.evaluate(exampleChanges[0], paymentsCatalog, { now: NOW })
    const text = d.toJSONText()
    assert.ok(text.startsWith('{\n  "verdict": '), text.slice(0, 40))
    assert.deepEqual(Object.keys(JSON.parse(text)), KEYS)
    for (const key of KEYS) assert.match(text, new RegExp(`^  "${key}": `, 'm'))
    assert.ok(!text.endsWith('\n'))
  })

  test('a Decision passed back as input is read through toJSON', () => {
    const d = engine.evaluate(changeObject(), catalog, { now: NOW })
    const change = new Change(changeObject({ previous: d }))
    assert.equal(change.id, 'CHG-1')
  })
})

describe('explain', () => {
  test('fills the trace part; without it the trace is empty', () => {
    const quiet = engine.evaluate(changeObject(), catalog, { now: NOW })
    const loud = engine.evaluate(changeObject(), catalog, { now: NOW, explain: true })
    assert.deepEqual(quiet.trace, [])
    assert.ok(loud.trace.length > 0)
    assert.ok(loud.trace.some((t) => t.kind === 'rule' && t.name === 'two_eyes'))
    // A condition's entry also has the values its atoms saw.
    assert.deepEqual(Object.keys(loud.trace[0]), ['kind', 'name', 'outcome', 'at', 'values'])
    assert.deepEqual(loud.trace, loud.toObject().trace)
    assert.deepEqual(loud.to_ship, loud.toObject().to_ship)
    assert.equal(quiet.to_ship, null)
    // The rest of the decision does not depend on the trace.
    const { trace: _a, to_ship: _s, ...rest } = loud.toObject()
    const { trace: _b, ...quietRest } = quiet.toObject()
    assert.deepEqual(rest, quietRest)
  })
})

describe('evaluateMany and the async calls', () => {
  const services = [['api'], ['web'], ['db', 'web'], ['api', 'db']]
  const changes = Array.from({ length: 40 }, (_, i) =>
    changeObject({ id: `CHG-${i}`, services: services[i % services.length], size: i * 7, implementer: i % 5 ? 'bob' : 'ana' }),
  )

  test('evaluateMany gives Decisions whose parts equal those of evaluate', () => {
    const many = engine.evaluateMany(changes, catalog, { now: NOW })
    assert.equal(many.length, changes.length)
    many.forEach((d, i) => {
      assert.ok(d instanceof Decision)
      const one = engine.evaluate(changes[i], catalog, { now: NOW })
      for (const key of KEYS) assert.deepEqual(d[key], one[key], `${i}.${key}`)
      assert.equal(JSON.stringify(d), JSON.stringify(one))
    })
    assert.ok(many.some((d) => d.verdict === 'deny') && many.some((d) => d.verdict !== 'deny'))
  })

  test('parts read after evaluateAsync and evaluateManyAsync', async () => {
    const d = await engine.evaluateAsync(changes[5], catalog, { now: NOW, explain: true })
    assert.ok(d instanceof Decision)
    assert.equal(d.verdict, 'deny')
    assert.equal(d.reasons[0].rule, 'two_eyes')
    assert.ok(d.trace.length > 0)
    assert.equal(d.reasons, d.reasons)
    const sync = engine.evaluate(changes[5], catalog, { now: NOW, explain: true })
    assert.equal(d.toJSONText(), sync.toJSONText())

    const many = await engine.evaluateManyAsync(changes, catalog, { now: NOW })
    many.forEach((m, i) => assert.equal(m.toJSONText(), engine.evaluate(changes[i], catalog, { now: NOW }).toJSONText()))
  })
})

// index.js reads the usual options itself ({now: Date, explain: boolean}) and leaves the rest
// to the addon: both ways must decide, and fail, alike.
describe('options, read by index.js or by the addon', () => {
  const date = new Date(NOW)
  const text = (options) => engine.evaluate(changeObject({ size: 500 }), catalog, options).toJSONText()

  test('a Date and its text give the same decision, with and without explain', () => {
    assert.equal(text({ now: date }), text({ now: NOW }))
    assert.equal(text({ now: date, explain: true }), text({ now: NOW, explain: true }))
    assert.equal(text({ now: date, explain: false }), text({ now: NOW }))
    assert.ok(engine.evaluate(changeObject(), catalog, { now: date, explain: true }).trace.length > 0)
    const foreign = vm.runInNewContext(`new Date(${JSON.stringify(NOW)})`)
    assert.equal(text({ now: foreign }), text({ now: NOW }))
    // Only own keys are options; an inherited one is ignored, as the addon always did.
    assert.equal(text(Object.assign(Object.create({ inherited: 1 }), { now: date })), text({ now: NOW }))
  })

  test('bad options are reported the same way next to a Date', () => {
    assertThrowsShipgate(() => text({ now: date, explain: 'yes' }), { code: 'INPUT_ERROR', path: 'options.explain' })
    assertThrowsShipgate(() => text({ now: date, nwo: date }), { code: 'INPUT_ERROR', path: 'options.nwo' })
    assertThrowsShipgate(() => text({ now: new Date(NaN), explain: true }), { code: 'INPUT_ERROR', path: 'options.now' })
    assertThrowsShipgate(() => text([date]), { code: 'INPUT_ERROR', path: 'options' })
    assertThrowsShipgate(() => engine.evaluateMany([changeObject()], catalog, { now: date, explain: true }), {
      code: 'INPUT_ERROR',
      path: 'options.explain',
    })
  })

  test('evaluateMany and the async calls take a Date as now', async () => {
    const want = engine.evaluate(changeObject(), catalog, { now: NOW }).toJSONText()
    assert.equal(engine.evaluateMany([changeObject()], catalog, { now: date })[0].toJSONText(), want)
    assert.equal((await engine.evaluateManyAsync([changeObject()], catalog, { now: date }))[0].toJSONText(), want)
    assert.equal((await engine.evaluateAsync(changeObject(), catalog, { now: date })).toJSONText(), want)
  })
})

describe('lifetime', () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')

  test('a Decision outlives its engine, catalog and change', async () => {
    let d
    let engineRef
    ;(() => {
      const local = Engine.fromSource(RULES, 'rules.gate')
      engineRef = new WeakRef(local)
      d = local.evaluate(new Change(changeObject({ size: 500 })), new Catalog(catalogObject()), { now: NOW })
    })()
    for (let i = 0; i < 10 && engineRef.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve))
      gc()
    }
    assert.equal(engineRef.deref(), undefined, 'the engine was collected')
    assert.equal(d.verdict, 'pending')
    assert.equal(d.tier, 'high')
    assert.deepEqual(d.requirements[0].counted, ['carol'])
    assert.ok(d.toJSONText().includes('"cab"'))
  })

  test('a synchronous loop of decisions does not pile up memory', (t) => {
    // A decision lives in V8's heap, so the collector frees it inside a synchronous loop (native
    // finalizers would wait for the event loop to turn, keeping every decision until then).
    const change = exampleChanges[0]
    const options = { now: NOW }
    for (let i = 0; i < 2000; i++) payments.evaluate(change, paymentsCatalog, options).verdict
    gc()
    const before = process.memoryUsage().rss
    const n = 40_000
    for (let i = 0; i < n; i++) payments.evaluate(change, paymentsCatalog, options).verdict
    const grown = process.memoryUsage().rss - before
    // A retained Rust decision of this change is some kilobytes: 40,000 would be 100+ MB.
    t.diagnostic(`rss grew by ${(grown / 1e6).toFixed(1)} MB over ${n} decisions`)
    assert.ok(grown < 60e6, `rss grew by ${(grown / 1e6).toFixed(0)} MB over ${n} decisions`)
  })
})

describe('what a Decision is, as an object', () => {
  const d = engine.evaluate(changeObject({ implementer: 'ana' }), catalog, { now: NOW })

  test('has no public constructor', () => {
    assert.throws(() => new Decision(), TypeError)
    assert.throws(() => new Decision(Symbol('Decision'), 'x'), TypeError)
  })

  test('its getters refuse other objects', () => {
    const get = (key) => Object.getOwnPropertyDescriptor(Decision.prototype, key).get
    assert.throws(() => get('verdict').call({}), TypeError)
    assert.throws(() => get('reasons').call(Object.create(Decision.prototype)), TypeError)
    assert.throws(() => Decision.prototype.toObject.call({ verdict: 'allow' }), TypeError)
  })

  test('has no own keys: spread and structuredClone give {}, JSON.stringify gives everything', () => {
    assert.deepEqual(Object.keys(d), [])
    assert.deepEqual({ ...d }, {})
    assert.deepEqual(structuredClone(d), {})
    assert.deepEqual(JSON.parse(JSON.stringify(d)), d.toObject())
    assert.deepEqual({ ...d.toObject() }, d.toObject())
  })

  test('console.log shows the whole decision', () => {
    const shown = inspect(d)
    assert.ok(shown.startsWith('Decision {'), shown)
    assert.equal(shown, `Decision ${inspect(d.toObject())}`)
    assert.match(shown, /verdict: 'deny'/)
    assert.match(inspect({ a: { b: { d } } }), /d: \[Decision: deny\]/)
    assert.equal(inspect([d], { depth: 0 }), '[ [Decision: deny] ]')
    assert.match(inspect([d]), /^\[\n  Decision \{\n    verdict: 'deny',/)
  })
})

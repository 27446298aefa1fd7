// Every export of the package, through both module systems.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import shipgateDefault, { Catalog, Change, Decision, Engine, metrics } from 'shipgate'
import {
  NOW,
  assertThrowsShipgate,
  catalogObject,
  changeObject,
  pkgDir,
  policiesDir,
} from './support.mjs'

const DECISION_KEYS = [
  'verdict', 'change', 'now', 'tier', 'reasons', 'requirements', 'exemptions', 'waivers',
  'schedule', 'strategy', 'rollback', 'notify', 'order', 'trace', 'policy', 'inputs', 'engine',
]

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

describe('loading', () => {
  test('CommonJS and ESM give the same classes', () => {
    const cjs = createRequire(import.meta.url)('shipgate')
    assert.equal(cjs.Engine, Engine)
    assert.equal(cjs.Catalog, Catalog)
    assert.equal(cjs.Change, Change)
    assert.equal(cjs.Decision, Decision)
    assert.equal(shipgateDefault.Engine, Engine)
    assert.deepEqual(Object.keys(cjs).sort(), ['AuditLog', 'Catalog', 'Change', 'Decision', 'Engine', 'drawGraph', 'metrics', 'metricsSvg', 'readDocument'])
    assert.equal(cjs.metrics, metrics)
  })

  test('loads in a worker thread too, with its own copy of the helpers', async () => {
    const { Worker } = await import('node:worker_threads')
    const code = `
      const { parentPort } = require('node:worker_threads')
      const { Engine, Catalog } = require('shipgate')
      const engine = Engine.fromSource('tiers low, high\\ngroups cab')
      const catalog = new Catalog(${JSON.stringify(catalogObject())})
      const d = engine.evaluate(${JSON.stringify(changeObject())}, catalog, { now: new Date('${NOW}') })
      parentPort.postMessage(d.toObject())
    `
    const worker = new Worker(code, { eval: true })
    const [decision] = await Promise.all([
      new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)),
      new Promise((resolve) => worker.once('exit', resolve)),
    ])
    const here = Engine.fromSource('tiers low, high\ngroups cab').evaluate(changeObject(), new Catalog(catalogObject()), { now: NOW })
    assert.deepEqual(decision, here.toObject())
  })

  test('a missing addon is reported with the command that builds it', async () => {
    const { spawnSync } = await import('node:child_process')
    const run = spawnSync(process.execPath, ['-e', "require('shipgate')"], {
      cwd: pkgDir,
      encoding: 'utf8',
      env: { ...process.env, SHIPGATE_NODE_ADDON: join(pkgDir, 'no-such-addon.node') },
    })
    assert.notEqual(run.status, 0)
    assert.match(run.stderr, /the native addon is not built .*run `npm run build`/)
  })

  test('Engine has no public constructor', () => {
    assert.throws(() => new Engine())
  })
})

describe('Engine', () => {
  test('fromPath compiles a folder, a file and a list', () => {
    assert.ok(Engine.fromPath(join(policiesDir, 'payments')) instanceof Engine)
    assert.ok(Engine.fromPath(join(policiesDir, 'payments', 'settings.gate')) instanceof Engine)
    const files = ['settings.gate', 'rules.gate'].map((f) => join(policiesDir, 'payments', f))
    assert.ok(Engine.fromPath(files) instanceof Engine)
  })

  test('fromSource compiles text, with or without a name', () => {
    assert.ok(Engine.fromSource(RULES) instanceof Engine)
    assert.ok(Engine.fromSource(RULES, 'rules.gate') instanceof Engine)
    assert.ok(Engine.fromSource(RULES, undefined) instanceof Engine)
  })

  test('renderWarnings is text', () => {
    assert.equal(typeof Engine.fromSource(RULES).renderWarnings(), 'string')
  })

  test('regions lists the declared regions', () => {
    assert.deepEqual(Engine.fromPath(join(policiesDir, 'payments')).regions, ['eu-west', 'us-east'])
    assert.deepEqual(Engine.fromSource(RULES).regions, [])
  })
})

describe('evaluate', () => {
  const engine = Engine.fromSource(RULES, 'rules.gate')
  const catalog = new Catalog(catalogObject())

  test('returns a Decision whose plain form has the keys of the CLI JSON, in order', () => {
    const d = engine.evaluate(changeObject(), catalog, { now: NOW })
    assert.ok(d instanceof Decision)
    const plain = d.toObject()
    assert.equal(Object.getPrototypeOf(plain), Object.prototype)
    assert.deepEqual(Object.keys(plain), DECISION_KEYS)
    assert.deepEqual(Object.keys(d.schedule), ['start', 'end', 'allowed', 'next_window', 'tzdb', 'regions'])
    assert.equal(d.schedule.start, '2026-12-01T10:00:00Z')
    assert.equal(d.schedule.end, '2026-12-01T12:00:00Z')
    assert.deepEqual(d.order, [['api']])
    assert.deepEqual(JSON.parse(JSON.stringify(d)), plain)
    for (const key of DECISION_KEYS) assert.deepEqual(d[key], plain[key], key)
  })

  test('a prepared Change and a plain object decide the same', () => {
    const obj = changeObject()
    const prepared = new Change(obj)
    assert.deepEqual(
      engine.evaluate(prepared, catalog, { now: NOW }).toObject(),
      engine.evaluate(obj, catalog, { now: NOW }).toObject(),
    )
  })

  test('a plain catalog object is accepted and decides like a Catalog', () => {
    assert.deepEqual(
      engine.evaluate(changeObject(), catalogObject(), { now: NOW }).toObject(),
      engine.evaluate(changeObject(), catalog, { now: NOW }).toObject(),
    )
  })

  test('options are optional; now defaults to the current time', () => {
    const d = engine.evaluate(changeObject({ start: undefined }), catalog)
    const start = Date.parse(d.schedule.start)
    assert.ok(Math.abs(start - Date.now()) < 60_000, d.schedule.start)
    assert.deepEqual(engine.evaluate(changeObject(), catalog, undefined).order, [['api']])
    assert.deepEqual(engine.evaluate(changeObject(), catalog, null).order, [['api']])
  })

  test('the order lists dependencies first', () => {
    const d = engine.evaluate(changeObject({ services: ['web', 'db', 'api'] }), catalog, { now: NOW })
    assert.deepEqual(d.order, [['db'], ['api'], ['web']])
  })

  test('a rule that denies gives its reason and location', () => {
    const d = engine.evaluate(changeObject({ implementer: 'ana' }), catalog, { now: NOW })
    assert.equal(d.verdict, 'deny')
    assert.deepEqual(d.reasons, [
      { rule: 'two_eyes', message: 'requester ana may not implement', at: 'rules.gate:4:3' },
    ])
  })

  test('missing approvals give pending, with who counted', () => {
    const d = engine.evaluate(changeObject({ size: 500 }), catalog, { now: NOW })
    assert.equal(d.tier, 'high')
    assert.equal(d.verdict, 'pending')
    assert.equal(d.requirements.length, 1)
    assert.deepEqual(d.requirements[0].counted, ['carol'])
    assert.equal(d.requirements[0].needed, 2)
    assert.equal(d.requirements[0].satisfied, false)
  })

  test('explain fills the trace', () => {
    const quiet = engine.evaluate(changeObject(), catalog, { now: NOW })
    const loud = engine.evaluate(changeObject(), catalog, { now: NOW, explain: true })
    assert.deepEqual(quiet.trace, [])
    assert.ok(loud.trace.length > 0)
    assert.ok(loud.trace.some((t) => t.kind === 'rule' && t.name === 'two_eyes'))
  })

  test('the example policy set denies CHG-1043 in the year-end freeze', () => {
    const payments = Engine.fromPath(join(policiesDir, 'payments'))
    const d = payments.evaluate(
      Change.fromPath(join(policiesDir, 'changes', 'chg-1043-ledger-migration.json')),
      Catalog.fromPath(join(policiesDir, 'catalog.yaml')),
      { now: '2026-12-18T09:00:00Z' },
    )
    assert.equal(d.verdict, 'deny')
    assert.equal(d.tier, 'critical')
    assert.ok(d.reasons.some((r) => r.rule === 'schedule'))
    assert.ok(d.schedule.regions[0].blocked_by.includes('year-end freeze'))
  })

  test('explain shows the values seen and what it takes to ship', () => {
    const payments = Engine.fromPath(join(policiesDir, 'payments'))
    const change = Change.fromPath(join(policiesDir, 'changes', 'chg-1043-ledger-migration.json'))
    const catalog = Catalog.fromPath(join(policiesDir, 'catalog.yaml'))
    const now = '2026-12-18T09:00:00Z'
    assert.equal(payments.evaluate(change, catalog, { now }).to_ship, null)
    const d = payments.evaluate(change, catalog, { now, explain: true })
    const critical = d.trace.find((t) => t.kind === 'tier')
    assert.deepEqual(critical.values, [
      { expr: 'any s in change.services: s.tier == 0', result: true, witness: 'ledger-db' },
    ])
    const medium = d.trace.find((t) => t.kind === 'tier' && t.name === 'medium')
    assert.deepEqual(medium.values[0].operands, [
      { expr: 'change.size', value: 620 },
      { expr: '300', value: 300, literal: true },
    ])
    assert.equal(d.to_ship[0].step, 'approval')
    assert.equal(d.to_ship[0].missing, 1)
    assert.match(d.to_ship[0].text, /^get 1 more approval from cab \(have ana; bob is the requester/)
    const last = d.to_ship.at(-1)
    assert.equal(last.step, 'window')
    assert.equal(last.window.start, '2027-01-05T08:00:00Z')
    assert.match(last.text, /opening Tue 5 Jan 2027 09:00 Europe\/Berlin$/)
    assert.deepEqual(d.toObject().to_ship, d.to_ship)
  })
})

describe('evaluateAsync', () => {
  const engine = Engine.fromSource(RULES)
  const catalog = new Catalog(catalogObject())

  test('resolves to the same decision as evaluate', async () => {
    const promise = engine.evaluateAsync(changeObject(), catalog, { now: NOW, explain: true })
    assert.ok(promise instanceof Promise)
    const decision = await promise
    assert.ok(decision instanceof Decision)
    assert.deepEqual(decision.toObject(), engine.evaluate(changeObject(), catalog, { now: NOW, explain: true }).toObject())
  })

  test('reads its arguments before returning: later mutation has no effect', async () => {
    const obj = changeObject()
    const promise = engine.evaluateAsync(obj, catalog, { now: NOW })
    obj.services = ['db']
    assert.deepEqual((await promise).order, [['api']])
  })
})

describe('evaluateMany', () => {
  const engine = Engine.fromSource(RULES)
  const catalog = new Catalog(catalogObject())
  const services = [['api'], ['web'], ['db', 'web'], ['api', 'db']]
  const changes = Array.from({ length: 100 }, (_, i) =>
    changeObject({ id: `CHG-${i}`, services: services[i % services.length], size: i * 7 }),
  )

  test('gives one decision per change, in input order, equal to evaluate', () => {
    const mixed = changes.map((c, i) => (i % 2 ? new Change(c) : c))
    const many = engine.evaluateMany(mixed, catalog, { now: NOW })
    assert.equal(many.length, changes.length)
    many.forEach((d, i) => {
      assert.ok(d instanceof Decision)
      assert.deepEqual(d.toObject(), engine.evaluate(changes[i], catalog, { now: NOW }).toObject())
    })
  })

  test('an empty batch gives an empty array', () => {
    assert.deepEqual(engine.evaluateMany([], catalog), [])
  })

  test('evaluateManyAsync resolves to the same decisions', async () => {
    const many = await engine.evaluateManyAsync(changes, catalog, { now: NOW })
    assert.ok(many.every((d) => d instanceof Decision))
    assert.deepEqual(
      many.map((d) => d.toObject()),
      engine.evaluateMany(changes, catalog, { now: NOW }).map((d) => d.toObject()),
    )
  })
})

describe('changeNextWindow', () => {
  const cases = join(pkgDir, '..', '..', 'tests', 'cases')
  const load = (file) => JSON.parse(readFileSync(file, 'utf8'))

  test('the whole change fits every region at once', () => {
    // London, New York and Singapore share 11:00-18:00 UTC on weekdays; New York's quarter
    // close and Singapore's payroll run push the change to Friday (New York alone: Thursday).
    const dir = join(cases, 'calendar-three-regions-window-days-away')
    const engine = Engine.fromPath(dir)
    const catalog = new Catalog(load(join(dir, 'catalog.json')))
    const change = load(join(dir, 'change.json'))
    const after = new Date('2026-12-14T12:00:00Z')
    const w = engine.changeNextWindow(change, catalog, after)
    assert.deepEqual(w, { start: '2026-12-18T11:00:00Z', end: '2026-12-18T18:00:00Z' })
    assert.deepEqual(engine.changeNextWindow(new Change(change), load(join(dir, 'catalog.json')), '2026-12-14T12:00:00Z'), w)
    assert.equal(engine.nextWindow('us', after, '2h').start, '2026-12-17T11:00:00Z')
    const d = engine.evaluate(change, catalog, { now: new Date('2026-12-11T12:00:00Z') })
    assert.deepEqual(d.schedule.next_window, w)
    const none = join(cases, 'calendar-three-regions-no-common-window')
    assert.equal(Engine.fromPath(none).changeNextWindow(load(join(none, 'change.json')), catalog, after), null)
    assertThrowsShipgate(() => engine.changeNextWindow({ ...change, regions: ['eu', 'mars'] }, catalog, after), {
      code: 'INPUT_ERROR',
      path: 'change.regions[1]',
    })
  })
})

describe('nextWindow', () => {
  const source = `calendar office timezone "Europe/Berlin" {
  window mon-fri 09:00-17:00
}
region eu uses office
`

  test('finds the next stretch with room', () => {
    const engine = Engine.fromSource(source)
    // Saturday 2026-12-05: the next window opens Monday 09:00 Berlin (08:00 UTC).
    const w = engine.nextWindow('eu', new Date('2026-12-05T12:00:00Z'), '2h')
    assert.deepEqual(w, { start: '2026-12-07T08:00:00Z', end: '2026-12-07T16:00:00Z' })
    assert.deepEqual(engine.nextWindow('eu', '2026-12-05T12:00:00Z', 7200), w)
    assert.equal(engine.nextWindow('eu', '2026-12-05T12:00:00Z', '9h'), null)
  })

  test('an unknown region is an input error', () => {
    assertThrowsShipgate(() => Engine.fromSource('tiers low').nextWindow('mars', NOW, '1h'), {
      code: 'INPUT_ERROR',
      path: 'region',
    })
  })
})

describe('Catalog and Change', () => {
  test('Catalog reads objects and files (JSON or YAML)', () => {
    assert.equal(new Catalog(catalogObject()).size, 3)
    const yaml = Catalog.fromPath(join(policiesDir, 'catalog.yaml'))
    assert.ok(yaml instanceof Catalog)
    assert.ok(yaml.size >= 5)
  })

  test('Change reads objects and files (JSON or YAML)', () => {
    assert.equal(new Change(changeObject()).id, 'CHG-1')
    assert.equal(Change.fromPath(join(policiesDir, 'changes', 'chg-1044-fraud-rules.yaml')).id, 'CHG-1044')
    assert.equal(Change.fromPath(join(policiesDir, 'changes', 'chg-1043-ledger-migration.json')).id, 'CHG-1043')
  })

  test('a Change from a file decides like the same change as an object', async () => {
    const { readFileSync } = await import('node:fs')
    const file = join(policiesDir, 'changes', 'chg-1043-ledger-migration.json')
    const engine = Engine.fromPath(join(policiesDir, 'payments'))
    const catalog = Catalog.fromPath(join(policiesDir, 'catalog.yaml'))
    assert.deepEqual(
      engine.evaluate(Change.fromPath(file), catalog, { now: NOW }).toObject(),
      engine.evaluate(JSON.parse(readFileSync(file, 'utf8')), catalog, { now: NOW }).toObject(),
    )
  })
})

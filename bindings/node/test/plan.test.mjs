// `engine.plan`: a train planned through the binding is the plain form of `shipgate plan
// --format json` for the same input (same keys, same order); `from` takes a Date or text;
// errors are INPUT_ERRORs at the paths the library names (docs/planning.md).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import { assertThrowsShipgate, catalogObject, policiesDir, repoRoot } from './support.mjs'

const exe = process.platform === 'win32' ? 'shipgate.exe' : 'shipgate'
const cli = resolve(process.env.SHIPGATE_BIN || join(repoRoot, 'target', 'debug', exe))

const FROM = '2026-12-07T08:00:00Z'
const catalogFile = join(policiesDir, 'catalog.yaml')

/** Part of policies/trains/december.yaml: two region-by-region rollouts (one with a soak), a
 * change in one region, and a change denied at every start with one that follows it. */
function train() {
  const base = (id, services, extra = {}) => ({
    id,
    title: `change ${id}`,
    ticket: `PAY-${id.slice(4)}`,
    kind: ['application'],
    services,
    requester: 'omar',
    implementer: 'lena',
    duration: '1h',
    ...extra,
  })
  return [
    base('CHG-2001', ['ledger-db'], { kind: ['database'], backward_compatible: true, rollout: 'per_region', soak: '1h', duration: '2h' }),
    base('CHG-2002', ['payments-api'], { rollout: 'per_region' }),
    base('CHG-2005', ['notifications'], { kind: ['config'], regions: ['eu-west'], duration: '30m' }),
    base('CHG-2007', ['partner-gateway'], { kind: ['third_party'] }),
    base('CHG-2008', ['merchant-portal'], { after: ['CHG-2007'] }),
  ]
}

function cliPlan(changes) {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-plan-'))
  const file = join(dir, 'train.json')
  writeFileSync(file, JSON.stringify(changes))
  const args = ['plan', '--policy', join(policiesDir, 'payments'), '--catalog', catalogFile, '--changes', file, '--from', FROM, '--format', 'json']
  const run = spawnSync(cli, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  if (run.error) throw run.error
  assert.equal(run.status, 1, run.stderr) // CHG-2007 and CHG-2008 are unschedulable
  return run.stdout.trimEnd()
}

describe('engine.plan', () => {
  const engine = Engine.fromPath(join(policiesDir, 'payments'))
  const catalog = Catalog.fromPath(catalogFile)

  test('is the CLI JSON as a plain object, keys in the same order', () => {
    const plan = engine.plan(train(), catalog, { from: new Date(FROM) })
    assert.equal(JSON.stringify(plan), cliPlan(train()))
    assert.equal(Object.getPrototypeOf(plan), Object.prototype)
    assert.deepEqual(
      plan.unschedulable.map((u) => u.id),
      ['CHG-2007', 'CHG-2008'],
    )
    const first = plan.changes[0]
    assert.deepEqual(first, {
      id: 'CHG-2001',
      region: 'eu-west',
      start: '2026-12-07T08:00:00Z',
      end: '2026-12-07T10:00:00Z',
      wave: 0,
      services: ['ledger-db'],
      notify: ['support', 'operations', 'business-stakeholders', 'finance'],
    })
    const whole = plan.changes.find((c) => c.id === 'CHG-2005')
    assert.deepEqual(whole.regions, ['eu-west'])
    assert.equal('region' in whole, false)
  })

  test('takes from as text, prepared changes and a catalog object', () => {
    const byDate = engine.plan(train(), catalog, { from: new Date(FROM) })
    const prepared = train().map((c) => new Change(c))
    const byText = engine.plan(prepared, catalog, { from: '2026-12-07T09:00:00+01:00' })
    assert.deepEqual(byText, byDate)
  })

  test('from defaults to the current time', () => {
    const small = Engine.fromSource('tiers low, high\n')
    const before = Date.now() - 1000
    const plan = small.plan([simple('A')], catalogObject())
    assert.equal(plan.changes.length, 1)
    assert.ok(Date.parse(plan.changes[0].start) >= before)
    assert.deepEqual(small.plan([simple('A')], catalogObject(), { from: undefined }).unschedulable, [])
  })
})

function simple(id, extra = {}) {
  return { id, services: ['api'], requester: 'ana', implementer: 'bob', duration: '1h', ...extra }
}

describe('engine.plan errors', () => {
  const engine = Engine.fromSource('tiers low, high\n')
  const catalog = new Catalog(catalogObject())
  const opts = { from: FROM }

  test('a cycle is an INPUT_ERROR that lists it', () => {
    assertThrowsShipgate(() => engine.plan([simple('A', { after: ['B'] }), simple('B', { after: ['A'] })], catalog, opts), {
      code: 'INPUT_ERROR',
      path: 'changes[0]',
      message: /the changes form a dependency cycle: A -> B -> A/,
    })
  })

  test('a bad field is an INPUT_ERROR at its path', () => {
    assertThrowsShipgate(() => engine.plan([simple('A'), simple('B', { start: 'yesterday' })], catalog, opts), {
      code: 'INPUT_ERROR',
      path: 'changes[1].start',
    })
    assertThrowsShipgate(() => engine.plan([simple('A'), simple('B', { legcy: true })], catalog, opts), {
      code: 'INPUT_ERROR',
      path: 'changes[1].legcy',
    })
    assertThrowsShipgate(() => engine.plan([simple('A', { after: ['Z'] })], catalog, opts), {
      code: 'INPUT_ERROR',
      path: 'changes[0].after[0]',
    })
    assertThrowsShipgate(() => engine.plan([simple('A'), simple('A')], catalog, opts), {
      code: 'INPUT_ERROR',
      path: 'changes[1].id',
    })
    assertThrowsShipgate(() => engine.plan([simple('A', { services: ['nope'] })], catalog, opts), {
      code: 'INPUT_ERROR',
      path: /^changes\[0\]\.services\[0\]/,
    })
  })

  test('bad arguments throw, never crash', () => {
    assertThrowsShipgate(() => engine.plan('A', catalog, opts), { code: 'INPUT_ERROR', path: 'changes' })
    assertThrowsShipgate(() => engine.plan([42], catalog, opts), { code: 'INPUT_ERROR', path: 'changes[0]' })
    assertThrowsShipgate(() => engine.plan([], 42, opts), { code: 'INPUT_ERROR', path: 'catalog' })
    assertThrowsShipgate(() => engine.plan([], catalog, { from: 'soon' }), { code: 'INPUT_ERROR', path: 'options.from' })
    assertThrowsShipgate(() => engine.plan([], catalog, { from: new Date(NaN) }), { code: 'INPUT_ERROR', path: 'options.from' })
    assertThrowsShipgate(() => engine.plan([], catalog, { now: FROM }), { code: 'INPUT_ERROR', path: 'options.now' })
    assertThrowsShipgate(() => engine.plan([], catalog, 42), { code: 'INPUT_ERROR', path: 'options' })
    assert.deepEqual(engine.plan([], catalog, opts), { changes: [], unschedulable: [] })
  })
})

describe('engine.plan with previous', () => {
  const dir = join(policiesDir, 'follow-the-sun')
  const engine = Engine.fromPath(dir)
  const catalog = Catalog.fromPath(join(dir, 'catalog.yaml'))
  const from = '2026-11-23T00:00:00Z'
  const change = (id, services, extra = {}) => ({
    id, services, kind: ['application'], requester: 'mei', implementer: 'jonas', duration: '1h', ...extra,
  })
  const sun = { rollout: 'per_region', regions: ['ap-southeast', 'eu-west', 'us-east'] }
  // Friday's train: a 30-minute migration and a coupon change; Monday's: a one-hour migration,
  // no coupon change, and a reindex that fits nowhere.
  const friday = [
    change('CHG-3001', ['accounts-db'], { ...sun, kind: ['database'], duration: '30m' }),
    change('CHG-3002', ['accounts-api'], sun),
    change('CHG-3011', ['catalog-api'], sun),
  ]
  const monday = [
    change('CHG-3001', ['accounts-db'], { ...sun, kind: ['database'] }),
    change('CHG-3002', ['accounts-api'], sun),
    change('CHG-3010', ['search'], { regions: ['ap-southeast', 'eu-west', 'us-east'] }),
  ]

  function cliReplan(changes, previous) {
    const tmp = mkdtempSync(join(tmpdir(), 'shipgate-replan-'))
    writeFileSync(join(tmp, 'train.json'), JSON.stringify(changes))
    writeFileSync(join(tmp, 'previous.json'), JSON.stringify(previous))
    const args = ['plan', '--policy', dir, '--catalog', join(dir, 'catalog.yaml'), '--changes', join(tmp, 'train.json'), '--from', from, '--previous', join(tmp, 'previous.json'), '--format', 'json']
    const run = spawnSync(cli, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    if (run.error) throw run.error
    assert.equal(run.status, 1, run.stderr) // CHG-3010 is unschedulable
    return run.stdout.trimEnd()
  }

  test('gives the replan keys of the CLI, and its warnings', () => {
    const previous = engine.plan(friday, catalog, { from })
    assert.equal('moved' in previous, false)
    const plan = engine.plan(monday, catalog, { from, previous })
    const { warnings, ...json } = plan
    assert.deepEqual(warnings, [])
    assert.equal(JSON.stringify(json), cliReplan(monday, previous))
    assert.deepEqual(plan.cancelled, [{ id: 'CHG-3011', notify: ['release-managers'] }])
    assert.deepEqual(plan.newly_unschedulable.map((u) => u.id), ['CHG-3010'])
    assert.deepEqual(plan.moved[0], {
      id: 'CHG-3001',
      region: 'ap-southeast',
      from: { start: '2026-11-23T01:00:00Z', end: '2026-11-23T01:30:00Z' },
      to: { start: '2026-11-23T01:00:00Z', end: '2026-11-23T02:00:00Z' },
      notify: ['release-managers', 'dba-oncall', 'customer-support'],
    })
    // A plan compared with itself: nothing changed.
    const again = engine.plan(monday, catalog, { from, previous: json })
    assert.deepEqual([again.moved, again.cancelled, again.newly_unschedulable, again.newly_planned], [[], [], [], []])
  })

  test('an older plan warns; a bad one is an INPUT_ERROR at its path', () => {
    const small = Engine.fromSource('tiers low, high\nnotify "ops"\n')
    const opts = (previous) => ({ from: FROM, previous })
    const old = { changes: [{ id: 'GONE', start: FROM, end: '2026-12-07T09:00:00Z' }] }
    const plan = small.plan([simple('A')], catalogObject(), opts(old))
    assert.deepEqual(plan.cancelled, [{ id: 'GONE', notify: ['ops'] }])
    assert.equal(plan.warnings.length, 1)
    assert.match(plan.warnings[0], /^previous\.changes\[0\]: the earlier plan records no "notify"/)
    assertThrowsShipgate(() => small.plan([], catalogObject(), opts({ changes: [{ id: 1 }] })), {
      code: 'INPUT_ERROR',
      path: 'previous.changes[0].id',
    })
    assertThrowsShipgate(() => small.plan([], catalogObject(), opts([])), { code: 'INPUT_ERROR', path: 'previous' })
    // null and undefined are no previous plan.
    assert.equal('moved' in small.plan([], catalogObject(), opts(null)), false)
  })
})

// `evaluate(change, catalog, {scheduled})`: a plan from `engine.plan` fed back, the list form,
// `conflicts` as `shipgate check --scheduled` writes it, `change.conflicts` in a rule, and
// errors at their paths (docs/planning.md, "Conflicts").
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Engine } from 'shipgate'
import { assertRejectsShipgate, assertThrowsShipgate, policiesDir, repoRoot } from './support.mjs'

const exe = process.platform === 'win32' ? 'shipgate.exe' : 'shipgate'
const cli = resolve(process.env.SHIPGATE_BIN || join(repoRoot, 'target', 'debug', exe))
const catalogFile = join(policiesDir, 'catalog.yaml')
const changeFile = join(policiesDir, 'changes', 'chg-1048-api-timeouts.json')
const planFile = join(policiesDir, 'trains', 'december-plan.json')
const NOW = '2026-12-04T12:00:00Z'

describe('evaluate with scheduled', () => {
  const engine = Engine.fromPath(join(policiesDir, 'payments'))
  const catalog = Catalog.fromPath(catalogFile)
  const change = JSON.parse(readFileSync(changeFile, 'utf8'))
  const plan = JSON.parse(readFileSync(planFile, 'utf8'))

  test('lists the conflicts with a plan, as check --scheduled does', async () => {
    const d = engine.evaluate(change, catalog, { now: NOW, scheduled: plan })
    assert.deepEqual(d.conflicts, [
      { change: 'CHG-2002', services: ['payments-api'], start: '2026-12-08T08:00:00Z', end: '2026-12-08T09:00:00Z', region: 'eu-west' },
    ])
    const args = ['check', '--policy', join(policiesDir, 'payments'), '--catalog', catalogFile, '--change', changeFile]
    args.push('--now', NOW, '--format', 'json', '--scheduled', planFile)
    const run = spawnSync(cli, args, { encoding: 'utf8' })
    assert.equal(run.status, 2, run.stderr)
    assert.equal(d.toJSONText(), run.stdout.trimEnd())
    const later = await engine.evaluateAsync(change, catalog, { now: NOW, scheduled: plan })
    assert.equal(later.toJSONText(), d.toJSONText())
  })

  test('without a schedule: conflicts is null, absent from the object, and the rule reads 0', () => {
    const small = Engine.fromSource('rule apart { deny when change.conflicts > 0 message "overlaps" }')
    const cat = { services: [{ id: 'api', tier: 1 }, { id: 'web', tier: 2, depends_on: ['api'] }] }
    const c = { id: 'C-1', services: ['api'], requester: 'a', implementer: 'b', start: '2026-12-08T09:00:00Z', duration: '1h' }
    const plain = small.evaluate(c, cat, { now: NOW })
    assert.equal(plain.conflicts, null)
    assert.equal('conflicts' in plain.toObject(), false)
    assert.equal(plain.verdict, 'allow')
    const run = { id: 'W', services: ['web'], start: new Date('2026-12-08T09:30:00Z'), end: '2026-12-08T10:30:00Z' }
    const denied = small.evaluate(c, cat, { now: NOW, scheduled: [run] })
    assert.equal(denied.verdict, 'deny')
    assert.deepEqual(denied.reasons.map((r) => r.rule), ['apart'])
    assert.notEqual(denied.inputs, plain.inputs)
    assert.equal(small.evaluate(c, cat, { now: NOW, scheduled: [{ ...run, start: '2026-12-08T10:00:00Z' }] }).verdict, 'allow')
  })

  test('bad schedules are INPUT_ERRORs at their paths', async () => {
    const run = { id: 'X', services: ['payments-api'], start: '2026-12-08T09:00:00Z', end: '2026-12-08T10:00:00Z' }
    const cases = [
      [[{ ...run, start: '2026-12-08T09:00:00' }], 'options.scheduled[0].start'],
      [[{ ...run, services: ['payment-api'] }], 'options.scheduled[0].services[0]'],
      [[{ ...run, note: 'x' }], 'options.scheduled[0].note'],
      [{ runs: [] }, 'options.scheduled.changes'],
    ]
    for (const [scheduled, path] of cases) {
      assertThrowsShipgate(() => engine.evaluate(change, catalog, { now: NOW, scheduled }), { code: 'INPUT_ERROR', path })
    }
    // evaluateAsync reads its arguments before it returns: the same error, thrown.
    assertThrowsShipgate(() => engine.evaluateAsync(change, catalog, { now: NOW, scheduled: cases[0][0] }), {
      code: 'INPUT_ERROR',
      path: 'options.scheduled[0].start',
    })
    // An unknown service is found when deciding, off the main thread: a rejection.
    await assertRejectsShipgate(engine.evaluateAsync(change, catalog, { now: NOW, scheduled: cases[1][0] }), {
      code: 'INPUT_ERROR',
      path: 'options.scheduled[0].services[0]',
    })
    assertThrowsShipgate(() => engine.evaluate(change, catalog, { now: NOW, schedule: plan }), { code: 'INPUT_ERROR' })
  })
})

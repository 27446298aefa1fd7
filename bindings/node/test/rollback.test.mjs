// `engine.rollback` and a decision's `obligations`: the CLI's JSON, Dates and NaN in
// observations, errors with their JSON paths.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Engine } from 'shipgate'
import { assertThrowsShipgate, policiesDir, repoRoot } from './support.mjs'

const catalogFile = join(policiesDir, 'catalog.yaml')
const changeFile = join(policiesDir, 'changes', 'chg-1048-api-timeouts.json')
const NOW = '2026-12-08T08:50:00Z'

/** `shipgate rollback --format json` on the example's YAML observations. */
function cliRollback() {
  const out = spawnSync(
    process.env.SHIPGATE_BIN || join(repoRoot, 'target', 'debug', 'shipgate'),
    ['rollback', '--policy', 'policies/payments', '--catalog', 'policies/catalog.yaml',
      '--change', 'policies/changes/chg-1048-api-timeouts.json',
      '--observations', 'policies/observations/chg-1048-api-timeouts.yaml', '--now', NOW,
      '--format', 'json'],
    { cwd: repoRoot, encoding: 'utf8' },
  )
  return out
}

/** The samples of the example's YAML file, minutely from 08:30, as an object: the answers
 * compared with the CLI's show they are the same samples. */
function exampleObservations() {
  const minute = (m) => `2026-12-08T08:${String(m).padStart(2, '0')}:00Z`
  const range = (from, to, f) => Array.from({ length: to - from }, (_, i) => [minute(from + i), f(from + i)])
  return {
    baseline: { p99_latency: 120 },
    metrics: {
      error_rate: range(30, 51, (m) => (m < 41 ? 0.004 : 0.031)),
      p99_latency: range(30, 51, (m) => 130 + (m % 3) * 4),
      failed_health_checks: range(30, 45, () => 0),
    },
  }
}

describe('rollback', () => {
  const cwd = process.cwd()
  process.chdir(repoRoot)
  const engine = Engine.fromPath('policies/payments')
  process.chdir(cwd)
  const catalog = Catalog.fromPath(catalogFile)
  const change = JSON.parse(readFileSync(changeFile, 'utf8'))

  test('states, since and owner, as the CLI prints them', () => {
    const result = engine.rollback(change, catalog, exampleObservations(), { now: new Date(NOW) })
    assert.equal(result.rollback, true)
    assert.equal(result.owner, 'sre-oncall')
    assert.deepEqual(result.triggers.map((t) => t.state), ['fired', 'ok', 'no_data'])
    assert.equal(result.triggers[0].since, '2026-12-08T08:41:00Z')
    assert.equal(result.triggers[1].threshold, 180)
    assert.equal(result.triggers[1].baseline, 120)
    assert.match(result.triggers[2].why, /^stale/)
    const cli = cliRollback()
    assert.equal(cli.status, 1, cli.stderr)
    assert.deepEqual(result, JSON.parse(cli.stdout))
  })

  test('NaN and null are samples without data; on no_data fire rolls back', () => {
    const e = Engine.fromSource('rollback { trigger e > 1 for 2m on no_data fire }')
    const start = Date.parse('2026-12-01T10:00:00Z')
    const samples = [0, 1, 2, 3].map((i) => [new Date(start + i * 60000), 5])
    const c = { id: 'C', services: ['api'], requester: 'a', implementer: 'b', start: new Date(start), duration: '1h' }
    const cat = { services: [{ id: 'api', tier: 1 }] }
    const now = { now: samples[3][0] }
    assert.equal(e.rollback(c, cat, { metrics: { e: samples } }, now).triggers[0].state, 'fired')
    samples[3][1] = Number.NaN
    const result = e.rollback(c, cat, { metrics: { e: samples } }, now)
    assert.equal(result.triggers[0].state, 'no_data')
    assert.equal(result.triggers[0].on_no_data, 'fire')
    assert.equal(result.rollback, true)
    samples[3][1] = null
    assert.equal(e.rollback(c, cat, { metrics: { e: samples } }, now).triggers[0].state, 'no_data')
  })

  test('bad observations and options are INPUT_ERRORs at their path', () => {
    const bad = exampleObservations()
    bad.metrics.error_rate[3][1] = 'x'
    assertThrowsShipgate(() => engine.rollback(change, catalog, bad, { now: NOW }), {
      code: 'INPUT_ERROR',
      path: 'observations.metrics.error_rate[3][1]',
    })
    const noBaseline = exampleObservations()
    delete noBaseline.baseline
    assertThrowsShipgate(() => engine.rollback(change, catalog, noBaseline, { now: NOW }), {
      code: 'INPUT_ERROR',
      path: 'observations.baseline.p99_latency',
    })
    assertThrowsShipgate(() => engine.rollback(change, catalog, exampleObservations(), { nw: NOW }), {
      code: 'INPUT_ERROR',
      path: 'options.nw',
    })
  })
})

describe('obligations', () => {
  test('an emergency owes the CAB after its start; a routine change owes nothing', () => {
    const engine = Engine.fromPath(join(policiesDir, 'payments'))
    const catalog = Catalog.fromPath(catalogFile)
    const hotfix = JSON.parse(readFileSync(join(policiesDir, 'changes', 'chg-1045-hotfix.json'), 'utf8'))
    const d = engine.evaluate(hotfix, catalog, { now: '2026-11-28T01:50:00Z' })
    assert.equal(d.verdict, 'allow')
    assert.deepEqual(d.obligations, [
      { rule: 'emergency_hotfix', group: 'cab', needed: 2, due: '2026-11-30T02:00:00Z' },
    ])
    assert.deepEqual(d.toObject().obligations, d.obligations)
    const routine = JSON.parse(readFileSync(join(policiesDir, 'changes', 'chg-1042-checkout-copy.json'), 'utf8'))
    const r = engine.evaluate(routine, catalog, { now: '2026-12-01T08:00:00Z' })
    assert.deepEqual(r.obligations, [])
    assert.equal('obligations' in r.toObject(), false)
  })
})

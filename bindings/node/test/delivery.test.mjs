// `metrics` and `engine.replay` (SPEC 8.6): the objects of `shipgate metrics --format json`
// and `shipgate replay --format json`, read by the core; errors name the line.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Engine, metrics } from 'shipgate'
import { repoRoot } from './support.mjs'

const history = join(repoRoot, 'policies', 'history', 'deployments.jsonl')
const replayDir = join(repoRoot, 'policies', 'replay')

describe('metrics', () => {
  test('figures of the example history, grouped by team', () => {
    const m = metrics(history, { by: 'team' })
    assert.equal(m.deployments, 42)
    assert.equal(m.from, '2026-10-05T09:15:00Z')
    assert.equal(m.lead_time_median_s, 82800)
    assert.equal(m.groups.at(-1).key, null)
    assert.equal(m.groups.reduce((n, g) => n + g.deployments, 0), 42)
  })

  test('a period given as a Date, and CSV', () => {
    const m = metrics(join(repoRoot, 'policies', 'history', 'deployments.csv'), {
      from: new Date('2026-10-12T00:00:00Z'),
      to: '2026-11-09T00:00:00Z',
    })
    assert.equal(m.deployments, 27)
    assert.equal(m.from, '2026-10-12T00:00:00Z')
  })

  test('nothing in the period is null, not 0', () => {
    const m = metrics(history, { from: '2030-01-01T00:00:00Z', to: '2030-02-01T00:00:00Z' })
    assert.equal(m.deployments, 0)
    assert.equal(m.change_failure_rate, null)
    assert.equal(m.lead_time_median_s, null)
  })

  test('a bad record throws naming its line and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-metrics-'))
    const bad = join(dir, 'h.jsonl')
    writeFileSync(
      bad,
      '{"change": "a", "service": "s", "committed_at": "2026-11-02T00:00:00Z", "deployed_at": "2026-11-01T00:00:00Z", "failed": false}\n',
    )
    assert.throws(() => metrics(bad), (e) => e.code === 'INPUT_ERROR' && e.path.endsWith('h.jsonl:1: deployed_at'))
    assert.throws(() => metrics(history, { by: 'region' }), (e) => e.code === 'INPUT_ERROR' && e.path === 'options.by')
    assert.throws(() => metrics(history, { grup: 'team' }))
  })
})

describe('replay', () => {
  test('a tightened rule flips exactly the expected changes', () => {
    const old = Engine.fromPath(join(replayDir, 'old'))
    const newer = Engine.fromPath(join(replayDir, 'new'))
    const catalog = Catalog.fromPath(join(replayDir, 'catalog.json'))
    const r = old.replay(newer, catalog, join(replayDir, 'changes.jsonl'))
    assert.equal(r.total, 12)
    assert.deepEqual(
      r.changed.map((c) => c.change),
      ['CHG-2001', 'CHG-2004', 'CHG-2006', 'CHG-2007', 'CHG-2009', 'CHG-2011'],
    )
    assert.deepEqual(r.changed[0].reasons_added, [
      { message: 'a change of size 450 is too big to ship at once', rule: 'big_change' },
    ])
    assert.equal(r.changed[5].old, 'deny')
    assert.deepEqual(old.replay(old, catalog, join(replayDir, 'changes.jsonl')).changed, [])
  })
})

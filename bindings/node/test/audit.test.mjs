// The decision archive from Node: `AuditLog` and `evaluate(..., {auditLog})`.
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'

import { AuditLog, Catalog, Engine } from 'shipgate'

import { NOW, catalogObject, changeObject, policiesDir } from './support.mjs'

const dir = mkdtempSync(join(tmpdir(), 'shipgate-node-audit-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const engine = Engine.fromSource('tiers low, high\ngroups cab')
const catalog = new Catalog(catalogObject())
let n = 0
const fresh = () => join(dir, `audit-${n++}.jsonl`)

describe('AuditLog', () => {
  test('evaluate with auditLog appends each decision, and verify counts them', async () => {
    const log = new AuditLog(fresh())
    const d1 = engine.evaluate(changeObject(), catalog, { now: NOW, auditLog: log })
    const d2 = await engine.evaluateAsync(changeObject({ id: 'CHG-2' }), catalog, { now: NOW, auditLog: log })
    const report = log.verify()
    assert.deepEqual([report.intact, report.records, report.problem], [true, 2, null])
    const records = log.records()
    assert.deepEqual(records.map((r) => r.seq), [1, 2])
    assert.equal(records[0].prev, null)
    assert.equal(records[1].prev, records[0].hash)
    assert.equal(report.head, records[1].hash)
    assert.deepEqual(records[0].decision, d1.toObject())
    assert.deepEqual(records[1].decision, d2.toObject())
  })

  test('append takes its instant, and records filter by it and by change', () => {
    const log = new AuditLog(fresh())
    const d = engine.evaluate(changeObject(), catalog, { now: NOW })
    const a = log.append(d, '2026-12-01T10:00:00Z')
    assert.deepEqual(a.first_seq, 1)
    log.append(d, new Date('2026-12-01T11:00:00Z'))
    assert.deepEqual(log.records({ from: '2026-12-01T10:30:00Z' }).map((r) => r.seq), [2])
    assert.deepEqual(log.records({ to: '2026-12-01T10:30:00Z' }).map((r) => r.at), ['2026-12-01T10:00:00Z'])
    assert.deepEqual(log.records({ change: 'CHG-9' }), [])
    assert.throws(() => log.records({ chnage: 'x' }), { code: 'INPUT_ERROR', path: 'options.chnage' })
    assert.throws(() => log.append(d, 'tomorrow'), { code: 'INPUT_ERROR', path: 'at' })
    assert.throws(() => log.append({ change: 'x' }), { code: 'INPUT_ERROR', path: 'decision' })
  })

  test('an edited record is named with its seq and line; records then throw', () => {
    const path = fresh()
    const log = new AuditLog(path)
    const d = engine.evaluate(changeObject(), catalog, { now: NOW })
    for (let i = 0; i < 3; i++) log.append(d)
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    lines[1] = lines[1].replace('"tier":"low"', '"tier":"high"')
    writeFileSync(path, lines.join('\n') + '\n')
    const { problem } = log.verify()
    assert.deepEqual([problem.kind, problem.seq, problem.line], ['edited', 2, 2])
    assert.throws(() => log.records(), (err) => err.code === 'AUDIT_ERROR' && /record seq 2 \(line 2\)/.test(err.message))
  })

  test('a torn line is reported, then removed by the next append', () => {
    const path = fresh()
    const log = new AuditLog(path)
    const d = engine.evaluate(changeObject(), catalog, { now: NOW })
    log.append(d)
    appendFileSync(path, '{"seq":2,"at":"2026')
    assert.equal(log.verify().problem.kind, 'torn')
    const a = log.append(d)
    assert.equal(a.first_seq, 2)
    assert.match(a.warnings[0], /removed a torn last line/)
    assert.equal(log.verify().intact, true)
  })

  test('the example archive has one overdue obligation', () => {
    const log = new AuditLog(join(policiesDir, 'audit', 'decisions.jsonl'))
    const report = log.obligations('2026-12-01T00:00:00Z')
    assert.deepEqual(report.overdue.map((o) => [o.change, o.due]), [['CHG-1045', '2026-11-30T02:00:00Z']])
    assert.deepEqual(report.open.map((o) => o.change), ['CHG-1046'])
  })

  test('an archive that cannot be opened, or a wrong auditLog, throws', () => {
    assert.throws(() => new AuditLog(join(dir, 'missing', 'a.jsonl')), { code: 'AUDIT_ERROR' })
    assert.throws(() => engine.evaluate(changeObject(), catalog, { now: NOW, auditLog: 'a.jsonl' }), {
      code: 'INPUT_ERROR',
      path: 'options.auditLog',
    })
  })
})

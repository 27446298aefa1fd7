// The shape shared with the Python binding (docs/node.md, docs/python.md): every error carries
// code, message, path, file, line, column, diagnostics and index; warnings are objects with
// message, severity, file, line, column; a catalog is a `Catalog` or a plain object wherever one
// is taken; `Catalog` and `Change` read files with `fromPath`.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import { NOW, addon, catalogObject, changeObject, policiesDir } from './support.mjs'

const FIELDS = ['code', 'message', 'path', 'file', 'line', 'column', 'diagnostics', 'index']
const WARNING_KEYS = ['message', 'severity', 'file', 'line', 'column']

function caught(fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  assert.fail('expected an error, got none')
}

const fields = (err) => Object.fromEntries(FIELDS.map((k) => [k, err[k]]))

test('an input error has every field', () => {
  const engine = Engine.fromSource('tiers low, high\n')
  const err = caught(() => engine.evaluate(changeObject({ start: 3 }), catalogObject(), { now: NOW }))
  const got = fields(err)
  assert.equal(got.code, 'INPUT_ERROR')
  assert.equal(got.path, 'change.start')
  assert.ok(got.message.startsWith('change.start: '), got.message)
  for (const k of ['file', 'line', 'column', 'diagnostics', 'index']) assert.equal(got[k], null, k)
})

test('a policy error has every field', () => {
  const err = caught(() => Engine.fromSource('tiers low, high\ntier hihg when change.size > 100\n', 'bad.gate'))
  const got = fields(err)
  assert.equal(got.code, 'POLICY_ERROR')
  assert.deepEqual([got.file, got.path, got.line, got.column], ['bad.gate', 'bad.gate', 2, 6])
  assert.ok(got.message.startsWith('bad.gate:2:6: '), got.message)
  assert.ok(!got.message.includes('\n'))
  assert.ok(got.diagnostics.includes('did you mean `high`?'))
  assert.equal(got.index, null)
})

test('a batch error says the index', () => {
  const engine = Engine.fromSource('tiers low, high\n')
  const good = changeObject()
  const err = caught(() => engine.evaluateMany([good, good, changeObject({ start: 'yesterday' })], catalogObject(), { now: NOW }))
  assert.equal(err.code, 'INPUT_ERROR')
  assert.equal(err.index, 2)
  assert.equal(err.path, 'changes[2].start')
  assert.ok(err.message.startsWith('changes[2].start: '), err.message)
})

test('an internal error has every field', { skip: !addon.__panicForTests && 'a release build has no test hooks' }, () => {
  const got = fields(caught(() => addon.__panicForTests(false)))
  assert.equal(got.code, 'INTERNAL_ERROR')
  assert.ok(got.message.includes('test panic'))
  for (const k of ['path', 'file', 'line', 'column', 'diagnostics', 'index']) assert.equal(got[k], null, k)
})

test('warnings are plain objects', () => {
  const source = 'extend change { cost_center: string? }\nrule r { deny when change.cost_center == "x" }\n'
  const engine = Engine.fromSource(source, 'warn.gate')
  const warnings = engine.warnings
  assert.equal(warnings.length, 1)
  const [w] = warnings
  assert.deepEqual(Object.keys(w), WARNING_KEYS)
  assert.equal(w.severity, 'warning')
  assert.ok(w.message && engine.renderWarnings().includes(w.message))
  assert.deepEqual([w.file, w.line], ['warn.gate', 2])
  assert.ok(Number.isInteger(w.column) && w.column > 1)
  assert.deepEqual(Engine.fromSource('tiers low, high\n').warnings, [])
})

test('a catalog is a Catalog or a plain object', () => {
  const engine = Engine.fromSource('tiers low, high\ngroups cab\ntier high when change.size > 100\n')
  const text = engine.evaluate(changeObject(), new Catalog(catalogObject()), { now: NOW }).toJSONText()
  assert.equal(engine.evaluate(changeObject(), catalogObject(), { now: NOW }).toJSONText(), text)
  assert.equal(engine.evaluateMany([changeObject()], catalogObject(), { now: NOW })[0].toJSONText(), text)
  const err = caught(() => engine.evaluate(changeObject(), 42, { now: NOW }))
  assert.equal(err.code, 'INPUT_ERROR')
  assert.equal(err.path, 'catalog')
})

test('Catalog and Change read files', () => {
  const engine = Engine.fromPath(join(policiesDir, 'payments'))
  const changeFile = join(policiesDir, 'changes', 'chg-1043-ledger-migration.json')
  const catalog = Catalog.fromPath(join(policiesDir, 'catalog.yaml'))
  const fromFile = engine.evaluate(Change.fromPath(changeFile), catalog, { now: NOW }).toJSONText()
  const fromObject = engine.evaluate(JSON.parse(readFileSync(changeFile, 'utf8')), catalog, { now: NOW })
  assert.equal(fromFile, fromObject.toJSONText())
})

test('a file that cannot be read is an input error at the root', () => {
  for (const [cls, root] of [[Catalog, 'catalog'], [Change, 'change']]) {
    const err = caught(() => cls.fromPath(join(policiesDir, 'missing.json')))
    assert.equal(err.code, 'INPUT_ERROR')
    assert.equal(err.path, root)
    assert.ok(err.message.includes('missing.json'), err.message)
  }
})

test('toJSONText lays out any text as the CLI does: escapes, brackets in strings, non-ASCII', () => {
  const source = `tiers low, high
groups cab
rule odd {
  deny when change.requester == change.implementer
  message "a \\"quoted\\" [,:] \\\\ caf\u00e9 \u2603 {change.requester}"
}
`
  const engine = Engine.fromSource(source, 'odd.gate')
  const d = engine.evaluate(changeObject({ implementer: 'a{b}[c],:d', requester: 'a{b}[c],:d' }), catalogObject(), { now: NOW })
  assert.equal(d.verdict, 'deny')
  assert.ok(d.reasons[0].message.includes('caf\u00e9 \u2603'), d.reasons[0].message)
  // No number in this decision is fractional, so JSON.stringify writes the same layout.
  assert.equal(d.toJSONText(), JSON.stringify(d.toObject(), null, 2))
  assert.ok(d.toJSONText().includes('a{b}[c],:d'))
})

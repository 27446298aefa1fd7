// 10,000 random malformed inputs: every one throws (or rejects) an INPUT_ERROR with a path,
// and the process keeps running. Seeded, so a failure reproduces: SHIPGATE_FUZZ_SEED=<n>.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import { NOW, catalogObject, changeObject } from './support.mjs'

const SEED = Number(process.env.SHIPGATE_FUZZ_SEED ?? 20261201)
const COUNT = 10_000

/** mulberry32: small, fast, good enough to pick mutations. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const random = rng(SEED)
const pick = (list) => list[Math.floor(random() * list.length)]
const junkText = () =>
  'x' + Array.from({ length: Math.floor(random() * 12) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('')

function deep(levels) {
  let v = 'leaf'
  for (let i = 0; i < levels; i++) v = random() < 0.5 ? [v] : { v }
  return v
}

function cyclic() {
  const o = { a: 1 }
  o.self = random() < 0.5 ? o : [o]
  return o
}

function selfToJson() {
  const o = { a: 1 }
  o.toJSON = () => o
  return o
}

// Values that are never a string, a list of strings, a boolean, an integer, ... in JSON terms.
const notString = () =>
  pick([0, 1.5, -7, true, false, [], ['a'], {}, { a: 1 }, null, NaN, Infinity, () => 1, Symbol('s'), 10n, deep(80), cyclic(), selfToJson(), new Number(NaN)])
const notList = () => pick([0, 'a', true, {}, { 0: 'a' }, NaN, () => [], Symbol('l'), 3n, cyclic(), new Date(NOW)])
const notStringItem = () => pick([0, true, null, [], {}, NaN, undefined, () => 'a', Symbol('i'), 1n, deep(70)])
const notBool = () => pick([0, 1, 'true', 'false', [], {}, null, NaN, () => true, new Date(NOW)])
const notSize = () => pick([-1, 1.5, NaN, Infinity, -Infinity, '3', true, [], {}, null, 2 ** 64, -(2 ** 70), 5n])
const notInstant = () =>
  pick([
    junkText(),
    '2026-12-01T10:00:00', // naive
    '2026-12-01', // a date only
    '2026-13-01T10:00:00Z',
    '2026-12-01T25:00:00Z',
    'yesterday',
    '',
    0,
    1764576000000,
    true,
    [],
    {},
    new Date(NaN),
    () => NOW,
  ])
const notDuration = () =>
  pick(['', '-1h', '1.5h', '5x', 'h', '2h2h', '1m1h', junkText(), -60, 1.5, NaN, Infinity, 1e20, true, [], {}, null, new Date(NOW)])
const notObject = () => pick([0, 'x', true, [], ['a'], NaN, () => ({}), Symbol('o'), 9n, new Date(NOW)])

const approval = () => ({ by: 'carol', group: 'cab', at: NOW })

const STRING_FIELDS = ['id', 'title', 'requester', 'implementer']
const LIST_FIELDS = ['kind', 'services', 'checks', 'labels', 'after']
const BOOL_FIELDS = ['emergency', 'backward_compatible', 'contract_verified']
const REQUIRED = ['id', 'services', 'requester', 'implementer', 'duration']

/** Mutations of a valid change, each of which makes it malformed. */
const changeMutations = [
  (c) => (c[pick(STRING_FIELDS)] = notString()),
  (c) => (c[pick(LIST_FIELDS)] = notList()),
  (c) => (c[pick(LIST_FIELDS)] = ['a', notStringItem()]),
  (c) => (c[pick(LIST_FIELDS)] = [, 'a']), // eslint-disable-line no-sparse-arrays
  (c) => (c.regions = pick([notList(), ['eu', notStringItem()]])),
  (c) => (c[pick(BOOL_FIELDS)] = notBool()),
  (c) => (c.size = notSize()),
  (c) => (c.start = notInstant()),
  (c) => (c.duration = notDuration()),
  (c) => delete c[pick(REQUIRED)],
  (c) => (c.id = ''),
  (c) => (c.services = ['api', 'api']),
  (c) => (c.services = [`ghost-${Math.floor(random() * 1000)}`]),
  (c) => (c[pick(['dependents', 'blast_radius'])] = pick([[], 3])),
  (c) => (c.approvals = notList()),
  (c) => (c.approvals = [notObject()]),
  (c) => {
    const a = approval()
    delete a[pick(['by', 'group', 'at'])]
    c.approvals = [a]
  },
  (c) => (c.approvals = [{ ...approval(), [pick(['by', 'group'])]: notString() }]),
  (c) => (c.approvals = [approval(), { ...approval(), at: notInstant() }]),
  (c) => (c.approvals = [{ ...approval(), extra: 1 }]),
  (c) => (c.incident = notObject()),
  (c) => (c.incident = { id: 'INC', severity: pick([1.5, '1', null, NaN, true]) }),
  (c) => (c.incident = pick([{ severity: 1 }, { id: 'INC' }])),
  (c) => (c.incident = { id: 'INC', severity: 1, opened: notInstant() }),
  (c) => (c.waivers = notList()),
  (c) => (c.waivers = [{ rule: 'r', by: 'b', group: 'g', reason: 'x', granted_at: notInstant(), expires_at: NOW }]),
  (c) => (c.waivers = [{ rule: 'r', by: 'b', group: 'g', granted_at: NOW }]),
  (c) => (c.labels = [deep(100)]),
  (c) => (c.title = cyclic()),
]

/** Mutations of a valid catalog. */
const catalogMutations = [
  (k) => (k.services = notList()),
  (k) => delete k.services,
  (k) => (k.services[1] = notObject()),
  (k) => (k.services[0].tier = pick([4, -1, 1.5, '0', null, NaN, true])),
  (k) => delete k.services[2][pick(['id', 'tier'])],
  (k) => (k.services[1].depends_on = [`nowhere-${Math.floor(random() * 100)}`]),
  (k) => (k.services[0].depends_on = ['web']), // db -> web -> api -> db: a cycle
  (k) => (k.services[2].id = 'db'), // a duplicate id
  (k) => (k.services[0].error_budget = pick(['1', null, NaN, [], true])),
  (k) => (k.services[1][pick(['stateful', 'legacy', 'monitored', 'automated_rollback'])] = notBool()),
  (k) => (k.services[0].dependents = []),
]

/** Malformed options of evaluate. */
const badOptions = () =>
  pick([
    { now: notInstant() },
    { explain: notBool() },
    { [junkText()]: 1 },
    { now: NOW, explaim: true },
    pick(['now', 5, true, [NOW], () => ({})]),
  ])

test(`${COUNT} random malformed inputs all throw INPUT_ERROR, and never crash`, async (t) => {
  const engine = Engine.fromSource('tiers low, high\ngroups cab')
  const catalog = new Catalog(catalogObject())
  const pending = []
  const counts = {}
  const seen = (kind) => (counts[kind] = (counts[kind] ?? 0) + 1)

  const expectInputError = (err, where) => {
    assert.ok(err instanceof Error, `${where}: not an Error: ${String(err)}`)
    assert.equal(err.code, 'INPUT_ERROR', `${where}: ${err.code}: ${err.message}`)
    assert.equal(typeof err.path, 'string', `${where}: ${err.message}`)
    assert.match(err.path, /^(change|changes\[\d+\]|catalog|options)/, `${where}: ${err.message}`)
  }
  const mustThrow = (fn, where) => {
    let err
    try {
      fn()
    } catch (e) {
      err = e
    }
    assert.ok(err, `${where}: no error`)
    expectInputError(err, where)
  }

  for (let i = 0; i < COUNT; i++) {
    const where = `input ${i} (seed ${SEED})`
    const roll = random()
    if (roll < 0.7) {
      const change = changeObject()
      pick(changeMutations)(change)
      if (random() < 0.3) pick(changeMutations)(change)
      const how = pick(['evaluate', 'evaluate', 'Change', 'evaluateMany', 'evaluateAsync'])
      seen(`change via ${how}`)
      if (how === 'evaluate') mustThrow(() => engine.evaluate(change, catalog, { now: NOW }), where)
      else if (how === 'Change') mustThrow(() => engine.evaluate(new Change(change), catalog, { now: NOW }), where)
      else if (how === 'evaluateMany') mustThrow(() => engine.evaluateMany([changeObject(), change], catalog, { now: NOW }), where)
      else {
        let promise
        try {
          promise = engine.evaluateAsync(change, catalog, { now: NOW })
        } catch (err) {
          expectInputError(err, where) // unreadable arguments throw at once
          continue
        }
        pending.push(promise.then(() => assert.fail(`${where}: resolved`), (err) => expectInputError(err, where)))
      }
    } else if (roll < 0.8) {
      seen('whole change')
      mustThrow(() => engine.evaluate(pick([notObject(), null, undefined, cyclic()]), catalog, { now: NOW }), where)
    } else if (roll < 0.92) {
      seen('catalog')
      const bad = catalogObject()
      pick(catalogMutations)(bad)
      mustThrow(() => (random() < 0.5 ? new Catalog(bad) : engine.evaluate(changeObject(), bad, { now: NOW })), where)
    } else {
      seen('options')
      mustThrow(() => engine.evaluate(changeObject(), catalog, badOptions()), where)
    }
  }
  await Promise.all(pending)
  t.diagnostic(JSON.stringify(counts))

  // Still alive and still right.
  assert.equal(engine.evaluate(changeObject(), catalog, { now: NOW }).schedule.start, '2026-12-01T10:00:00Z')
})

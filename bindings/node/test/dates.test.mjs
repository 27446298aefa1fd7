// `Date` is accepted wherever the engine takes an instant, and means the same as its RFC 3339 text.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import { NOW, assertThrowsShipgate, catalogObject, changeObject } from './support.mjs'

const engine = Engine.fromSource(`tiers low, high
rule cab { require approval "cab" count 2 }
waivable cab by "change-manager" max 72h
`)
const catalog = new Catalog(catalogObject())

/** A decision's plain form without `inputs`, the digest of the change as given: a `Date` is
 * given as its `toISOString` text, so the dated and the text spelling of a change differ there
 * (docs/semantics.md) and nowhere else. */
function plain(d) {
  const { inputs, ...rest } = d.toObject()
  return rest
}

/** The same change with every instant as text and as a `Date`. */
function both() {
  const text = changeObject({
    start: '2026-12-01T10:00:00Z',
    approvals: [
      { by: 'carol', group: 'cab', at: '2026-11-30T12:00:00Z' },
      { by: 'dave', group: 'cab', at: '2026-11-30T12:05:00+01:00' },
    ],
    emergency: true,
    incident: { id: 'INC-7', severity: 1, opened: '2026-11-30T23:00:00Z' },
    waivers: [{
      rule: 'cab', by: 'erin', group: 'change-manager', reason: 'hotfix',
      granted_at: '2026-11-30T00:00:00Z', expires_at: '2026-12-02T00:00:00Z',
    }],
  })
  const dated = structuredClone(text)
  dated.start = new Date(text.start)
  dated.approvals.forEach((a) => (a.at = new Date(a.at)))
  dated.incident.opened = new Date(dated.incident.opened)
  dated.waivers[0].granted_at = new Date(dated.waivers[0].granted_at)
  dated.waivers[0].expires_at = new Date(dated.waivers[0].expires_at)
  return { text, dated }
}

describe('Date', () => {
  test('as now: a Date and its text decide the same', () => {
    const a = engine.evaluate(changeObject({ start: undefined }), catalog, { now: new Date(NOW) })
    const b = engine.evaluate(changeObject({ start: undefined }), catalog, { now: NOW })
    assert.deepEqual(a.toObject(), b.toObject())
    // Without a start, the change starts at now.
    assert.equal(a.schedule.start, NOW)
  })

  test('inside a change: start, approvals, incident and waivers', () => {
    const { text, dated } = both()
    const want = plain(engine.evaluate(text, catalog, { now: NOW }))
    assert.deepEqual(plain(engine.evaluate(dated, catalog, { now: NOW })), want)
    assert.deepEqual(plain(engine.evaluate(new Change(dated), catalog, { now: NOW })), want)
    assert.deepEqual(engine.evaluateMany([dated], catalog, { now: new Date(NOW) }).map(plain), [want])
    // The dated change is given as the Dates' ISO text: the same digest from each entry point.
    const digests = new Set([
      engine.evaluate(dated, catalog, { now: NOW }).inputs,
      engine.evaluate(new Change(dated), catalog, { now: NOW }).inputs,
      engine.evaluateMany([dated], catalog, { now: NOW })[0].inputs,
    ])
    assert.equal(digests.size, 1)
    assert.equal(want.schedule.start, '2026-12-01T10:00:00Z')
  })

  test('as now in the async calls', async () => {
    const { text, dated } = both()
    assert.deepEqual(
      plain(await engine.evaluateAsync(dated, catalog, { now: new Date(NOW) })),
      plain(engine.evaluate(text, catalog, { now: NOW })),
    )
  })

  test('a Date with another offset is the same instant', () => {
    const a = engine.evaluate(changeObject({ start: new Date('2026-12-01T11:00:00+01:00') }), catalog, { now: NOW })
    assert.equal(a.schedule.start, '2026-12-01T10:00:00Z')
  })

  test('a Date with milliseconds is accepted; decisions print whole seconds', () => {
    const a = engine.evaluate(changeObject({ start: new Date('2026-12-01T10:00:00.750Z'), duration: '1h' }), catalog, {
      now: NOW,
    })
    assert.equal(a.schedule.start, '2026-12-01T10:00:00Z')
    assert.equal(a.schedule.end, '2026-12-01T11:00:00Z')
  })

  test('approvals given as Dates count like text', () => {
    const { dated } = both()
    const d = engine.evaluate({ ...dated, emergency: false, waivers: [] }, catalog, { now: NOW })
    assert.deepEqual(d.requirements[0].counted, ['carol', 'dave'])
    assert.equal(d.verdict, 'allow')
  })

  test('an approval given after now still reads as an instant', () => {
    const d = engine.evaluate(
      changeObject({ approvals: [{ by: 'x', group: 'cab', at: new Date('2027-01-01T00:00:00Z') }] }),
      catalog,
      { now: NOW },
    )
    assert.equal(d.schedule.start, '2026-12-01T10:00:00Z')
  })

  test('an invalid Date is an input error at its path', () => {
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, { now: new Date('x') }), {
      code: 'INPUT_ERROR',
      path: 'options.now',
    })
    assertThrowsShipgate(
      () => new Change(changeObject({ approvals: [{ by: 'x', group: 'cab', at: new Date(NaN) }] })),
      { code: 'INPUT_ERROR', path: 'change.approvals[0].at' },
    )
  })

  test('nextWindow takes a Date', () => {
    // The region is unknown, so this throws; but only after `after` was read as a Date.
    assertThrowsShipgate(() => engine.nextWindow('nowhere', new Date(NOW), '1h'), {
      code: 'INPUT_ERROR',
      path: 'region',
    })
    assertThrowsShipgate(() => engine.nextWindow('nowhere', new Date(NaN), '1h'), {
      code: 'INPUT_ERROR',
      path: 'after',
    })
  })
})

describe('records in extend fields', () => {
  const backups = Engine.fromSource(`groups cab
extend change { backups: list<{service: string, taken_at: datetime}> }
rule fresh_backups {
  deny when any s in change.services: s.stateful and not (any b in change.backups:
    b.service == s.id and b.taken_at >= change.start - 24h and b.taken_at <= change.start)
}
`)

  test('a list of records is read, with Dates or text inside', () => {
    const change = (takenAt) => changeObject({
      services: ['db', 'api'],
      backups: [{ service: 'db', taken_at: takenAt }, { service: 'api', taken_at: '2026-12-01T09:00:00Z' }],
    })
    const fresh = backups.evaluate(change(new Date('2026-11-30T10:00:00Z')), catalog, { now: NOW })
    assert.equal(fresh.verdict, 'allow')
    assert.deepEqual(plain(fresh), plain(backups.evaluate(change('2026-11-30T10:00:00Z'), catalog, { now: NOW })))
    const stale = backups.evaluate(change(new Date('2026-11-30T09:59:59Z')), catalog, { now: NOW })
    assert.equal(stale.verdict, 'deny')
    assert.equal(stale.reasons[0].rule, 'fresh_backups')
  })

  test('a misspelt key inside a record is an input error at its path', () => {
    const change = changeObject({ backups: [{ service: 'db', taken: '2026-12-01T09:00:00Z' }] })
    assertThrowsShipgate(() => backups.evaluate(change, catalog, { now: NOW }), {
      code: 'INPUT_ERROR',
      path: 'change.backups[0].taken',
      message: /did you mean `taken_at`\?/,
    })
  })
})

// What a portal shows, from the binding: a scope's calendar with its local days
// (`engine.calendar`, `calendarIcs`), the catalog's drawing (`drawGraph`), the metrics chart
// (`metricsSvg`), a region's zone, the policy digest, and input files read as the engine reads
// them (`readDocument`). Each is the core's answer; bad input is an INPUT_ERROR with a path.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Engine, drawGraph, metrics, metricsSvg, readDocument } from 'shipgate'
import { assertThrowsShipgate, policiesDir } from './support.mjs'

const engine = Engine.fromPath(join(policiesDir, 'payments'))
const catalogObject = readDocument(join(policiesDir, 'catalog.yaml'))
const catalog = new Catalog(catalogObject)
const october = { from: '2026-10-01T00:00:00+02:00', to: new Date('2026-10-31T23:00:00Z') }

describe('engine.calendar', () => {
  test("a region: the CLI's report, its zone, and the DST day of October", () => {
    const c = engine.calendar({ region: 'eu-west' }, october)
    assert.deepEqual(c.scope, { region: 'eu-west' })
    assert.equal(c.region, 'eu-west')
    assert.equal(c.timezone, 'Europe/Berlin')
    assert.deepEqual(c.open, engine.calendar({ region: 'eu-west' }, october).open)
    assert.equal(c.days.length, 31)
    assert.deepEqual(
      c.days.filter((d) => d.dst_change),
      [{ date: '2026-10-25', utc_offset_start: '+02:00', utc_offset_end: '+01:00', dst_change: true }],
    )
    assert.ok(c.open.some((o) => o.start === '2026-10-26T08:00:00Z'))
  })

  test('a service needs the catalog, and reads its calendars together', () => {
    const c = engine.calendar({ service: 'ledger-db' }, { ...october, catalog })
    assert.deepEqual(c.scope, { service: 'ledger-db' })
    assert.deepEqual(c.regions, ['eu-west', 'us-east'])
    assert.equal(c.timezone, 'Europe/Berlin')
    assert.ok(c.blackouts.some((b) => b.name === 'settlement run'))
    const plain = engine.calendar({ service: 'ledger-db' }, { ...october, catalog: catalogObject })
    assert.deepEqual(plain, c)
    assertThrowsShipgate(() => engine.calendar({ service: 'ledger-db' }, october), {
      code: 'INPUT_ERROR',
      path: 'options.catalog',
    })
  })

  test('calendarIcs is the iCalendar of the same scope', () => {
    const ics = engine.calendarIcs({ region: 'us-east' }, october)
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/)
    assert.match(ics, /X-WR-CALNAME:shipgate us-east/)
    const service = engine.calendarIcs({ service: 'fraud-worker' }, { ...october, catalog })
    assert.match(service, /X-WR-CALNAME:shipgate fraud-worker/)
  })

  test('bad scopes and ranges are input errors with a path', () => {
    const bad = [
      [[{ region: 'eu-wst' }, october], 'region', /did you mean `eu-west`/],
      [[{ service: 'nope' }, { ...october, catalog }], 'service', /unknown service/],
      [[{}, october], 'scope', /exactly one/],
      [[{ region: 'eu-west', service: 'ledger-db' }, october], 'scope', /exactly one/],
      [[{ zone: 'eu-west' }, october], 'scope.zone', /unknown option/],
      [[{ region: 'eu-west' }, { ...october, zone: 'UTC' }], 'options.zone', /unknown option/],
      [['eu-west', october], 'scope', /expected an object/],
      [[{ region: 7 }, october], 'scope.region', /expected a string/],
      [[{ region: 'eu-west' }, { from: october.from }], 'options.to', /required/],
      [[{ region: 'eu-west' }, { ...october, from: 'soon' }], 'options.from', /RFC 3339/],
      [[{ region: 'eu-west' }, { from: '2026-11-01T00:00:00Z', to: '2026-10-01T00:00:00Z' }], 'to', /after/],
      [[{ region: 'eu-west' }, { from: '2026-01-01T00:00:00Z', to: '2031-01-01T00:00:00Z' }], 'to', /three years/],
      [[{ service: 'ledger-db' }, { ...october, catalog: 'x' }], 'catalog', /expected a Catalog/],
      [[{ region: 'eu-west' }, { ...october, catalog }], 'options.catalog', /only a service's calendar/],
    ]
    for (const [args, path, message] of bad) {
      assertThrowsShipgate(() => engine.calendar(...args), { code: 'INPUT_ERROR', path, message })
      assertThrowsShipgate(() => engine.calendarIcs(...args), { code: 'INPUT_ERROR', path, message })
    }
  })
})

describe('small views', () => {
  test('regionTimezone and policyDigest', () => {
    assert.equal(engine.regionTimezone('us-east'), 'America/New_York')
    assert.equal(engine.regionTimezone('mars'), null)
    assertThrowsShipgate(() => engine.regionTimezone(3), { code: 'INPUT_ERROR', path: 'region' })
    assert.match(engine.policyDigest, /^sha256:[0-9a-f]{64}$/)
    const decision = engine.evaluate(
      readDocument(join(policiesDir, 'changes', 'chg-1043-ledger-migration.json')),
      catalog,
      { now: '2026-12-18T09:00:00Z' },
    )
    assert.equal(decision.policy, engine.policyDigest)
  })

  test('drawGraph: the drawing as JSON, DOT or Mermaid', () => {
    const json = drawGraph(catalogObject)
    assert.deepEqual(drawGraph(catalogObject, { format: 'json' }), json)
    assert.ok(json.waves[0].includes('ledger-db'))
    assert.equal(json.tiers['checkout-web'], 2)
    assert.match(drawGraph(catalogObject, { format: 'dot' }), /^digraph catalog \{/)
    assert.match(drawGraph(catalogObject, { format: 'mermaid' }), /ledger-db/)
    assertThrowsShipgate(() => drawGraph(catalogObject, { format: 'svg' }), { code: 'INPUT_ERROR', path: 'options.format' })
    assertThrowsShipgate(() => drawGraph({ services: [{ id: 'a', tier: 0, depends_on: ['b'] }] }), {
      code: 'INPUT_ERROR',
      path: 'catalog.services[0].depends_on[0]',
    })
  })

  test('drawGraph draws a cycle instead of refusing it', () => {
    const cyclic = {
      services: [
        { id: 'a', tier: 0, depends_on: ['b'] },
        { id: 'b', tier: 0, depends_on: ['a'] },
      ],
    }
    assert.equal(drawGraph(cyclic).cycles.length, 1)
  })

  test('metricsSvg: the chart of the same figures', () => {
    const history = join(policiesDir, 'history', 'deployments.jsonl')
    const svg = metricsSvg(history, { by: 'team' })
    assert.match(svg, /^<svg /)
    assert.match(svg, /Delivery metrics week by week/)
    assert.ok(metrics(history).deployments > 0)
    assertThrowsShipgate(() => metricsSvg(history, { by: 'region' }), { code: 'INPUT_ERROR', path: 'options.by' })
    assertThrowsShipgate(() => metricsSvg(history, { from: 'x' }), { code: 'INPUT_ERROR', path: 'options.from' })
  })

  test('readDocument reads JSON and YAML as the engine does', () => {
    const yaml = readDocument(join(policiesDir, 'changes', 'chg-1044-fraud-rules.yaml'))
    assert.equal(yaml.id, 'CHG-1044')
    const file = join(policiesDir, 'changes', 'chg-1043-ledger-migration.json')
    assert.deepEqual(readDocument(file), JSON.parse(readFileSync(file, 'utf8')))
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-doc-'))
    const twice = join(dir, 'twice.yaml')
    writeFileSync(twice, 'id: a\nid: b\n')
    assertThrowsShipgate(() => readDocument(twice), { code: 'INPUT_ERROR', message: /id/ })
    const big = join(dir, 'big.json')
    writeFileSync(big, JSON.stringify({ title: 'x'.repeat(100) }))
    assertThrowsShipgate(() => readDocument(big, { maxInputBytes: 50 }), { code: 'INPUT_ERROR', message: /limit/ })
    assertThrowsShipgate(() => readDocument(join(dir, 'missing.json')), { code: 'INPUT_ERROR', path: 'path' })
    assertThrowsShipgate(() => readDocument(42), { code: 'INPUT_ERROR', path: 'path' })
  })
})

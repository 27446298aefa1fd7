// Each endpoint's answer for the example set, with the values the engine gives for it.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'

import { located } from '../src/config.mjs'
import { NOW, call, example, portal } from './support.mjs'

let app
before(() => {
  app = portal()
})
after(() => app.close())

describe('health and meta', () => {
  test('health names the policy digest every decision carries', async () => {
    const res = await call(app, 'GET', '/api/health')
    assert.equal(res.status, 200)
    assert.equal(res.body.ok, true)
    assert.match(res.body.policy.digest, /^sha256:[0-9a-f]{64}$/)
    const change = await example(app, 'CHG-1043')
    const check = await call(app, 'POST', '/api/check', { change })
    assert.equal(check.body.decision.policy, res.body.policy.digest)
  })

  test('meta lists regions with their zones, services, examples and the fixed now', async () => {
    const { status, body } = await call(app, 'GET', '/api/meta')
    assert.equal(status, 200)
    assert.deepEqual(body.regions, [
      { id: 'eu-west', timezone: 'Europe/Berlin' },
      { id: 'us-east', timezone: 'America/New_York' },
    ])
    assert.deepEqual(
      body.services.find((s) => s.id === 'ledger-db'),
      { id: 'ledger-db', team: 'core-ledger', tier: 0, regions: ['eu-west', 'us-east'] },
    )
    assert.equal(body.services.length, 8)
    assert.deepEqual(
      body.examples.find((e) => e.id === 'CHG-1043'),
      { id: 'CHG-1043', title: 'Ledger: split entries table by booking month', file: 'chg-1043-ledger-migration.json' },
    )
    assert.deepEqual(
      body.examples.map((e) => e.file),
      [...body.examples.map((e) => e.file)].sort(),
    )
    assert.equal(body.now, NOW)
  })

  test('without a fixed now, meta gives the clock', async () => {
    const live = portal({ now: undefined })
    try {
      const before = Date.now()
      const { body } = await call(live, 'GET', '/api/meta')
      assert.match(body.now, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      assert.ok(Math.abs(Date.parse(body.now) - before) < 60_000)
    } finally {
      await live.close()
    }
  })

  test('an example is the change as its file holds it, YAML converted', async () => {
    const yaml = await example(app, 'CHG-1044')
    assert.deepEqual(yaml.kind, ['application', 'config'])
    assert.equal(yaml.start, '2026-12-02T10:00:00+01:00')
    const json = await example(app, 'CHG-1043')
    assert.deepEqual(json, JSON.parse(readFileSync(located('policies/changes/chg-1043-ledger-migration.json'), 'utf8')))
  })
})

describe('check', () => {
  test('CHG-1043 at the README instant is a deny with a missing cab approval', async () => {
    const change = await example(app, 'CHG-1043')
    const { status, body } = await call(app, 'POST', '/api/check', { change })
    assert.equal(status, 200)
    const d = body.decision
    assert.equal(d.verdict, 'deny')
    assert.equal(d.change, 'CHG-1043')
    assert.equal(d.now, NOW)
    assert.equal(d.tier, 'critical')
    assert.deepEqual(d.reasons.map((r) => r.rule), ['schedule'])
    const cab = d.requirements.find((r) => r.group === 'cab')
    assert.equal(cab.satisfied, false)
    assert.equal(cab.needed, 2)
    assert.deepEqual(cab.counted, ['ana'])
    assert.deepEqual(cab.ignored.map((i) => i.by), ['bob', 'lena'])
    assert.deepEqual(d.schedule.next_window, { start: '2027-01-05T08:00:00Z', end: '2027-01-05T15:00:00Z' })
    assert.equal(body.explain, undefined)
    assert.equal(body.recorded, undefined)
    // No machine path: rules are located relative to the working folder.
    assert.match(d.reasons[0].at, /^(\.\.\/)*policies\/payments\/calendars\.gate:\d+:\d+$/)
  })

  test('now in the body decides at that instant', async () => {
    const change = await example(app, 'CHG-1043')
    const { body } = await call(app, 'POST', '/api/check', { change, now: '2026-12-19T10:00:00+01:00' })
    assert.equal(body.decision.now, '2026-12-19T09:00:00Z')
  })

  test('explain fills the trace and says what is left to ship', async () => {
    const change = await example(app, 'CHG-1043')
    const { body } = await call(app, 'POST', '/api/check', { change, explain: true })
    assert.ok(body.decision.trace.length > 0)
    assert.ok(Array.isArray(body.decision.to_ship))
    assert.match(body.explain, /^To ship this change:\n- /)
    for (const step of body.decision.to_ship) assert.ok(body.explain.includes(step.text))
  })

  test('record appends the decision to the archive (a scratch copy, not the repository)', async () => {
    const seed = readFileSync(located('policies/audit/decisions.jsonl'), 'utf8')
    const own = portal()
    try {
      const change = await example(own, 'CHG-1042')
      const { body } = await call(own, 'POST', '/api/check', { change, record: true })
      assert.equal(body.recorded.seq, 4)
      assert.match(body.recorded.hash, /^sha256:[0-9a-f]{64}$/)
      const archive = await call(own, 'GET', '/api/archive?change=CHG-1042')
      assert.equal(archive.body.verify.ok, true)
      assert.equal(archive.body.verify.records, 4)
      assert.deepEqual(archive.body.records.map((r) => r.seq), [2, 4])
      assert.equal(archive.body.records[1].verdict, body.decision.verdict)
      assert.equal(archive.body.records[1].hash, body.recorded.hash)
    } finally {
      await own.close()
    }
    assert.equal(readFileSync(located('policies/audit/decisions.jsonl'), 'utf8'), seed)
  })

  test('checkAsync decides on the thread pool, with the same decision', async () => {
    const pooled = portal({ checkAsync: true })
    try {
      const change = await example(app, 'CHG-1043')
      const sync = await call(app, 'POST', '/api/check', { change })
      const async_ = await call(pooled, 'POST', '/api/check', { change })
      assert.deepEqual(async_.body, sync.body)
      const bad = await call(pooled, 'POST', '/api/check', { change: { ...change, start: 'soon' } })
      assert.equal(bad.status, 400)
      assert.equal(bad.body.error.path, 'change.start')
    } finally {
      await pooled.close()
    }
  })
})

describe('calendar', () => {
  const october = 'from=2026-10-01T00:00:00%2B02:00&to=2026-11-01T00:00:00%2B01:00'

  test('eu-west over October 2026 marks 2026-10-25 as the DST day', async () => {
    const { status, body } = await call(app, 'GET', `/api/calendar?region=eu-west&${october}`)
    assert.equal(status, 200)
    assert.deepEqual(body.scope, { region: 'eu-west' })
    assert.equal(body.region, 'eu-west')
    assert.equal(body.timezone, 'Europe/Berlin')
    assert.equal(body.days.length, 31)
    assert.deepEqual(
      body.days.filter((d) => d.dst_change),
      [{ date: '2026-10-25', utc_offset_start: '+02:00', utc_offset_end: '+01:00', dst_change: true }],
    )
    assert.equal(body.days[0].date, '2026-10-01')
    assert.equal(body.days[30].utc_offset_start, '+01:00')
    // Windows are 09:00-16:00 Berlin time: 07:00Z before the switch, 08:00Z after it.
    assert.ok(body.open.some((o) => o.start === '2026-10-22T07:00:00Z'))
    assert.ok(body.open.some((o) => o.start === '2026-10-27T08:00:00Z'))
    assert.ok(body.blackouts.some((b) => b.name === 'nightly batch'))
    assert.match(body.timezone_db, /^\d{4}[a-z]$/)
  })

  test('us-east falls back a week later, in its own zone', async () => {
    const { body } = await call(app, 'GET', '/api/calendar?region=us-east&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z')
    assert.equal(body.timezone, 'America/New_York')
    // The range starts at 20:00 on October 31st in New York.
    assert.equal(body.days[0].date, '2026-10-31')
    assert.deepEqual(body.days.filter((d) => d.dst_change).map((d) => d.date), ['2026-11-01'])
  })

  test("a service's calendar is every calendar that applies to it", async () => {
    const { status, body } = await call(app, 'GET', `/api/calendar?service=ledger-db&${october}`)
    assert.equal(status, 200)
    assert.deepEqual(body.scope, { service: 'ledger-db' })
    assert.equal(body.service, 'ledger-db')
    assert.deepEqual(body.regions, ['eu-west', 'us-east'])
    assert.ok(body.calendars.length >= 2)
    assert.equal(body.timezone, 'Europe/Berlin')
    assert.ok(body.blackouts.some((b) => b.name === 'settlement run'))
    assert.equal(body.days.length, 31)
  })

  test('format=ics is the engine\'s iCalendar of the same range', async () => {
    const res = await call(app, 'GET', `/api/calendar?region=eu-west&${october}&format=ics`)
    assert.equal(res.status, 200)
    assert.match(res.type, /^text\/calendar/)
    assert.match(res.text, /^BEGIN:VCALENDAR\r?\n/)
    assert.match(res.text, /X-WR-CALNAME:shipgate eu-west/)
    assert.match(res.text, /SUMMARY:nightly batch/)
    assert.match(res.text, /END:VCALENDAR\s*$/)
  })
})

describe('train and plan', () => {
  test('the train is the example file\'s changes', async () => {
    const { body } = await call(app, 'GET', '/api/train')
    assert.deepEqual(body.changes.map((c) => c.id), ['CHG-2001', 'CHG-2002', 'CHG-2003', 'CHG-2004', 'CHG-2005', 'CHG-2006', 'CHG-2007', 'CHG-2008'])
  })

  test('planning the example train gives the plan the docs show', async () => {
    const { status, body } = await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z' })
    assert.equal(status, 200)
    const expected = JSON.parse(readFileSync(located('policies/trains/december-plan.json'), 'utf8'))
    assert.deepEqual(body, expected)
  })

  test('an edited change is replanned, and compared with the earlier plan', async () => {
    const first = await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z' })
    const { body: train } = await call(app, 'GET', '/api/train')
    const edited = train.changes.map((c) => (c.id === 'CHG-2001' ? { ...c, duration: '5h' } : c))
    const { status, body } = await call(app, 'POST', '/api/plan', {
      changes: edited,
      start: '2026-12-07T00:00:00Z',
      previous: first.body,
    })
    assert.equal(status, 200)
    const before = first.body.changes.find((c) => c.id === 'CHG-2001' && c.region === 'eu-west')
    const now = body.changes.find((c) => c.id === 'CHG-2001' && c.region === 'eu-west')
    assert.equal(before.end, '2026-12-07T10:00:00Z')
    assert.equal(Date.parse(now.end) - Date.parse(now.start), 5 * 3600_000)
    assert.ok(Array.isArray(body.moved))
    assert.ok(body.moved.some((m) => m.id === 'CHG-2001'))
  })
})

describe('graph', () => {
  test('json is the drawing in waves, dependencies first', async () => {
    const { status, body } = await call(app, 'GET', '/api/graph')
    assert.equal(status, 200)
    assert.equal(body.services.length, 8)
    assert.ok(body.waves[0].includes('ledger-db'))
    assert.ok(body.waves[1].includes('payments-api'))
    assert.equal(body.tiers['ledger-db'], 0)
    assert.deepEqual(body.cycles, [])
    assert.ok(body.edges.some(([from, to]) => from === 'payments-api' && to === 'ledger-db'))
  })

  test('dot and mermaid are text', async () => {
    const dot = await call(app, 'GET', '/api/graph?format=dot')
    assert.match(dot.type, /^text\/plain/)
    assert.match(dot.text, /^digraph catalog \{/)
    assert.match(dot.text, /"ledger-db" \[label="ledger-db\\ntier 0"\]/)
    const mermaid = await call(app, 'GET', '/api/graph?format=mermaid')
    assert.match(mermaid.type, /^text\/plain/)
    assert.match(mermaid.text, /^(flowchart|graph) /)
    assert.ok(mermaid.text.includes('ledger-db'))
  })
})

describe('archive', () => {
  test('the example archive verifies, and filters by change and period', async () => {
    const all = await call(app, 'GET', '/api/archive')
    assert.equal(all.status, 200)
    assert.equal(all.body.verify.ok, true)
    assert.equal(all.body.verify.records, 3)
    assert.deepEqual(all.body.verify.problems, [])
    assert.equal(all.body.verify.head, all.body.records[2].hash)
    assert.deepEqual(
      all.body.records.map((r) => [r.seq, r.change, r.verdict]),
      [[1, 'CHG-1045', 'allow'], [2, 'CHG-1042', 'pending'], [3, 'CHG-1046', all.body.records[2].verdict]],
    )
    const one = await call(app, 'GET', '/api/archive?change=CHG-1045')
    assert.deepEqual(one.body.records.map((r) => r.seq), [1])
    assert.equal(one.body.verify.records, 3)
    const period = await call(app, 'GET', '/api/archive?from=2026-11-28T01:51:00Z&to=2026-11-28T01:56:00Z')
    assert.deepEqual(period.body.records.map((r) => r.seq), [2, 3])
  })

  test('an edited archive fails verification and lists no records', async () => {
    const edited = portal({ archive: 'policies/audit/edited.jsonl' })
    try {
      const { status, body } = await call(edited, 'GET', '/api/archive')
      assert.equal(status, 200)
      assert.equal(body.verify.ok, false)
      assert.equal(body.verify.problems.length, 1)
      assert.equal(typeof body.verify.problems[0].seq, 'number')
      assert.equal(body.verify.records, body.verify.problems[0].seq - 1)
      assert.deepEqual(body.records, [])
    } finally {
      await edited.close()
    }
  })
})

describe('metrics', () => {
  test('the four measures over the history, grouped by team', async () => {
    const { status, body } = await call(app, 'GET', '/api/metrics?by=team')
    assert.equal(status, 200)
    assert.equal(body.deployments, 42)
    assert.equal(body.from, '2026-10-05T09:15:00Z')
    assert.ok(body.groups.some((g) => g.key === 'core-ledger' && g.deployments === 14))
    for (const key of ['lead_time_median_s', 'lead_time_p90_s', 'change_failure_rate', 'time_to_restore_median_s', 'per_day']) {
      assert.ok(key in body, key)
    }
  })

  test('from and to bound the period', async () => {
    const { body } = await call(app, 'GET', '/api/metrics?from=2026-10-01T00:00:00Z&to=2026-10-12T00:00:00Z')
    assert.ok(body.deployments > 0 && body.deployments < 42)
    assert.deepEqual(body.groups, [])
  })

  test('the svg is the engine\'s chart', async () => {
    const res = await call(app, 'GET', '/api/metrics.svg?by=service')
    assert.equal(res.status, 200)
    assert.match(res.type, /^image\/svg\+xml/)
    assert.match(res.text, /^<svg /)
    assert.match(res.text, /Delivery metrics week by week/)
  })
})

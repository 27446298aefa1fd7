// evaluateAsync runs on the libuv pool: 1,000 concurrent calls while a timer keeps firing.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'

const NOW = '2026-12-01T09:00:00Z'

test('1,000 concurrent evaluateAsync calls leave the event loop free', async (t) => {
  // A catalog large enough that each decision is real work (every change touches 200 services).
  const services = Array.from({ length: 2000 }, (_, i) => ({
    id: `svc-${i}`,
    tier: i % 4,
    regions: ['eu-west'],
    depends_on: i === 0 ? [] : [`svc-${Math.floor((i - 1) / 2)}`],
  }))
  const catalog = new Catalog({ services })
  const engine = Engine.fromSource('tiers low, medium, high')
  const changes = Array.from({ length: 1000 }, (_, i) =>
    new Change({
      id: `CHG-${i}`,
      services: Array.from({ length: 200 }, (_, k) => `svc-${(i * 7 + k * 9) % 2000}`),
      requester: 'ana',
      implementer: 'bob',
      start: new Date(Date.parse(NOW) + i * 60_000),
      duration: '30m',
    }),
  )

  const ticks = []
  const timer = setInterval(() => ticks.push(performance.now()), 1)
  try {
    const started = performance.now()
    const promises = changes.map((c) => engine.evaluateAsync(c, catalog, { now: NOW }))
    const dispatched = performance.now()
    let lastSettled = dispatched
    const decisions = await Promise.all(
      promises.map((p) => p.then((d) => ((lastSettled = performance.now()), d))),
    )
    const during = ticks.filter((t) => t > dispatched && t < lastSettled)
    const gaps = during.slice(1).map((t, i) => t - during[i])
    const maxGap = Math.max(0, ...gaps)
    const total = lastSettled - started
    const message = `total ${total.toFixed(1)} ms, dispatch ${(dispatched - started).toFixed(1)} ms, ` +
      `${during.length} timer ticks while pending, longest gap ${maxGap.toFixed(1)} ms`
    t.diagnostic(message)
    // The timer kept firing while the decisions were being made...
    assert.ok(during.length >= 5, message)
    // ...without long stalls (a blocked loop would show one gap as long as the whole run).
    assert.ok(maxGap < Math.max(100, total / 4), message)
    // Dispatching only reads the arguments; the decisions are made elsewhere.
    assert.ok(dispatched - started < total / 2, message)

    assert.equal(decisions.length, changes.length)
    decisions.forEach((d, i) => {
      assert.deepEqual(d.toObject(), engine.evaluate(changes[i], catalog, { now: NOW }).toObject(), `change ${i}`)
    })
  } finally {
    clearInterval(timer)
  }
})

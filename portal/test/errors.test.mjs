// Bad input on every endpoint: each is a 4xx with the contract's error body (a code, a message
// and, where known, the path), never a 500; after all of them the server still answers.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { BODY_LIMIT, MAX_TRAIN } from '../src/app.mjs'
import { assertError, call, example, portal } from './support.mjs'

let app
let change
before(async () => {
  app = portal()
  change = await example(app, 'CHG-1043')
})
after(() => app.close())

const range = 'from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z'

describe('POST /api/check', () => {
  test('malformed JSON', async () => {
    assertError(await call(app, 'POST', '/api/check', '{"change": {'), 400, 'BAD_REQUEST')
  })
  test('an empty body', async () => {
    assertError(await call(app, 'POST', '/api/check', ''), 400, 'BAD_REQUEST')
  })
  test('a body that is not JSON', async () => {
    const res = await call(app, 'POST', '/api/check', 'change=1', { 'content-type': 'application/x-www-form-urlencoded' })
    assertError(res, 415, 'BAD_REQUEST')
  })
  test('a body that is not an object', async () => {
    assertError(await call(app, 'POST', '/api/check', [change]), 400, 'BAD_REQUEST')
  })
  test('no change', async () => {
    assertError(await call(app, 'POST', '/api/check', { now: '2026-12-18T09:00:00Z' }), 400, 'BAD_REQUEST', 'change')
  })
  test('wrong types', async () => {
    assertError(await call(app, 'POST', '/api/check', { change: 'CHG-1043' }), 400, 'BAD_REQUEST', 'change')
    assertError(await call(app, 'POST', '/api/check', { change, explain: 'yes' }), 400, 'BAD_REQUEST', 'explain')
    assertError(await call(app, 'POST', '/api/check', { change, record: 1 }), 400, 'BAD_REQUEST', 'record')
    assertError(await call(app, 'POST', '/api/check', { change, now: 5 }), 400, 'BAD_REQUEST', 'now')
  })
  test('an unknown key', async () => {
    const res = await call(app, 'POST', '/api/check', { change, explian: true })
    assertError(res, 400, 'BAD_REQUEST', 'explian')
    assert.match(res.body.error.message, /unknown field "explian"/)
  })
  test('a now that is not an instant', async () => {
    assertError(await call(app, 'POST', '/api/check', { change, now: 'tomorrow' }), 400, 'INPUT_ERROR', 'now')
    assertError(await call(app, 'POST', '/api/check', { change, now: '2026-12-18T09:00:00' }), 400, 'INPUT_ERROR', 'now')
  })
  test('a change the engine cannot read names the place', async () => {
    const approvals = [{ by: 'ana', group: 'cab', at: 'last tuesday' }]
    assertError(await call(app, 'POST', '/api/check', { change: { ...change, approvals } }), 400, 'INPUT_ERROR', 'change.approvals[0].at')
    const { requester, ...anonymous } = change
    assert.ok(requester)
    assertError(await call(app, 'POST', '/api/check', { change: anonymous }), 400, 'INPUT_ERROR', 'change.requester')
    const typo = await call(app, 'POST', '/api/check', { change: { ...change, emergncy: true } })
    assertError(typo, 400, 'INPUT_ERROR', 'change.emergncy')
    assert.match(typo.body.error.message, /emergency/)
    assertError(await call(app, 'POST', '/api/check', { change: { ...change, regions: ['mars'] } }), 400, 'INPUT_ERROR', 'change.regions[0]')
  })
  test('a change nested far too deep', async () => {
    const depth = 100_000
    const body = `{"change":{"labels":${'['.repeat(depth)}${']'.repeat(depth)}}}`
    const res = await call(app, 'POST', '/api/check', body)
    assertError(res, 400, 'INPUT_ERROR')
    assert.match(res.body.error.path, /^change\.labels\[0\]/)
  })
  test('a body over 1 MiB', async () => {
    const padding = 'x'.repeat(BODY_LIMIT)
    assertError(await call(app, 'POST', '/api/check', { change: { ...change, title: padding } }), 413, 'TOO_LARGE')
  })
  test('a recorded check that is refused appends nothing', async () => {
    const before = await call(app, 'GET', '/api/archive')
    await call(app, 'POST', '/api/check', { change: { ...change, start: 'soon' }, record: true })
    const afterwards = await call(app, 'GET', '/api/archive')
    assert.equal(afterwards.body.verify.records, before.body.verify.records)
  })
})

describe('GET /api/calendar', () => {
  test('an unknown region or service', async () => {
    const region = await call(app, 'GET', `/api/calendar?region=eu-wst&${range}`)
    assertError(region, 400, 'INPUT_ERROR', 'region')
    assert.match(region.body.error.message, /did you mean `eu-west`/)
    assertError(await call(app, 'GET', `/api/calendar?service=ledger&${range}`), 400, 'INPUT_ERROR', 'service')
  })
  test('both, or neither, of region and service', async () => {
    assertError(await call(app, 'GET', `/api/calendar?region=eu-west&service=ledger-db&${range}`), 400, 'BAD_REQUEST')
    assertError(await call(app, 'GET', `/api/calendar?${range}`), 400, 'BAD_REQUEST', 'region')
  })
  test('from after to, and the same instant', async () => {
    const from = await call(app, 'GET', '/api/calendar?region=eu-west&from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z')
    assertError(from, 400, 'INPUT_ERROR', 'to')
    assert.match(from.body.error.message, /after `from`/)
    assertError(await call(app, 'GET', '/api/calendar?region=eu-west&from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z'), 400, 'INPUT_ERROR', 'to')
  })
  test('a range too long', async () => {
    const res = await call(app, 'GET', '/api/calendar?region=eu-west&from=2026-01-01T00:00:00Z&to=2030-01-01T00:00:00Z')
    assertError(res, 400, 'INPUT_ERROR', 'to')
    assert.match(res.body.error.message, /three years/)
  })
  test('a missing or malformed instant', async () => {
    assertError(await call(app, 'GET', '/api/calendar?region=eu-west&from=2026-10-01T00:00:00Z'), 400, 'BAD_REQUEST', 'to')
    assertError(await call(app, 'GET', '/api/calendar?region=eu-west&from=October&to=2026-11-01T00:00:00Z'), 400, 'INPUT_ERROR', 'from')
    assertError(await call(app, 'GET', '/api/calendar?service=ledger-db&from=2026-10-01T00:00:00Z&to=2026-11-01'), 400, 'INPUT_ERROR', 'to')
  })
  test('an unknown query parameter, format, or a repeated one', async () => {
    assertError(await call(app, 'GET', `/api/calendar?region=eu-west&${range}&tz=UTC`), 400, 'BAD_REQUEST', 'tz')
    assertError(await call(app, 'GET', `/api/calendar?region=eu-west&${range}&format=pdf`), 400, 'BAD_REQUEST', 'format')
    assertError(await call(app, 'GET', `/api/calendar?region=eu-west&region=us-east&${range}`), 400, 'BAD_REQUEST', 'region')
  })
  test('ics refuses the same bad input', async () => {
    assertError(await call(app, 'GET', `/api/calendar?region=nowhere&${range}&format=ics`), 400, 'INPUT_ERROR', 'region')
  })
})

describe('POST /api/plan', () => {
  test('malformed JSON, no start, wrong types, unknown keys', async () => {
    assertError(await call(app, 'POST', '/api/plan', '{"start": '), 400, 'BAD_REQUEST')
    assertError(await call(app, 'POST', '/api/plan', {}), 400, 'BAD_REQUEST', 'start')
    assertError(await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', changes: {} }), 400, 'BAD_REQUEST', 'changes')
    assertError(await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', from: 'x' }), 400, 'BAD_REQUEST', 'from')
    assertError(await call(app, 'POST', '/api/plan', { start: 'Monday' }), 400, 'INPUT_ERROR', 'start')
  })
  test('a change that cannot be read, and a cycle, name the change', async () => {
    const { body: train } = await call(app, 'GET', '/api/train')
    const broken = train.changes.map((c, i) => (i === 2 ? { ...c, duration: 'long' } : c))
    assertError(await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', changes: broken }), 400, 'INPUT_ERROR', 'changes[2].duration')
    const cycle = [
      { ...train.changes[0], id: 'A', after: ['B'] },
      { ...train.changes[1], id: 'B', after: ['A'] },
    ]
    const res = await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', changes: cycle })
    assertError(res, 400, 'INPUT_ERROR')
    assert.match(res.body.error.message, /cycle/)
    assert.match(res.body.error.path, /^changes\[\d\]/)
  })
  test('a train over the limit', async () => {
    const { body: train } = await call(app, 'GET', '/api/train')
    const many = Array.from({ length: MAX_TRAIN + 1 }, (_, i) => ({ ...train.changes[4], id: `CHG-${i}` }))
    assertError(await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', changes: many }), 400, 'BAD_REQUEST', 'changes')
    const res = await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', changes: many.slice(0, MAX_TRAIN) })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.changes.length + res.body.unschedulable.length, MAX_TRAIN)
  })
  test('a previous plan that cannot be read', async () => {
    const res = await call(app, 'POST', '/api/plan', { start: '2026-12-07T00:00:00Z', previous: { changes: 'none' } })
    assertError(res, 400, 'INPUT_ERROR')
    assert.match(res.body.error.path, /^previous/)
  })
})

describe('the other endpoints', () => {
  test('graph: an unknown format or parameter', async () => {
    assertError(await call(app, 'GET', '/api/graph?format=svg'), 400, 'BAD_REQUEST', 'format')
    assertError(await call(app, 'GET', '/api/graph?catalog=x'), 400, 'BAD_REQUEST', 'catalog')
  })
  test('archive: a malformed instant, an unknown parameter', async () => {
    assertError(await call(app, 'GET', '/api/archive?from=yesterday'), 400, 'INPUT_ERROR', 'from')
    assertError(await call(app, 'GET', '/api/archive?verdict=deny'), 400, 'BAD_REQUEST', 'verdict')
  })
  test('metrics: a bad grouping, instant or parameter', async () => {
    assertError(await call(app, 'GET', '/api/metrics?by=region'), 400, 'BAD_REQUEST', 'by')
    assertError(await call(app, 'GET', '/api/metrics?from=2026-13-01T00:00:00Z'), 400, 'INPUT_ERROR', 'from')
    assertError(await call(app, 'GET', '/api/metrics.svg?format=png'), 400, 'BAD_REQUEST', 'format')
  })
  test('examples: an unknown id', async () => {
    assertError(await call(app, 'GET', '/api/examples/CHG-9999'), 404, 'NOT_FOUND', 'id')
  })
  test('health and meta take no parameters', async () => {
    assertError(await call(app, 'GET', '/api/health?verbose=1'), 400, 'BAD_REQUEST', 'verbose')
    assertError(await call(app, 'GET', '/api/meta?x=1'), 400, 'BAD_REQUEST', 'x')
  })
  test('an unknown endpoint, or a method an endpoint does not take', async () => {
    assertError(await call(app, 'GET', '/api/nothing'), 404, 'NOT_FOUND')
    assertError(await call(app, 'GET', '/api/check'), 404, 'NOT_FOUND')
    assertError(await call(app, 'DELETE', '/api/archive'), 404, 'NOT_FOUND')
  })
})

test('after all of that, the server still answers', async () => {
  const res = await call(app, 'GET', '/api/health')
  assert.equal(res.status, 200)
  assert.equal(res.body.ok, true)
})

test('over a real socket: broken HTTP, a cut-off body and an oversized one leave the server up', async () => {
  const net = await import('node:net')
  const live = portal()
  const url = await live.listen({ port: 0, host: '127.0.0.1' })
  const { port } = new URL(url)
  const raw = (text) =>
    new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(text))
      let out = ''
      socket.setEncoding('utf8')
      socket.on('data', (d) => (out += d))
      socket.on('close', () => resolve(out))
      socket.on('error', () => resolve(out))
    })
  try {
    assert.match(await raw('NOT HTTP AT ALL\r\n\r\n'), /^HTTP\/1\.1 400/)
    const cut = await raw('POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"change":')
    assert.doesNotMatch(cut, /^HTTP\/1\.1 5/)
    const big = await fetch(`${url}/api/plan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: '2026-12-07T00:00:00Z', changes: ['x'.repeat(BODY_LIMIT + 1)] }),
    })
    assert.equal(big.status, 413)
    assert.equal((await big.json()).error.code, 'TOO_LARGE')
    const health = await fetch(`${url}/api/health`)
    assert.equal(health.status, 200)
    assert.equal((await health.json()).ok, true)
  } finally {
    await live.close()
  }
})

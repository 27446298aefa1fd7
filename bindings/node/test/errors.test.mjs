// Errors: codes, locations, rendered diagnostics; a panic never takes the process down.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import {
  NOW,
  addon,
  assertRejectsShipgate,
  assertThrowsShipgate,
  catalogObject,
  changeObject,
  policiesDir,
} from './support.mjs'

const engine = Engine.fromSource('tiers low, high\ngroups cab')
const catalog = new Catalog(catalogObject())

describe('POLICY_ERROR', () => {
  const source = `tiers low, high
rule cab {
  when tier >= hihg
  require approval "cab"
}
`

  test('carries the first location and the rendered diagnostics', () => {
    const err = assertThrowsShipgate(() => Engine.fromSource(source, 'cab.gate'), {
      code: 'POLICY_ERROR',
      path: 'cab.gate',
      line: 3,
      column: 16,
    })
    assert.match(err.message, /^cab\.gate:3:16: /)
    assert.match(err.diagnostics, /cab\.gate:3:16/)
    assert.match(err.diagnostics, /did you mean `high`\?/)
    assert.match(err.diagnostics, /\^/)
  })

  test('names the file of a policy folder', () => {
    assertThrowsShipgate(() => Engine.fromSource('rule { }', 'broken.gate'), {
      code: 'POLICY_ERROR',
      path: 'broken.gate',
      line: 1,
    })
  })
})

describe('INPUT_ERROR', () => {
  const cases = [
    ['a missing required field', changeObject({ requester: undefined }), 'change.requester'],
    ['a wrong type', changeObject({ size: 'big' }), 'change.size'],
    ['a bad instant deep inside', changeObject({ approvals: [{ by: 'x', group: 'cab', at: 'soon' }] }), 'change.approvals[0].at'],
    ['a naive date-time', changeObject({ start: '2026-12-01T10:00:00' }), 'change.start'],
    ['an invalid Date', changeObject({ start: new Date('nope') }), 'change.start'],
    ['NaN', changeObject({ size: NaN }), 'change.size'],
    ['a function', changeObject({ title: () => 'x' }), 'change.title'],
    ['a symbol', changeObject({ title: Symbol('x') }), 'change.title'],
    ['a bigint', changeObject({ size: 10n }), 'change.size'],
    ['undefined in a list', changeObject({ services: ['api', undefined] }), 'change.services[1]'],
    [
      'an odd key',
      changeObject({ approvals: [{ by: 'x', group: 'cab', at: NOW, 'my key': 1 }] }),
      'change.approvals[0]["my key"]',
    ],
  ]
  for (const [what, change, path] of cases) {
    test(`${what} names its JSON path`, () => {
      const err = assertThrowsShipgate(() => engine.evaluate(change, catalog, { now: NOW }), {
        code: 'INPUT_ERROR',
        path,
      })
      assert.ok(err.message.startsWith(`${path}: `), err.message)
      assert.equal(err.line, null)
    })
  }

  test('a lone surrogate is an input error, as in Python and the command line', () => {
    const lone = [
      [changeObject({ title: 'a\ud800b' }), 'change.title'],
      [changeObject({ approvals: [{ by: '\udc00', group: 'cab', at: NOW }] }), 'change.approvals[0].by'],
      // The walker too (a Date makes the fast path give up), and a key.
      [changeObject({ title: '\ud800', start: new Date(NOW) }), 'change.title'],
      [changeObject({ labels: { ['k\udfff']: 1 } }), 'change.labels'],
    ]
    for (const [change, path] of lone) {
      assertThrowsShipgate(() => engine.evaluate(change, catalog, { now: NOW }), {
        code: 'INPUT_ERROR',
        path,
        message: /lone surrogate/,
      })
    }
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, { now: '2026-12-01T10:00:00Z\ud800' }), {
      code: 'INPUT_ERROR',
      path: 'options.now',
      message: /lone surrogate/,
    })
    assertThrowsShipgate(() => Engine.fromSource('tiers low, high # \ud800'), {
      code: 'INPUT_ERROR',
      path: 'text',
      message: /lone surrogate/,
    })
    // A well-formed pair is text.
    assert.ok(engine.evaluate(changeObject({ title: 'a\ud83d\ude00b' }), catalog, { now: NOW }))
  })

  test('a cyclic object is an error, not a stack overflow', () => {
    const change = changeObject()
    change.labels = [change]
    assertThrowsShipgate(() => engine.evaluate(change, catalog, { now: NOW }), {
      code: 'INPUT_ERROR',
      message: /nested more than \d+ levels deep/,
    })
  })

  test('a change that is not an object', () => {
    for (const bad of [null, undefined, 42, 'CHG-1', [changeObject()], catalog]) {
      assertThrowsShipgate(() => engine.evaluate(bad, catalog), { code: 'INPUT_ERROR', path: /^change/ })
    }
  })

  test('catalog errors name the catalog path', () => {
    const bad = catalogObject()
    bad.services[1].depends_on = ['nowhere']
    assertThrowsShipgate(() => new Catalog(bad), { code: 'INPUT_ERROR', path: /^catalog\.services\[1\]/ })
    assertThrowsShipgate(() => new Catalog({ services: [{ id: 'x', tier: 9 }] }), {
      code: 'INPUT_ERROR',
      path: 'catalog.services[0].tier',
    })
    assertThrowsShipgate(() => engine.evaluate(changeObject(), 'catalog'), { code: 'INPUT_ERROR', path: 'catalog' })
    assertThrowsShipgate(() => engine.evaluate(changeObject(), { services: 3 }), {
      code: 'INPUT_ERROR',
      path: 'catalog.services',
    })
  })

  test('a service the catalog lacks', () => {
    assertThrowsShipgate(() => engine.evaluate(changeObject({ services: ['ghost'] }), catalog, { now: NOW }), {
      code: 'INPUT_ERROR',
      path: /^change\.services/,
    })
  })

  test('options: unknown keys, bad now, bad explain', () => {
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, { nwo: NOW }), {
      code: 'INPUT_ERROR',
      path: 'options.nwo',
    })
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, { now: 'tomorrow' }), {
      code: 'INPUT_ERROR',
      path: 'options.now',
    })
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, { now: 1764576000000 }), {
      code: 'INPUT_ERROR',
      path: 'options.now',
    })
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, { explain: 'yes' }), {
      code: 'INPUT_ERROR',
      path: 'options.explain',
    })
    assertThrowsShipgate(() => engine.evaluate(changeObject(), catalog, 'now'), {
      code: 'INPUT_ERROR',
      path: 'options',
    })
    assertThrowsShipgate(() => engine.evaluateMany([changeObject()], catalog, { explain: true }), {
      code: 'INPUT_ERROR',
      path: 'options.explain',
    })
  })

  test('evaluateMany names the failing change by index', () => {
    const changes = [changeObject(), changeObject({ id: 'CHG-2' }), changeObject({ id: 'CHG-3', start: 7 })]
    const err = assertThrowsShipgate(() => engine.evaluateMany(changes, catalog, { now: NOW }), {
      code: 'INPUT_ERROR',
      path: 'changes[2].start',
      index: 2,
    })
    assert.match(err.message, /^changes\[2\]\.start: /)
    assertThrowsShipgate(() => engine.evaluateMany('all', catalog), { code: 'INPUT_ERROR', path: 'changes' })
    assertThrowsShipgate(() => engine.evaluateMany([changeObject(), 5], catalog), {
      code: 'INPUT_ERROR',
      path: 'changes[1]',
    })
  })

  test('evaluation errors of a batch name the change too', () => {
    const changes = [changeObject(), changeObject({ services: ['ghost'] })]
    assertThrowsShipgate(() => engine.evaluateMany(changes, catalog, { now: NOW }), {
      code: 'INPUT_ERROR',
      index: 1,
      path: /^changes\[1\]/,
    })
  })

  test('arguments of the factories and nextWindow', () => {
    assertThrowsShipgate(() => Engine.fromSource(42), { code: 'INPUT_ERROR', path: 'text' })
    assertThrowsShipgate(() => Engine.fromSource('tiers low', 7), { code: 'INPUT_ERROR', path: 'name' })
    assertThrowsShipgate(() => Engine.fromPath([]), { code: 'INPUT_ERROR', path: 'path' })
    assertThrowsShipgate(() => Engine.fromPath(['a', 3]), { code: 'INPUT_ERROR', path: 'path[1]' })
    assertThrowsShipgate(() => engine.nextWindow(3, NOW, '1h'), { code: 'INPUT_ERROR', path: 'region' })
    assertThrowsShipgate(() => engine.nextWindow('eu', 'later', '1h'), { code: 'INPUT_ERROR', path: 'after' })
    assertThrowsShipgate(() => engine.nextWindow('eu', NOW, '1.5h'), { code: 'INPUT_ERROR', path: 'duration' })
    assertThrowsShipgate(() => engine.nextWindow('eu', NOW, -60), { code: 'INPUT_ERROR', path: 'duration' })
    assertThrowsShipgate(() => engine.nextWindow('eu', NOW, 1.5), { code: 'INPUT_ERROR', path: 'duration' })
    assertThrowsShipgate(() => Change.fromPath(join(policiesDir, 'catalog.yaml')), { code: 'INPUT_ERROR' })
  })

  test('a getter that throws surfaces its own exception', () => {
    const change = changeObject()
    Object.defineProperty(change, 'title', {
      enumerable: true,
      get() {
        throw new RangeError('from the getter')
      },
    })
    assert.throws(() => engine.evaluate(change, catalog), { name: 'RangeError', message: 'from the getter' })
  })

  test('the async calls reject with the same errors', async () => {
    await assertRejectsShipgate(engine.evaluateAsync(changeObject({ services: ['ghost'] }), catalog, { now: NOW }), {
      code: 'INPUT_ERROR',
      path: /^change\.services/,
    })
    await assertRejectsShipgate(
      engine.evaluateManyAsync([changeObject(), changeObject({ duration: 'long' })], catalog, { now: NOW }),
      { code: 'INPUT_ERROR', path: 'changes[1].duration', index: 1 },
    )
    // Arguments that cannot be read throw before any promise exists.
    assertThrowsShipgate(() => engine.evaluateAsync(changeObject(), catalog, { now: 'x' }), {
      code: 'INPUT_ERROR',
      path: 'options.now',
    })
  })
})

describe('unreadable files', () => {
  test('a missing policy folder is a POLICY_ERROR naming it, without a line', () => {
    const missing = join(policiesDir, 'no-such-folder')
    const err = assertThrowsShipgate(() => Engine.fromPath(missing), {
      code: 'POLICY_ERROR',
      path: missing,
      line: null,
      column: null,
    })
    assert.match(err.diagnostics, /no-such-folder/)
  })

  test('a missing input file is an INPUT_ERROR at the input, naming the file', () => {
    assertThrowsShipgate(() => Catalog.fromPath('no-such-catalog.json'), {
      code: 'INPUT_ERROR',
      path: 'catalog',
      message: /^catalog: cannot read no-such-catalog\.json: /,
    })
    assertThrowsShipgate(() => Change.fromPath('no-such-change.yaml'), {
      code: 'INPUT_ERROR',
      path: 'change',
      message: /^change: cannot read no-such-change\.yaml: /,
    })
  })
})

describe('INTERNAL_ERROR', { skip: !addon.__panicForTests && 'a release build has no test hooks' }, () => {
  test('a panic on the main thread is thrown, and the process goes on', () => {
    assertThrowsShipgate(() => addon.__panicForTests(false), {
      code: 'INTERNAL_ERROR',
      message: /test panic/,
    })
    assert.equal(engine.evaluate(changeObject(), catalog, { now: NOW }).order.length, 1)
  })

  test('a panic on a worker thread rejects the promise', async () => {
    await assertRejectsShipgate(addon.__panicForTests(true), {
      code: 'INTERNAL_ERROR',
      message: /test panic on a worker/,
    })
    assert.equal((await engine.evaluateAsync(changeObject(), catalog, { now: NOW })).order.length, 1)
  })
})

// How JavaScript values are read: the fast JSON path and the precise walker agree, and neither
// accepts a value JSON cannot hold faithfully.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import vm from 'node:vm'

import { Catalog, Change, Engine } from 'shipgate'
import { NOW, assertThrowsShipgate, catalogObject, changeObject } from './support.mjs'

const engine = Engine.fromSource('tiers low, high\ngroups cab')
const catalog = new Catalog(catalogObject())
// The plain form: two `Decision`s have no own properties for deepEqual to compare. Without
// `inputs`: it digests the change as given, and these tests spell one change in several ways
// on purpose (a `Date` is given as its `toISOString` text); parity.test.mjs checks `inputs`.
const decide = (change) => {
  const { inputs, ...rest } = engine.evaluate(change, catalog, { now: NOW }).toObject()
  assert.match(inputs, /^sha256:[0-9a-f]{64}$/)
  return rest
}

describe('reading values', () => {
  test('undefined properties are absent, as in JSON.stringify', () => {
    assert.deepEqual(decide(changeObject({ title: undefined, regions: undefined })), decide(changeObject()))
  })

  test('objects with toJSON are read through it', () => {
    const when = { toJSON: () => '2026-12-01T10:00:00Z' }
    assert.deepEqual(decide(changeObject({ start: when })), decide(changeObject()))
  })

  test('a toJSON that returns its own object is applied once, not forever', () => {
    const odd = { label: 'x' }
    odd.toJSON = () => odd
    assertThrowsShipgate(() => decide(changeObject({ labels: [odd] })), {
      code: 'INPUT_ERROR',
      path: 'change.labels[0].toJSON',
    })
  })

  test('Dates from another realm are Dates', () => {
    const foreign = vm.runInNewContext('new Date("2026-12-01T10:00:00Z")')
    assert.ok(!(foreign instanceof Date))
    assert.deepEqual(decide(changeObject({ start: foreign })), decide(changeObject()))
    assertThrowsShipgate(() => decide(changeObject({ start: vm.runInNewContext('new Date(NaN)') })), {
      code: 'INPUT_ERROR',
      path: 'change.start',
    })
  })

  test('an invalid Date is never read as null (which would mean "start now")', () => {
    assertThrowsShipgate(() => decide(changeObject({ start: new Date('never') })), {
      code: 'INPUT_ERROR',
      path: 'change.start',
      message: /Invalid Date/,
    })
  })

  test('boxed non-finite numbers are refused, not read as null', () => {
    assertThrowsShipgate(() => decide(changeObject({ size: new Number(NaN) })), { code: 'INPUT_ERROR' })
  })

  test('a shared-object bomb is cut off, not expanded', () => {
    let bomb = { leaf: 1 }
    for (let i = 0; i < 40; i++) bomb = { a: bomb, b: bomb }
    const started = performance.now()
    assertThrowsShipgate(() => decide(changeObject({ labels: [bomb] })), {
      code: 'INPUT_ERROR',
      message: /more than 1000000 values/,
    })
    assert.ok(performance.now() - started < 30_000)
  })

  test('deep but finite nesting is read; past 128 levels it is an error', () => {
    let deep = 'x'
    for (let i = 0; i < 300; i++) deep = [deep]
    assertThrowsShipgate(() => decide(changeObject({ labels: [deep] })), {
      code: 'INPUT_ERROR',
      message: /nested more than 128 levels deep/,
    })
  })

  test('a later monkey-patch of JSON does not change what is read or returned', () => {
    const { parse, stringify } = JSON
    const want = decide(changeObject())
    try {
      JSON.parse = () => ({ verdict: 'allow', patched: true })
      JSON.stringify = () => '{"id":"evil"}'
      assert.deepEqual(decide(changeObject()), want)
      assert.equal(new Change(changeObject()).id, 'CHG-1')
    } finally {
      JSON.parse = parse
      JSON.stringify = stringify
    }
  })

  test('whole numbers read as integers, fractions as numbers', () => {
    assert.deepEqual(decide(changeObject({ size: 300.0 })), decide(changeObject({ size: 300 })))
    assertThrowsShipgate(() => decide(changeObject({ size: 300.5 })), { code: 'INPUT_ERROR', path: 'change.size' })
    assert.equal(new Catalog({ services: [{ id: 'x', tier: 2, error_budget: 0.25 }] }).size, 1)
  })

  test('Map, Set and class instances read as their own enumerable fields', () => {
    class Approval {
      constructor() {
        this.by = 'carol'
        this.group = 'cab'
        this.at = new Date('2026-11-30T12:00:00Z')
      }
      get ignored() {
        return 'prototype getters are not own fields'
      }
    }
    assert.deepEqual(decide(changeObject({ approvals: [new Approval()] })), decide(changeObject()))
    assertThrowsShipgate(() => decide(changeObject({ services: new Set(['api']) })), {
      code: 'INPUT_ERROR',
      path: 'change.services',
    })
  })
})

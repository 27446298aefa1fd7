// The limits of docs/security.md as options: each one lowered refuses what the default
// accepts, or raised accepts what the default refuses, and the error of an exceeded limit
// names the option that raises it. Names and ranges are the library's.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import { NOW, assertThrowsShipgate, policiesDir } from './support.mjs'

const payments = join(policiesDir, 'payments')
const changePath = join(policiesDir, 'changes', 'chg-1042-checkout-copy.json')

const DAILY_TWICE = `tiers low
region eu uses cal
calendar cal timezone "UTC" {
  blackout "a" rrule "FREQ=DAILY" at 01:00 for 1m
  blackout "b" rrule "FREQ=DAILY" at 02:00 for 1m
}
`
// 72 starts a day: 26,352 a year, over the default of 10,000 for one rule.
const DENSE = DAILY_TWICE.replace(
  '"FREQ=DAILY" at 01:00',
  '"FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,20,40" at 01:00',
)

test('maxInputBytes is lowered and raised', () => {
  const size = statSync(changePath).size
  assert.equal(Change.fromPath(changePath).id, 'CHG-1042')
  assertThrowsShipgate(() => Change.fromPath(changePath, { maxInputBytes: size - 1 }), {
    code: 'INPUT_ERROR',
    message: new RegExp(`larger than the limit of ${size - 1} bytes \\(raise it with the max-input-bytes option\\)`),
  })
  assert.equal(Change.fromPath(changePath, { maxInputBytes: size }).id, 'CHG-1042')

  // A catalog over the 16 MiB default: refused by default, read with the limit raised.
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-limits-'))
  try {
    const big = join(dir, 'catalog.json')
    writeFileSync(big, JSON.stringify({ services: [{ id: 'api', tier: 1 }] }) + ' '.repeat(17 << 20))
    assertThrowsShipgate(() => Catalog.fromPath(big), { code: 'INPUT_ERROR', message: /max-input-bytes/ })
    assert.equal(Catalog.fromPath(big, { maxInputBytes: 32 << 20 }).size, 1)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('maxPolicyFileBytes and maxPolicyBytes bound policy text', () => {
  const text = 'tiers low, high\n'
  Engine.fromSource(text)
  assertThrowsShipgate(() => Engine.fromSource(text, undefined, { maxPolicyFileBytes: text.length - 1 }), {
    code: 'POLICY_ERROR',
    message: /max-policy-file-bytes/,
  })
  assertThrowsShipgate(() => Engine.fromSource(text, 'p.gate', { maxPolicyBytes: text.length - 1 }), {
    code: 'POLICY_ERROR',
    message: /max-policy-bytes/,
  })
  Engine.fromSource(text, undefined, { maxPolicyFileBytes: text.length, maxPolicyBytes: text.length })
  // Past the default: refused by default, before it is parsed (the raised limit letting a
  // 5 MiB file through is the core's test: parsing it unoptimised takes long).
  const big = `${text}# ${'x'.repeat(5 << 20)}\n`
  assertThrowsShipgate(() => Engine.fromSource(big), {
    code: 'POLICY_ERROR',
    message: /larger than the limit of 4194304 bytes/,
  })
  const largest = Math.max(
    ...readdirSync(payments).filter((f) => f.endsWith('.gate')).map((f) => statSync(join(payments, f)).size),
  )
  assertThrowsShipgate(() => Engine.fromPath(payments, { maxPolicyFileBytes: largest - 1 }), {
    code: 'POLICY_ERROR',
    message: /max-policy-file-bytes/,
  })
})

test('maxRruleStartsPerRule and maxRruleStartsPerPolicy', () => {
  assertThrowsShipgate(() => Engine.fromSource(DENSE), {
    code: 'POLICY_ERROR',
    message: /more than the limit of 10000 a year for one rule/,
  })
  Engine.fromSource(DENSE, undefined, { maxRruleStartsPerRule: 30000 })
  Engine.fromSource(DAILY_TWICE)
  assertThrowsShipgate(() => Engine.fromSource(DAILY_TWICE, undefined, { maxRruleStartsPerPolicy: 500 }), {
    code: 'POLICY_ERROR',
    diagnostics: /max-rrule-starts-per-policy/,
  })
})

test('maxEvalSteps is the budget of each decision', () => {
  const catalog = Catalog.fromPath(join(policiesDir, 'catalog.yaml'))
  const change = Change.fromPath(changePath)
  assert.equal(Engine.fromPath(payments).evaluate(change, catalog, { now: NOW }).verdict, 'allow')
  const tight = Engine.fromPath(payments, { maxEvalSteps: 1 })
  const d = tight.evaluate(change, catalog, { now: NOW })
  assert.equal(d.verdict, 'deny')
  assert.ok(
    d.reasons.some((r) => r.message.includes('evaluation budget of 1 steps') && r.message.includes('max-eval-steps option')),
    JSON.stringify(d.reasons),
  )
  assert.deepEqual(tight.evaluateMany([change], catalog, { now: NOW }).map((x) => x.verdict), ['deny'])
  assert.equal(Engine.fromPath(payments, { maxEvalSteps: 1000 }).evaluate(change, catalog, { now: NOW }).verdict, 'allow')
})

test('nonsense limits are input errors naming the option', () => {
  for (const bad of [0, -1, 1e12 + 1, 2 ** 80]) {
    assertThrowsShipgate(() => Engine.fromSource('tiers low\n', undefined, { maxEvalSteps: bad }), {
      code: 'INPUT_ERROR',
      path: 'options.maxEvalSteps',
      message: /max-eval-steps must be between 1 and 1000000000000/,
    })
  }
  for (const bad of [1.5, NaN, Infinity, '5', null]) {
    assertThrowsShipgate(() => Engine.fromSource('tiers low\n', undefined, { maxEvalSteps: bad }), {
      code: 'INPUT_ERROR',
      path: 'options.maxEvalSteps',
      message: /expected a whole number/,
    })
  }
  assertThrowsShipgate(() => Engine.fromSource('tiers low\n', undefined, { maxSteps: 5 }), {
    code: 'INPUT_ERROR',
    message: /unknown limit `maxSteps`/,
  })
  // A limit that would do nothing where it is given is an error, not a silent no-op.
  assertThrowsShipgate(() => Engine.fromSource('tiers low\n', undefined, { maxInputBytes: 5 }), {
    code: 'INPUT_ERROR',
    path: 'options.maxInputBytes',
    message: /no effect/,
  })
  assertThrowsShipgate(() => Change.fromPath(changePath, { maxEvalSteps: 5 }), {
    code: 'INPUT_ERROR',
    message: /no effect/,
  })
  assertThrowsShipgate(() => Change.fromPath(changePath, 5), { code: 'INPUT_ERROR', path: 'options' })
})

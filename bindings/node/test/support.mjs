// Shared by the tests: paths, fixtures, and assertions on shipgate's errors.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Engine } from 'shipgate'

export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..')
export const repoRoot = join(pkgDir, '..', '..')
export const policiesDir = join(repoRoot, 'policies')
export const casesDir = join(repoRoot, 'tests', 'cases')

/** The addon itself (same instance as the package's), for the debug-only test hooks. */
export const addon = createRequire(import.meta.url)(
  process.env.SHIPGATE_NODE_ADDON || join(pkgDir, 'shipgate.node'),
)

/**
 * Whether main's policy parser has landed: until it has, every policy compiles to an empty set.
 * Tests that need real rules are marked `todo` until then, so they run and report but do not
 * fail the suite; once the parser exists they are ordinary tests.
 */
export const parserMissing = (() => {
  try {
    Engine.fromSource('this is } not { a policy', 'probe.gate')
    return true
  } catch {
    return false
  }
})()
export const needsParser = parserMissing ? 'needs the policy parser from main' : false

export const NOW = '2026-12-01T09:00:00Z'

export function catalogObject() {
  return {
    services: [
      { id: 'db', team: 'core', tier: 0, regions: ['eu-west'], stateful: true },
      { id: 'api', team: 'pay', tier: 1, depends_on: ['db'], regions: ['eu-west'], monitored: true },
      { id: 'web', team: 'web', tier: 2, depends_on: ['api'], regions: ['eu-west'] },
    ],
  }
}

export function changeObject(overrides = {}) {
  return {
    id: 'CHG-1',
    title: 'Rotate keys',
    kind: ['application'],
    services: ['api'],
    requester: 'ana',
    implementer: 'bob',
    approvals: [{ by: 'carol', group: 'cab', at: '2026-11-30T12:00:00Z' }],
    start: '2026-12-01T10:00:00Z',
    duration: '2h',
    ...overrides,
  }
}

/** Runs `fn` and checks it throws a shipgate error with the given fields. */
export function assertThrowsShipgate(fn, fields) {
  let caught
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught, 'expected an error, got none')
  checkError(caught, fields)
  return caught
}

export async function assertRejectsShipgate(promise, fields) {
  let caught
  try {
    await promise
  } catch (err) {
    caught = err
  }
  assert.ok(caught, 'expected a rejection, got a value')
  checkError(caught, fields)
  return caught
}

function checkError(err, fields) {
  assert.ok(err instanceof Error, `expected an Error, got ${err}`)
  for (const [key, want] of Object.entries(fields)) {
    if (want instanceof RegExp) {
      assert.match(String(err[key]), want, `err.${key}`)
    } else {
      assert.deepEqual(err[key], want, `err.${key} of ${err.message}`)
    }
  }
}

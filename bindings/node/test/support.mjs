// Shared by the tests: paths, fixtures, and assertions on shipgate's errors.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..')
export const repoRoot = join(pkgDir, '..', '..')
export const policiesDir = join(repoRoot, 'policies')

/** The addon itself (same instance as the package's), for the debug-only test hooks. */
export const addon = createRequire(import.meta.url)(
  process.env.SHIPGATE_NODE_ADDON || join(pkgDir, 'shipgate.node'),
)

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

/** A change approved in `cab`: a policy deciding it must know that group (name it). */
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

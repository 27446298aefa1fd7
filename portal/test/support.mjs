// Shared by the API tests: a portal over the example set with a fixed "now", and helpers to
// call it and to check the contract's error answers.
import assert from 'node:assert/strict'

import { buildServer } from '../server.mjs'

/** The instant the README's examples decide at. */
export const NOW = '2026-12-18T09:00:00Z'

export function portal(options = {}) {
  return buildServer({ now: NOW, ...options })
}

/** A JSON request; `payload` (an object or raw text) is sent as application/json. */
export async function call(app, method, url, payload, headers = {}) {
  const res = await app.inject({
    method,
    url,
    payload: typeof payload === 'string' || payload === undefined ? payload : JSON.stringify(payload),
    headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
  })
  let body
  if ((res.headers['content-type'] ?? '').startsWith('application/json')) body = res.json()
  return { status: res.statusCode, type: res.headers['content-type'], body, text: res.body }
}

/** Asserts the contract's error answer: status, code, a message, and the path when given. */
export function assertError(res, status, code, path) {
  assert.equal(res.status, status, res.text)
  assert.ok(res.body?.error, `not an error body: ${res.text}`)
  assert.equal(res.body.error.code, code, res.text)
  assert.equal(typeof res.body.error.message, 'string')
  assert.ok(res.body.error.message.length > 0)
  if (path !== undefined) assert.equal(res.body.error.path, path, res.text)
}

/** The example change read through the API. */
export async function example(app, id) {
  const res = await call(app, 'GET', `/api/examples/${id}`)
  assert.equal(res.status, 200, res.text)
  return res.body
}

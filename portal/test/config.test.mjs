// Configuration: what the environment changes, and a configuration that cannot load stopping
// the server with a message and exit code 2 (never a stack trace, never a half-started server).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { ConfigError, listenFromEnv, optionsFromEnv } from '../src/config.mjs'
import { call, portal } from './support.mjs'

const portalDir = join(dirname(fileURLToPath(import.meta.url)), '..')

function start(env) {
  return spawnSync(process.execPath, ['server.mjs'], {
    cwd: portalDir,
    env: { ...process.env, PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  })
}

test('the SHIPGATE_* variables are the options, unset and empty ones left out', () => {
  assert.deepEqual(
    optionsFromEnv({ SHIPGATE_POLICY: 'p', SHIPGATE_NOW: '2026-12-18T09:00:00Z', SHIPGATE_TRAIN: '', OTHER: 'x' }),
    { policy: 'p', now: '2026-12-18T09:00:00Z' },
  )
  assert.deepEqual(listenFromEnv({}), { port: 8080, host: '127.0.0.1' })
  assert.deepEqual(listenFromEnv({ PORT: '9000', HOST: '0.0.0.0' }), { port: 9000, host: '0.0.0.0' })
  assert.throws(() => listenFromEnv({ PORT: '80a' }), ConfigError)
  assert.throws(() => listenFromEnv({ PORT: '70000' }), ConfigError)
})

test('each path option changes what is served (relative to the repository root)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portal-config-'))
  writeFileSync(join(dir, 'policy.gate'), 'tiers low, high\nrule two_eyes { deny when change.requester == change.implementer }\n')
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ services: [{ id: 'api', tier: 1 }] }))
  const changes = join(dir, 'changes')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(changes)
  const change = { id: 'X-1', title: 'Solo', services: ['api'], requester: 'ana', implementer: 'ana', start: '2026-12-01T10:00:00Z', duration: '1h' }
  writeFileSync(join(changes, 'x-1.json'), JSON.stringify(change))
  writeFileSync(join(dir, 'train.json'), JSON.stringify([change]))
  const app = portal({
    policy: join(dir, 'policy.gate'),
    catalog: join(dir, 'catalog.json'),
    changes,
    train: join(dir, 'train.json'),
    history: 'policies/history/deployments.csv',
    now: '2026-11-30T00:00:00Z',
  })
  try {
    const meta = await call(app, 'GET', '/api/meta')
    assert.deepEqual(meta.body.regions, [])
    assert.deepEqual(meta.body.services, [{ id: 'api', team: null, tier: 1, regions: [] }])
    assert.deepEqual(meta.body.examples, [{ id: 'X-1', title: 'Solo', file: 'x-1.json' }])
    assert.equal(meta.body.now, '2026-11-30T00:00:00Z')
    const check = await call(app, 'POST', '/api/check', { change })
    assert.equal(check.body.decision.verdict, 'deny')
    assert.deepEqual(check.body.decision.reasons.map((r) => r.rule), ['two_eyes'])
    const train = await call(app, 'GET', '/api/train')
    assert.deepEqual(train.body.changes, [change])
    const metrics = await call(app, 'GET', '/api/metrics')
    assert.equal(metrics.body.deployments, 42)
  } finally {
    await app.close()
  }
})

test('a policy that does not compile stops the server with the diagnostic and exit code 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portal-bad-'))
  writeFileSync(join(dir, 'bad.gate'), 'rule r {\n  deny when change.sise > 3\n}\n')
  const res = start({ SHIPGATE_POLICY: dir })
  assert.equal(res.status, 2, res.stderr)
  assert.match(res.stderr, /^shipgate portal: cannot load the policy set/)
  assert.match(res.stderr, /bad\.gate:2:20/)
  assert.match(res.stderr, /did you mean `size`\?/)
  assert.doesNotMatch(res.stderr, /\n\s+at /) // no stack trace
})

test('a missing file, a bad now or a bad port stops the server with a message', () => {
  for (const [env, message] of [
    [{ SHIPGATE_CATALOG: 'policies/nothing.yaml' }, /cannot load the catalog/],
    [{ SHIPGATE_CHANGES: 'policies/nothing' }, /cannot load the example changes/],
    [{ SHIPGATE_HISTORY: 'policies/nothing.jsonl' }, /cannot load the deployment history/],
    [{ SHIPGATE_NOW: 'tomorrow' }, /SHIPGATE_NOW must be an RFC 3339 instant/],
    [{ PORT: 'eighty' }, /PORT must be a port number/],
  ]) {
    const res = start(env)
    assert.equal(res.status, 2, `${JSON.stringify(env)}: ${res.stderr}`)
    assert.match(res.stderr, message)
    assert.doesNotMatch(res.stderr, /\n\s+at /)
  }
})

test('buildServer throws a ConfigError for a catalog the engine refuses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portal-catalog-'))
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ services: [{ id: 'a', tier: 0, depends_on: ['b'] }] }))
  assert.throws(() => portal({ catalog: join(dir, 'catalog.json') }), (err) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /cannot load the catalog/)
    assert.match(err.message, /depends_on/)
    return true
  })
})

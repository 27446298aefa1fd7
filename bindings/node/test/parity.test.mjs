// The binding decides exactly as `shipgate check --format json` does, for every change of the
// example policy set and every case of the corpus.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, test } from 'node:test'

import { Catalog, Change, Engine } from 'shipgate'
import { repoRoot } from './support.mjs'

const exe = process.platform === 'win32' ? 'shipgate.exe' : 'shipgate'
const cli = resolve(process.env.SHIPGATE_BIN || join(repoRoot, 'target', 'debug', exe))

// Policies are named by paths relative to the repository root, as in the corpus's expected
// decisions (`at` locations carry the path the policy was loaded from). Each test file runs
// in its own process, so changing folder here affects no other file.
process.chdir(repoRoot)
const policiesDir = 'policies'
const casesDir = join('tests', 'cases')

/** Runs `shipgate check`; returns the decision, or the error text for exit code 3. */
function check({ policy, catalog, change, now, explain }) {
  const args = ['check', '--policy', policy, '--catalog', catalog, '--change', change, '--now', now, '--format', 'json']
  if (explain) args.push('--explain')
  const run = spawnSync(cli, args, { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  if (run.error) throw run.error
  if (run.status === 3) return { error: run.stderr }
  assert.ok([0, 1, 2].includes(run.status), `exit ${run.status}: ${run.stderr}`)
  const decision = JSON.parse(run.stdout)
  assert.equal(run.status, { allow: 0, deny: 1, pending: 2 }[decision.verdict], 'exit code matches the verdict')
  // The compact text too: unlike deepEqual, comparing it checks the order of keys.
  return { decision, text: run.stdout.trimEnd(), json: JSON.stringify(decision) }
}

/**
 * The binding's outcome for the same inputs, in the same shape: the decision's plain form, and
 * its text. Every way of reading the decision must agree with the plain form: each getter, and
 * `JSON.stringify` (through `toJSON`).
 */
function evaluate(engine, change, catalog, options) {
  try {
    const d = engine.evaluate(change, catalog, options)
    const decision = d.toObject()
    assert.deepEqual(JSON.parse(JSON.stringify(d)), decision)
    assert.equal(JSON.stringify(d), JSON.stringify(decision))
    for (const key of Object.keys(decision)) {
      assert.equal(JSON.stringify(d[key]), JSON.stringify(decision[key]), key)
    }
    return { decision, text: d.toJSONText(), json: JSON.stringify(d) }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    assert.ok(['POLICY_ERROR', 'INPUT_ERROR'].includes(err.code), `${err.code}: ${err.message}`)
    return { error: err.diagnostics ?? err.message }
  }
}

test('the shipgate CLI is built', () => {
  assert.ok(existsSync(cli), `${cli} is missing: run \`cargo build --workspace\` or set SHIPGATE_BIN`)
})

describe('policies/: every example change', { skip: !existsSync(cli) }, () => {
  const policy = join(policiesDir, 'payments')
  const catalogFile = join(policiesDir, 'catalog.yaml')
  const now = '2026-12-01T09:00:00Z'
  const engine = Engine.fromPath(policy)
  const catalog = Catalog.fromPath(catalogFile)
  const files = readdirSync(join(policiesDir, 'changes')).sort()

  test('there are example changes', () => assert.ok(files.length >= 5, files.join(', ')))

  for (const file of files) {
    const changeFile = join(policiesDir, 'changes', file)
    test(file, () => {
      const want = check({ policy, catalog: catalogFile, change: changeFile, now })
      assert.ok(want.decision, `the CLI failed: ${want.error}`)
      // The file read by the engine, as the CLI reads it...
      assert.deepEqual(evaluate(engine, Change.fromPath(changeFile), catalog, { now }), want)
      assert.deepEqual(evaluate(engine, Change.fromPath(changeFile), catalog, { now, explain: true }).decision.verdict, want.decision.verdict)
      // ...and, for JSON, the parsed object with a Date for `now`, as a portal would pass it.
      if (file.endsWith('.json')) {
        const object = JSON.parse(readFileSync(changeFile, 'utf8'))
        assert.deepEqual(evaluate(engine, object, catalog, { now: new Date(now) }), want)
      }
    })
  }
})

describe('tests/cases/: every case with a change', { skip: !existsSync(cli) }, () => {
  const cases = readdirSync(casesDir)
    .filter((name) => statSync(join(casesDir, name)).isDirectory())
    .sort()

  for (const name of cases) {
    const dir = join(casesDir, name)
    const changeFile = join(dir, 'change.json')
    const skip = !existsSync(changeFile) && 'a policy-only case (see the next suite)'
    test(name, { skip }, () => {
      const settings = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
      const now = settings.now
      const explain = Boolean(settings.explain)
      const catalogFile = join(dir, 'catalog.json')
      const want = check({ policy: dir, catalog: catalogFile, change: changeFile, now, explain })

      let got
      try {
        const engine = Engine.fromPath(dir)
        const catalog = new Catalog(JSON.parse(readFileSync(catalogFile, 'utf8')))
        got = evaluate(engine, JSON.parse(readFileSync(changeFile, 'utf8')), catalog, { now, explain })
      } catch (err) {
        assert.ok(['POLICY_ERROR', 'INPUT_ERROR'].includes(err.code), `${err.code}: ${err.message}`)
        got = { error: err.diagnostics ?? err.message }
      }

      const expectedError = join(dir, 'expected_error.txt')
      if (existsSync(expectedError)) {
        assert.ok(got.error, `expected an error, got a decision: ${JSON.stringify(got.decision)}`)
        assert.ok(want.error, 'the CLI must fail too')
        for (const line of readFileSync(expectedError, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)) {
          assert.ok(got.error.includes(line), `the error lacks ${JSON.stringify(line)}:\n${got.error}`)
        }
        return
      }
      assert.ok(want.decision, `the CLI failed: ${want.error}`)
      assert.deepEqual(got, want)
      const expected = join(dir, 'expected.json')
      if (existsSync(expected)) {
        assert.deepEqual(got.decision, JSON.parse(readFileSync(expected, 'utf8')))
      }
    })
  }
})

describe('tests/cases/: every policy-only case compiles, or fails, as `shipgate validate` does', { skip: !existsSync(cli) }, () => {
  const cases = readdirSync(casesDir)
    .filter((name) => statSync(join(casesDir, name)).isDirectory())
    .filter((name) => !existsSync(join(casesDir, name, 'change.json')))
    .sort()

  for (const name of cases) {
    const dir = join(casesDir, name)
    test(name, () => {
      const run = spawnSync(cli, ['validate', '--policy', dir], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      })
      const expectedError = join(dir, 'expected_error.txt')
      if (!existsSync(expectedError)) {
        assert.equal(run.status, 0, run.stderr)
        assert.ok(Engine.fromPath(dir) instanceof Engine)
        return
      }
      assert.equal(run.status, 3, 'the CLI rejects the policy')
      let err
      try {
        Engine.fromPath(dir)
      } catch (e) {
        err = e
      }
      assert.ok(err, 'expected a POLICY_ERROR')
      assert.equal(err.code, 'POLICY_ERROR', err.message)
      const want = readFileSync(expectedError, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)
      for (const line of want) {
        assert.ok(err.diagnostics.includes(line), `the diagnostics lack ${JSON.stringify(line)}:\n${err.diagnostics}`)
      }
      // The location fields are those of the first error: the first `file:line:col` listed
      // (after the `┌─ ` of the rendering).
      const at = want.map((l) => l.match(/^(?:┌─ )?(.+\.gate):(\d+):(\d+)$/)).find(Boolean)
      if (at) {
        assert.ok(err.path.endsWith(at[1]), `${err.path} is not ${at[1]}`)
        assert.deepEqual([err.line, err.column], [Number(at[2]), Number(at[3])])
        assert.ok(err.message.startsWith(`${err.path}:${err.line}:${err.column}: `), err.message)
      }
      assert.ok(run.stderr.includes(err.diagnostics.trim()), `the CLI renders the same diagnostics:\n${run.stderr}`)
    })
  }
})

describe('a decision identifies itself: the same policy and inputs as the CLI and the files', { skip: !existsSync(cli) }, () => {
  /** The policy digest by hand (docs/semantics.md): name NUL length NUL bytes, names sorted. */
  function policyDigest(files) {
    const hash = createHash('sha256')
    const names = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const name of names) {
      hash.update(Buffer.concat([Buffer.from(`${name}\0${files[name].length}\0`), files[name]]))
    }
    return `sha256:${hash.digest('hex')}`
  }

  const dir = join(casesDir, 'identity-keys')
  const settings = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
  const want = check({
    policy: dir,
    catalog: join(dir, 'catalog.json'),
    change: join(dir, 'change.json'),
    now: settings.now,
  }).decision

  test('the policy digest is that of the files', () => {
    const files = {
      'policy.gate': readFileSync(join(dir, 'policy.gate')),
      'calendars/holidays.ics': readFileSync(join(dir, 'calendars', 'holidays.ics')),
    }
    const d = Engine.fromPath(dir).evaluate(Change.fromPath(join(dir, 'change.json')), Catalog.fromPath(join(dir, 'catalog.json')), { now: settings.now })
    assert.equal(d.policy, policyDigest(files))
    assert.equal(d.policy, want.policy)
  })

  test('the inputs digest is the same from files, objects, and objects with keys reordered', () => {
    const engine = Engine.fromPath(dir)
    const catalogObject = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8'))
    const changeObject = JSON.parse(readFileSync(join(dir, 'change.json'), 'utf8'))
    const reversed = Object.fromEntries(Object.entries(changeObject).reverse())
    const fromFiles = engine.evaluate(Change.fromPath(join(dir, 'change.json')), Catalog.fromPath(join(dir, 'catalog.json')), { now: settings.now })
    const fromObjects = engine.evaluate(reversed, new Catalog(catalogObject), { now: settings.now })
    assert.equal(fromFiles.inputs, want.inputs)
    assert.equal(fromObjects.inputs, want.inputs)
    assert.match(fromFiles.inputs, /^sha256:[0-9a-f]{64}$/)
    assert.deepEqual([fromFiles.change, fromFiles.now, fromFiles.engine], [want.change, want.now, want.engine])
    // Any value changed: another digest.
    const other = engine.evaluate({ ...changeObject, size: 3 }, new Catalog(catalogObject), { now: settings.now })
    assert.notEqual(other.inputs, want.inputs)
  })
})

test('a check object (its `at` a Date) and the catalog groups pass through as the CLI reads them', { skip: !existsSync(cli) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-'))
  writeFileSync(
    join(dir, 'policy.gate'),
    'groups cab\nrule cab_review {\n  require approval "cab" count 2\n  require check "rollback-rehearsal" within 30d\n}\n',
  )
  const catalog = { services: [{ id: 'api', tier: 1 }], groups: { cab: ['ana', 'eve'] } }
  const change = {
    id: 'CHG-1', services: ['api'], requester: 'bob', implementer: 'chen',
    start: '2026-12-01T10:00:00Z', duration: '1h',
    approvals: [
      { by: 'ana', group: 'cab', at: '2026-12-01T08:00:00Z' },
      { by: 'erik', group: 'cab', at: '2026-12-01T08:00:00Z' },
    ],
    checks: [
      'unit',
      { name: 'rollback-rehearsal', status: 'failed', at: '2026-11-30T10:00:00Z' },
      { name: 'rollback-rehearsal', status: 'passed', at: new Date('2026-11-20T10:00:00Z'), url: 'https://ci.example/runs/7' },
    ],
  }
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog))
  writeFileSync(join(dir, 'change.json'), JSON.stringify(change))
  const now = '2026-12-01T09:00:00Z'
  const want = check({ policy: dir, catalog: join(dir, 'catalog.json'), change: join(dir, 'change.json'), now })
  assert.ok(want.decision, `the CLI failed: ${want.error}`)
  const got = evaluate(Engine.fromPath(dir), change, new Catalog(catalog), { now })
  assert.deepEqual(got, want)
  const [cab, rehearsal] = got.decision.requirements
  assert.deepEqual(cab.ignored, [{ by: 'erik', why: 'not a member of cab' }])
  assert.equal(rehearsal.within, '30d')
  assert.equal(rehearsal.satisfied, true)
  assert.deepEqual(rehearsal.ignored, [{ by: 'rollback-rehearsal', why: 'failed' }])
})

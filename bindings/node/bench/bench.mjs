// Benchmark (not a test): per-call `evaluate` time and `evaluateMany` throughput on the example
// policy set, for the decision `cargo run --release -p shipgate-python --example rust_baseline`
// times in Rust (change CHG-1043 at 2026-12-01T09:00:00Z), so the binding's overhead is the
// difference. Build the optimised addon first:
//
//   npm run build && npm run bench            (from bindings/node)
//
// A decision builds its parts when they are read, so the per-call figures say what is read:
// `.verdict` (the usual question, and the honest cost of a call), or everything (`toObject()`).
//
// Options: --calls N (default 100000), --batch N (default 100000).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Catalog, Change, Engine } from 'shipgate'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const CALLS = arg('--calls', 100_000)
const BATCH = arg('--batch', 100_000)

const pkgDir = join(fileURLToPath(import.meta.url), '..', '..')
const repo = join(pkgDir, '..', '..')
const addon = createRequire(import.meta.url)(process.env.SHIPGATE_NODE_ADDON || join(pkgDir, 'shipgate.node'))
if (addon.__panicForTests) {
  console.warn('warning: this is a debug build; run `npm run build` for representative numbers\n')
}

const engine = Engine.fromPath(join(repo, 'policies', 'payments'))
const catalog = Catalog.fromPath(join(repo, 'policies', 'catalog.yaml'))
const changeFile = join(repo, 'policies', 'changes', 'chg-1043-ledger-migration.json')
const object = JSON.parse(readFileSync(changeFile, 'utf8'))
const prepared = new Change(object)
const now = new Date('2026-12-01T09:00:00Z')
const options = { now }

/**
 * Runs `fn` `n` times after a warm-up; returns microseconds per call, best of 3 rounds, as
 * wall-clock time and as this process's CPU time (steadier on a machine shared with other work).
 */
function perCall(n, fn) {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn()
  let wall = Infinity
  let cpu = Infinity
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint()
    const used = process.cpuUsage()
    for (let i = 0; i < n; i++) fn()
    const spent = process.cpuUsage(used)
    wall = Math.min(wall, Number(process.hrtime.bigint() - start) / 1e3 / n)
    cpu = Math.min(cpu, (spent.user + spent.system) / n)
  }
  return `${wall.toFixed(2)} us/call (cpu ${cpu.toFixed(2)} us)`
}

/** Runs an (async) batch once; returns wall-clock ms and CPU ms of all threads. */
async function timed(fn) {
  const start = process.hrtime.bigint()
  const used = process.cpuUsage()
  const result = await fn()
  const spent = process.cpuUsage(used)
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (spent.user + spent.system) / 1e3 }
}

const rate = (n, { ms, cpuMs }) =>
  `${ms.toFixed(0)} ms = ${Math.round(n / (ms / 1000))} changes/s (cpu ${cpuMs.toFixed(0)} ms)`

const report = (what, value) => console.log(`${what.padEnd(50)} ${value}`)

console.log(`node ${process.version}, ${availableParallelism()} cores, policy policies/payments, change CHG-1043\n`)

// Every closure returns what it read, and `sink` keeps it, so nothing is optimised away.
let sink
const keep = (value) => {
  sink = value
}

report('evaluate + .verdict, prepared Change', perCall(CALLS, () => keep(engine.evaluate(prepared, catalog, options).verdict)))
report('evaluate + .verdict, {now: string}', perCall(CALLS, () => keep(engine.evaluate(prepared, catalog, { now: '2026-12-01T09:00:00Z' }).verdict)))
report('evaluate + .verdict, no options', perCall(CALLS, () => keep(engine.evaluate(prepared, catalog).verdict)))
report('evaluate + .verdict + .reasons', perCall(CALLS, () => {
  const d = engine.evaluate(prepared, catalog, options)
  keep(d.verdict === 'deny' ? d.reasons : d.requirements)
}))
report('evaluate + toObject() (everything)', perCall(CALLS, () => keep(engine.evaluate(prepared, catalog, options).toObject())))
report('evaluate + JSON.stringify(decision)', perCall(CALLS, () => keep(JSON.stringify(engine.evaluate(prepared, catalog, options)))))
report('evaluate + toJSONText()', perCall(CALLS, () => keep(engine.evaluate(prepared, catalog, options).toJSONText())))
report('evaluate + .verdict, plain object', perCall(CALLS, () => keep(engine.evaluate(object, catalog, options).verdict)))
report('new Change(object)', perCall(CALLS, () => keep(new Change(object))))
if (sink === undefined) throw new Error('nothing was read')

const many = Array.from({ length: BATCH }, (_, i) => new Change({ ...object, id: `CHG-${i}` }))
const manyObjects = Array.from({ length: BATCH }, (_, i) => ({ ...object, id: `CHG-${i}` }))
for (const [what, list] of [['prepared', many], ['plain objects', manyObjects]]) {
  engine.evaluateMany(list.slice(0, 1000), catalog, options)
  const run = await timed(() => engine.evaluateMany(list, catalog, options).map((d) => d.verdict))
  if (run.result.length !== list.length) throw new Error('lost decisions')
  report(`evaluateMany + .verdict, ${BATCH} changes, ${what}`, rate(BATCH, run))
}
{
  const run = await timed(() => engine.evaluateMany(many, catalog, options).map((d) => d.toObject()))
  if (run.result.length !== many.length) throw new Error('lost decisions')
  report(`evaluateMany + toObject(), ${BATCH} changes, prepared`, rate(BATCH, run))
}

{
  const run = await timed(async () => (await engine.evaluateManyAsync(many, catalog, options)).map((d) => d.verdict))
  if (run.result.length !== many.length) throw new Error('lost decisions')
  report(`evaluateManyAsync, ${BATCH} changes, prepared`, rate(BATCH, run))
}

{
  const n = Math.min(BATCH, 10_000)
  const run = await timed(() => Promise.all(many.slice(0, n).map(async (c) => (await engine.evaluateAsync(c, catalog, options)).verdict)))
  report(`evaluateAsync, ${n} concurrent calls, prepared`, rate(n, run))
}

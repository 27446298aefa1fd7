// The portal's load test: requests per second and latency of "check a change" (POST
// /api/check with the example change CHG-1043) against `node server.mjs` on localhost, then a
// run that interleaves malformed bodies with good ones, then /api/health must still answer.
//
//   npm run load                          3 runs of 10 s each, sync and async evaluation
//   npm run load -- --seconds 5 --runs 1  shorter
//   npm run load -- --mode sync           one evaluation mode only (sync | async)
//
// The server runs in a child process (its own event loop and core), autocannon in this one.
// Build the binding in release mode first (`npm run build` in bindings/node) for figures that
// mean anything; the output says which addon was loaded.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import autocannon from 'autocannon'

const here = dirname(fileURLToPath(import.meta.url))
const portalDir = join(here, '..')
const repoRoot = join(portalDir, '..')

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    mode: { type: 'string', default: 'both' },
  },
})
const seconds = Number(values.seconds)
const runs = Number(values.runs)
const connections = Number(values.connections)
const modes = values.mode === 'both' ? ['sync', 'async'] : [values.mode]
for (const [name, n] of [['seconds', seconds], ['runs', runs], ['connections', connections]]) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`)
}
for (const m of modes) if (!['sync', 'async'].includes(m)) throw new Error(`--mode must be sync, async or both, not ${m}`)

const change = JSON.parse(readFileSync(join(repoRoot, 'policies/changes/chg-1043-ledger-migration.json'), 'utf8'))
const good = JSON.stringify({ change, now: '2026-12-18T09:00:00Z' })
// Malformed in every way the API refuses: broken JSON, a wrong type, an unknown key, a change
// the engine cannot read.
const bad = [
  '{"change": {',
  JSON.stringify({ change: 'CHG-1043' }),
  JSON.stringify({ change, explian: true }),
  JSON.stringify({ change: { ...change, start: 'soon' } }),
]

/** Starts `node server.mjs` on a free port; resolves with its URL and the child. */
async function startServer(mode) {
  const child = spawn(process.execPath, [join(portalDir, 'bench', 'serve.mjs')], {
    cwd: portalDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHIPGATE_CHECK_ASYNC: mode === 'async' ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8')
  for await (const chunk of child.stdout) {
    out += chunk
    const match = out.match(/listening on (http:\/\/\S+)/)
    if (match) return { url: match[1], child }
  }
  throw new Error(`the server exited before listening: ${out}`)
}

async function stop(child) {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

function run(url, requests) {
  return autocannon({ url: `${url}/api/check`, connections, duration: seconds, requests })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const summary = (xs) => `median ${median(xs)} (range ${Math.min(...xs)}-${Math.max(...xs)})`

console.log(`load test: POST /api/check (CHG-1043), ${connections} connections, ${seconds} s, ${runs} run(s); node ${process.version}`)
for (const mode of modes) {
  const { url, child } = await startServer(mode)
  try {
    const rps = []
    const p50 = []
    const p99 = []
    for (let i = 0; i < runs; i++) {
      const r = await run(url, [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: good }])
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${mode}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
      rps.push(Math.round(r.requests.average))
      p50.push(r.latency.p50)
      p99.push(r.latency.p99)
      console.log(`  ${mode} run ${i + 1}: ${Math.round(r.requests.average)} req/s, latency p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`)
    }
    console.log(`${mode}: req/s ${summary(rps)}; p50 ms ${summary(p50)}; p99 ms ${summary(p99)}`)

    // Malformed bodies interleaved with good ones: each bad one must be a 4xx, never a 5xx
    // or a dropped connection, and the server must stay up.
    const requests = [
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: good },
      ...bad.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })),
    ]
    const mixed = await autocannon({ url: `${url}/api/check`, connections, duration: seconds, requests })
    const fives = mixed['5xx'] ?? 0
    console.log(
      `${mode} mixed (1 good : ${bad.length} malformed): ${Math.round(mixed.requests.average)} req/s, ` +
        `2xx ${mixed['2xx']}, 4xx ${mixed['4xx']}, 5xx ${fives}, errors ${mixed.errors}, timeouts ${mixed.timeouts}`,
    )
    if (fives > 0 || mixed.errors > 0) throw new Error(`${mode}: malformed input gave 5xx answers or errors`)
    const health = await fetch(`${url}/api/health`)
    if (health.status !== 200 || (await health.json()).ok !== true) throw new Error('/api/health did not answer after the mixed run')
    console.log(`${mode}: /api/health answers 200 after the mixed run`)
  } finally {
    await stop(child)
  }
}

// Mermaid's own parser (the `mermaid` npm package, over a jsdom document) reads every chart of
// cases.mjs: the charts shipgate writes parse, with the bars, nodes and edges shipgate meant,
// and a broken chart is rejected. Run by ./scripts/test; `npm test` here runs it alone.
//
// The shipgate binary is $SHIPGATE_BIN, or built here with `cargo build -p shipgate-cli`.

// A zone far from UTC, with a 45-minute offset: a chart whose times Mermaid read as local
// dates would put its bars elsewhere, and the comparison with the plan's JSON would fail.
// (Node reads TZ when it is set, before any date is made.)
process.env.TZ = 'Pacific/Chatham'

const { test } = await import('node:test')
const assert = (await import('node:assert/strict')).default
const { execFileSync, spawnSync } = await import('node:child_process')
const { mkdtempSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join, resolve } = await import('node:path')
const { JSDOM } = await import('jsdom')
const { cases, hostileInputs } = await import('./cases.mjs')
const { drawn, oneLine } = await import('./text.mjs')

const ROOT = resolve(import.meta.dirname, '../..')

// Mermaid expects a browser: give it jsdom's window and document before it loads.
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true })
globalThis.window = dom.window
globalThis.document = dom.window.document
const { default: mermaid } = await import('mermaid')
mermaid.initialize({ startOnLoad: false })

function shipgateBinary () {
  if (process.env.SHIPGATE_BIN) return process.env.SHIPGATE_BIN
  execFileSync('cargo', ['build', '-q', '-p', 'shipgate-cli'], { cwd: ROOT, stdio: 'inherit' })
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 }))
  return join(meta.target_directory, 'debug', 'shipgate')
}
const BIN = shipgateBinary()
const DIR = mkdtempSync(join(tmpdir(), 'shipgate-mermaid-'))
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }))
hostileInputs(DIR)

/// Runs shipgate; its standard output, after checking the exit code.
function shipgate (argv, exit) {
  const r = spawnSync(BIN, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  assert.equal(r.status, exit, `shipgate ${argv.join(' ')}: exit ${r.status}\n${r.stderr}`)
  return r.stdout
}

/// The same command with `--format json` (and without `--sections`).
function asJson (argv) {
  const out = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sections') i++
    else if (argv[i] === '--format') { out.push('--format', 'json'); i++ } else out.push(argv[i])
  }
  return out
}

/// A Gantt chart of `shipgate plan`: every bar, with its section, name, start and end, is a run
/// of the plan's JSON; every unschedulable change is a comment; the title counts both.
function checkPlan (diagram, text, argv, exit) {
  const plan = JSON.parse(shipgate(asJson(argv), exit))
  const byRegion = argv.includes('--sections') && argv[argv.indexOf('--sections') + 1] === 'region'
  const expected = plan.changes.flatMap((run) => {
    let name = run.id
    if (run.region !== undefined) name += ` in ${run.region}`
    if (run.services.length > 0) name += ` (${run.services.join(', ')})`
    const sections = !byRegion ? [`wave ${run.wave}`]
      : run.region !== undefined ? [run.region]
        : run.regions.length > 0 ? run.regions : ['no region']
    return sections.map((section) => ({
      section, name: oneLine(name).trimEnd(), start: Date.parse(run.start), end: Date.parse(run.end),
    }))
  })
  const parsed = diagram.db.getTasks().map((t) => ({
    section: drawn(t.section),
    name: drawn(t.task).trimEnd(),
    start: t.startTime.getTime(),
    end: t.endTime.getTime(),
  }))
  const key = (b) => JSON.stringify([b.section, b.start, b.name])
  const sorted = (bars) => [...bars].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
  assert.deepEqual(sorted(parsed), sorted(expected))
  assert.equal(drawn(diagram.db.getDiagramTitle()),
    `Release train, ${plan.changes.length} planned, ${plan.unschedulable.length} unschedulable`)
  for (const u of plan.unschedulable) {
    assert.ok(text.includes(`\n  %% unschedulable ${oneLine(u.id)}: ${oneLine(u.reason)}\n`), u.id)
  }
}

/// A flowchart of `shipgate graph`: one node per service, labelled with its id and tier, and
/// one edge per dependency, as in the graph's JSON.
function checkGraph (diagram, argv, exit) {
  const graph = JSON.parse(shipgate(asJson(argv), exit))
  const vertices = diagram.db.getVertices()
  const nodes = [...(vertices instanceof Map ? vertices.values() : Object.values(vertices))]
  assert.deepEqual(
    nodes.map((v) => [v.id, drawn(v.text)]),
    graph.services.map((s, i) => [`s${i}`, `${oneLine(s)} (tier ${graph.tiers[s]})`]))
  const index = new Map(graph.services.map((s, i) => [s, `s${i}`]))
  assert.deepEqual(
    diagram.db.getEdges().map((e) => [e.start, e.end]),
    graph.edges.map(([from, to]) => [index.get(from), index.get(to)]))
}

for (const c of cases) {
  test(c.name, async () => {
    if (c.rejects !== undefined) {
      await assert.rejects(mermaid.parse(c.text), c.rejects)
      return
    }
    const argv = typeof c.argv === 'function' ? c.argv(DIR) : c.argv
    const exit = c.exit ?? 0
    const text = shipgate(argv, exit)
    // `parse` is Mermaid's public check; the diagram gives what it read.
    assert.equal((await mermaid.parse(text)).diagramType, c.type)
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text)
    if (c.type === 'gantt' && argv[0] === 'plan') checkPlan(diagram, text, argv, exit)
    if (c.type === 'flowchart' && argv[0] === 'graph') checkGraph(diagram, argv, exit)
    c.check?.(diagram)
  })
}

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

/// A flowchart of `shipgate graph`, against the graph's JSON (the same command with `--format
/// json`): one node per service (`s0`, labelled with its id and tier) or change (`c0`, with its
/// services), noted when on a cycle or after one; one subgraph per wave with its nodes; one
/// edge per dependency, labelled with why for a train; the nodes of the cycles in the class
/// `cycle`.
function checkGraph (diagram, argv, exit) {
  const graph = JSON.parse(shipgate(asJson(argv), exit))
  const train = graph.changes !== undefined
  const ids = train ? graph.changes : graph.services
  const prefix = train ? 'c' : 's'
  const node = new Map(ids.map((s, i) => [s, `${prefix}${i}`]))
  const onCycle = new Set(graph.cycles.flat())
  const inWave = new Set(graph.waves.flat())
  const note = (id) => onCycle.has(id) ? ', on a cycle' : inWave.has(id) ? '' : ', after a cycle'
  const detail = (id) => train ? `services: ${graph.services[id].join(', ')}` : `tier ${graph.tiers[id]}`
  const vertices = diagram.db.getVertices()
  const nodes = [...(vertices instanceof Map ? vertices.values() : Object.values(vertices))]
  const byId = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  assert.deepEqual(
    nodes.map((v) => [v.id, drawn(v.text)]).sort(byId),
    ids.map((s) => [node.get(s), oneLine(`${s} (${detail(s)}${note(s)})`)]).sort(byId))
  assert.deepEqual(
    nodes.filter((v) => v.classes.includes('cycle')).map((v) => v.id).sort(),
    [...onCycle].map((s) => node.get(s)).sort())
  assert.deepEqual(
    diagram.db.getSubGraphs().map((g) => [drawn(g.title), [...g.nodes].sort()]).sort(byId),
    graph.waves.map((w, k) => [`wave ${k}`, w.map((s) => node.get(s)).sort()]).sort(byId))
  const edges = train
    ? graph.edges.map((e) => [node.get(e.from), node.get(e.to), oneLine(e.because)])
    : graph.edges.map(([from, to]) => [node.get(from), node.get(to), ''])
  assert.deepEqual(
    diagram.db.getEdges().map((e) => [e.start, e.end, drawn(e.text ?? '')]),
    edges)
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
    if (c.type === 'flowchart-v2' && argv[0] === 'graph') checkGraph(diagram, argv, exit)
    c.check?.(diagram)
  })
}

// The charts the Mermaid test parses. Add a chart by adding an entry:
//
//   { name, argv, type, exit?, check? }   a shipgate command whose standard output is a chart
//   { name, text, rejects }               a chart written here, which Mermaid must reject
//
// `argv` is the command's arguments (run from the repository root), or a function of the
// folder of generated inputs (`hostileInputs` below writes them) that returns them. `exit` is
// the expected exit code (default 0). `type` is the diagram type Mermaid must detect (`gantt`;
// `flowchart-v2` for `graph TD`). What is checked of the parsed chart (see parse.test.mjs):
// - a `gantt` of `shipgate plan`: every bar, with its section, name and exact start and end,
//   against the plan's JSON (the same command with `--format json`);
// - a `flowchart-v2` of `shipgate graph`: every node's label and every edge, against the
//   graph's JSON (the same command with `--format json`);
// - `check(diagram)`, when given: anything more, on the diagram Mermaid parsed (its `db`:
//   `getTasks()`, `getSections()` for a gantt; `getVertices()`, `getEdges()` for a flowchart).
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { drawn } from './text.mjs'

const TRAIN = [
  'plan', '--policy', 'policies/payments', '--catalog', 'policies/catalog.yaml',
  '--changes', 'policies/trains/december.yaml', '--from', '2026-12-07T08:00:00Z',
]

/// Ids and names that Mermaid's gantt and flowchart grammars could read as something else:
/// quotes, colons, `#`, `;`, `%%`, spaces, non-ASCII letters, keywords, a date, markup, a line
/// break, a leading space.
export const HOSTILE_IDS = [
  'a"b', 'x:y', '#35;hash', 'semi;colon', 'with space', 'ünïcødé 東京', 'section', 'Title x',
  'click me', 'call f', '%%{init}%%', 'a%%b', '2026-12-01', 'gantt', 'dateFormat YYYY', 'end',
  '<b>b</b>', 'accTitle: t', 'line\nbreak', ' lead', 'graph TD', 'A-->B', '[box]', '{curly}',
]

/// Writes into `dir` a policy with two regions named by keywords, a catalog whose services and
/// a train whose changes carry the ids above (every third a `per_region` rollout over both
/// regions, some depending on the one before), one change that never fits (eleven hours in a
/// ten-hour window), and an empty train.
export function hostileInputs (dir) {
  writeFileSync(join(dir, 'policy.gate'), [
    'calendar office timezone "UTC" { window mon-fri 08:00-18:00 }',
    'region section uses office',
    'region click-here uses office',
    '',
  ].join('\n'))
  const regions = [['section', 'click-here'], ['section'], ['click-here']]
  const services = HOSTILE_IDS.map((id, i) => ({
    id: `s${i} ${id}`, tier: i % 4, regions: regions[i % 3],
    ...(i % 4 === 1 ? { depends_on: [`s${i - 1} ${HOSTILE_IDS[i - 1]}`] } : {}),
  }))
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ services }))
  const change = (id, service, more) => ({
    id, services: [service], requester: 'a', implementer: 'b', duration: '1h', ...more,
  })
  const changes = HOSTILE_IDS.map((id, i) =>
    change(id, services[i].id, i % 3 === 0 ? { rollout: 'per_region' } : {}))
  changes.push(change('too long: #1;', services[2].id, { duration: '11h' }))
  writeFileSync(join(dir, 'changes.json'), JSON.stringify(changes))
  writeFileSync(join(dir, 'empty.json'), '[]')
  // The same train, each change after the next and the last after the first: one cycle.
  const cyclic = changes.map((c, i) => ({ ...c, after: [changes[(i + 1) % changes.length].id] }))
  writeFileSync(join(dir, 'cyclic.json'), JSON.stringify(cyclic))
}

const hostile = (dir, more) => [
  'plan', '--policy', join(dir, 'policy.gate'), '--catalog', join(dir, 'catalog.json'),
  '--from', '2026-12-07T08:00:00Z', '--format', 'mermaid', ...more,
]

export const cases = [
  {
    name: 'the example train, by wave',
    argv: [...TRAIN, '--format', 'mermaid'],
    type: 'gantt',
    exit: 1,
    check: (d) => count(d, 9, ['wave 0', 'wave 1', 'wave 2']),
  },
  {
    name: 'the example train, by region',
    argv: [...TRAIN, '--format', 'mermaid', '--sections', 'region'],
    type: 'gantt',
    exit: 1,
    check: (d) => count(d, 9, ['eu-west', 'us-east']),
  },
  {
    name: 'the example catalog as a graph',
    argv: ['graph', '--catalog', 'policies/catalog.yaml', '--format', 'mermaid'],
    type: 'flowchart-v2',
  },
  {
    name: 'a train of hostile ids, by wave',
    argv: (dir) => hostile(dir, ['--changes', join(dir, 'changes.json')]),
    type: 'gantt',
    exit: 1,
    // Every third change rolls out over both regions: 8 of them give 16 bars, 16 others one.
    check: (d) => count(d, 32, ['wave 0', 'wave 1']),
  },
  {
    name: 'a train of hostile ids, by region',
    argv: (dir) => hostile(dir, ['--changes', join(dir, 'changes.json'), '--sections', 'region']),
    type: 'gantt',
    exit: 1,
    check: (d) => count(d, 32, ['section', 'click-here']),
  },
  {
    name: 'a catalog of hostile ids as a graph',
    argv: (dir) => ['graph', '--catalog', join(dir, 'catalog.json'), '--format', 'mermaid'],
    type: 'flowchart-v2',
  },
  {
    name: 'the example train as a graph',
    argv: ['graph', '--catalog', 'policies/catalog.yaml', '--changes',
      'policies/trains/december.yaml', '--format', 'mermaid'],
    type: 'flowchart-v2',
  },
  {
    name: 'a catalog with a cycle as a graph',
    argv: ['graph', '--catalog', 'tests/graphs/cyclic-catalog.json', '--format', 'mermaid'],
    type: 'flowchart-v2',
    exit: 3,
  },
  {
    name: 'a train of hostile ids as a graph',
    argv: (dir) => ['graph', '--catalog', join(dir, 'catalog.json'), '--changes',
      join(dir, 'changes.json'), '--format', 'mermaid'],
    type: 'flowchart-v2',
  },
  {
    name: 'a train of hostile ids with a cycle as a graph',
    argv: (dir) => ['graph', '--catalog', join(dir, 'catalog.json'), '--changes',
      join(dir, 'cyclic.json'), '--format', 'mermaid'],
    type: 'flowchart-v2',
    exit: 3,
  },
  {
    name: 'an empty plan',
    argv: (dir) => hostile(dir, ['--changes', join(dir, 'empty.json')]),
    type: 'gantt',
    check: (d) => count(d, 0, []),
  },
  {
    name: 'a broken chart: a task without its times',
    text: 'gantt\n  dateFormat x\n  section wave 0\n  CHG-1 (db)\n',
    rejects: /Parse error/,
  },
  {
    // What the escaping of a leading keyword prevents.
    name: 'a broken chart: a task name that starts with a keyword',
    text: 'gantt\n  dateFormat x\n  section wave 0\n  click me (db) :1796630400000, 1796634000000\n',
    rejects: /Parse error/,
  },
]

/// Asserts the number of bars and the sections, in order, of a parsed Gantt chart.
function count (diagram, tasks, sections) {
  assert.equal(diagram.db.getTasks().length, tasks)
  assert.deepEqual(diagram.db.getSections().map(drawn), sections)
}

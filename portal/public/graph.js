// The graph page: draws the catalog's drawing (GET /api/graph?format=json) as SVG, a column per
// wave, an arrow from each service to what it depends on. The waves and cycles are the engine's.
import { el, svg, getJSON } from './api.js';

const section = document.getElementById('graph');
const NODE_W = 180;
const NODE_H = 46;
const COL_GAP = 110;
const ROW_GAP = 22;
const TOP = 40;

/**
 * The drawing (`shipgate graph --format json`: `services`, `tiers`, `edges` as [service,
 * dependency], `waves`, `cycles`) as nodes with their tier and wave (none when on or after a
 * cycle).
 */
function normalise(d) {
  const waveOf = new Map();
  d.waves.forEach((ids, i) => ids.forEach((id) => waveOf.set(id, i)));
  const nodes = d.services.map((id) => ({ id, tier: d.tiers[id], wave: waveOf.get(id) }));
  return { nodes, edges: d.edges, waves: d.waves, cycles: d.cycles };
}

function draw(drawing) {
  const { nodes, edges, cycles } = normalise(drawing);
  const onCycle = new Set(cycles.flat());
  const columns = new Map();
  for (const n of nodes) {
    const key = n.wave === undefined ? Infinity : n.wave;
    if (!columns.has(key)) columns.set(key, []);
    columns.get(key).push(n);
  }
  const keys = [...columns.keys()].sort((a, b) => a - b);
  const pos = new Map();
  keys.forEach((k, c) => columns.get(k).forEach((n, r) => {
    pos.set(n.id, { x: 20 + c * (NODE_W + COL_GAP), y: TOP + r * (NODE_H + ROW_GAP) });
  }));
  const rows = Math.max(...keys.map((k) => columns.get(k).length));
  const width = 40 + keys.length * NODE_W + (keys.length - 1) * COL_GAP;
  const height = TOP + rows * (NODE_H + ROW_GAP) + 10;
  const root = svg('svg', { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': 'graph-title graph-desc' });
  root.append(svg('title', { id: 'graph-title' }, `Service dependency graph in ${keys.length} waves`));
  root.append(svg('desc', { id: 'graph-desc' }, keys.map((k) =>
    `${k === Infinity ? 'no wave (on or after a cycle)' : `wave ${k}`}: ${columns.get(k).map((n) => `${n.id} (tier ${n.tier})`).join(', ')}`).join('. ')));
  root.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#57606a' }))));
  keys.forEach((k, c) => root.append(svg('text', { class: 'wave-label', x: 20 + c * (NODE_W + COL_GAP), y: 22 },
    k === Infinity ? 'no wave (on or after a cycle)' : `wave ${k}`)));
  for (const [from, to] of edges) {
    const a = pos.get(from);
    const b = pos.get(to);
    if (!a || !b) continue;
    const cycle = onCycle.has(from) && onCycle.has(to);
    let d;
    if (a.x > b.x) { // the usual case: the dependency is in an earlier wave, to the left
      const x1 = a.x; const y1 = a.y + NODE_H / 2; const x2 = b.x + NODE_W; const y2 = b.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    } else { // same column or later (only on or after a cycle): bend around the right side
      const x1 = a.x + NODE_W; const y1 = a.y + NODE_H / 2; const x2 = b.x + NODE_W; const y2 = b.y + NODE_H / 2;
      d = `M${x1},${y1} C${x1 + 60},${y1} ${x2 + 60},${y2} ${x2},${y2}`;
    }
    root.append(svg('path', { class: `edge${cycle ? ' on-cycle' : ''}`, d, 'marker-end': 'url(#arrow)', 'data-from': from, 'data-to': to },
      svg('title', {}, `${from} depends on ${to}`)));
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const cycle = onCycle.has(n.id);
    root.append(svg('g', { class: `node${cycle ? ' on-cycle' : ''}`, 'data-id': n.id, transform: `translate(${p.x},${p.y})` },
      svg('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
      svg('text', { class: 'node-id', x: 10, y: 19 }, n.id),
      svg('text', { class: 'node-tier', x: 10, y: 36 }, `tier ${n.tier ?? '?'}${cycle ? ' · ON A CYCLE' : ''}`)));
  }
  return { root, keys, columns };
}

const drawing = await getJSON('/api/graph?format=json').catch(() => null);
if (drawing) {
  const { root, keys, columns } = draw(drawing);
  const { cycles, edges } = normalise(drawing);
  section.replaceChildren(
    el('div', { class: 'chart-wrap' }, root),
    cycles.length ? el('p', { class: 'badge bad', id: 'cycles' }, `CYCLE: ${cycles.map((c) => c.join(' → ')).join('; ')} (the catalog cannot be deployed)`) : '',
    el('h2', {}, 'Waves'),
    el('table', { id: 'waves' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Wave'), el('th', { scope: 'col' }, 'Services (tier)'), el('th', { scope: 'col' }, 'Depends on'))),
      el('tbody', {}, keys.map((k) => el('tr', {},
        el('th', { scope: 'row' }, k === Infinity ? 'none' : String(k)),
        el('td', {}, columns.get(k).map((n) => `${n.id} (${n.tier})`).join(', ')),
        el('td', {}, columns.get(k).map((n) => {
          const deps = edges.filter(([f]) => f === n.id).map(([, t]) => t);
          return deps.length ? `${n.id} → ${deps.join(', ')}` : '';
        }).filter(Boolean).join('; ') || '-'))))));
}

// The train page: plans the example train through POST /api/plan, draws it, and replans an
// edited copy against the current plan so the engine says what moved.
import { el, getJSON, postJSON, timeEl, utcTime, zoneName } from './api.js';
import { drawGantt, runKey } from './gantt.js';

const planForm = document.getElementById('plan-form');
const startInput = document.getElementById('start');
const groupSelect = document.getElementById('group');
const planSection = document.getElementById('plan');
const editForm = document.getElementById('edit-form');
const editId = document.getElementById('edit-id');
const fields = {
  duration: document.getElementById('edit-duration'),
  services: document.getElementById('edit-services'),
  regions: document.getElementById('edit-regions'),
  after: document.getElementById('edit-after'),
  start: document.getElementById('edit-earliest'),
};
const replanSection = document.getElementById('replan-result');

const meta = await getJSON('/api/meta').catch(() => ({ regions: [], now: '' }));
const zones = new Map(meta.regions.map((r) => [r.id, r.timezone]));
const zoneOf = (region) => zones.get(region) || 'UTC';
startInput.value = meta.now;

let original = [];
let changes = [];
let current = null; // the plan shown
let moved = new Set();

const train = await getJSON('/api/train').catch(() => null);
if (train) {
  original = train.changes;
  changes = structuredClone(original);
  editId.replaceChildren(...changes.map((c) => el('option', { value: c.id }, `${c.id}: ${c.title || ''}`)));
  fillEdit();
  editForm.hidden = false;
  await plan();
}

planForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  moved = new Set();
  replanSection.replaceChildren();
  await plan();
});
groupSelect.addEventListener('change', () => current && renderPlan(current));
editId.addEventListener('change', fillEdit);

function list(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function fillEdit() {
  const c = changes.find((x) => x.id === editId.value);
  if (!c) return;
  fields.duration.value = c.duration ?? '';
  fields.services.value = (c.services || []).join(', ');
  fields.regions.value = (c.regions || []).join(', ');
  fields.after.value = (c.after || []).join(', ');
  fields.start.value = c.start ?? '';
}

document.getElementById('reset').addEventListener('click', () => {
  changes = structuredClone(original);
  fillEdit();
});

editForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const c = changes.find((x) => x.id === editId.value);
  if (!c || !current) return;
  const edited = { ...c, services: list(fields.services.value) };
  if (fields.duration.value.trim()) edited.duration = fields.duration.value.trim(); else delete edited.duration;
  for (const key of ['regions', 'after']) {
    const v = list(fields[key].value);
    if (v.length) edited[key] = v; else delete edited[key];
  }
  if (fields.start.value.trim()) edited.start = fields.start.value.trim(); else delete edited.start;
  const next = changes.map((x) => (x.id === edited.id ? edited : x));
  let answer;
  try {
    answer = await postJSON('/api/plan', { changes: next, start: startInput.value.trim(), previous: current });
  } catch {
    return;
  }
  changes = next;
  moved = new Set((answer.moved || []).map((m) => runKey(m)));
  renderPlan(answer);
  renderReplan(answer);
});

async function plan() {
  try {
    const answer = await postJSON('/api/plan', { changes, start: startInput.value.trim() });
    renderPlan(answer);
  } catch {
    planSection.replaceChildren();
  }
}

function renderPlan(p) {
  current = p;
  const runs = p.changes;
  const parts = [el('h2', {}, 'Plan')];
  const ids = new Set(runs.map((r) => r.id));
  parts.push(el('p', { id: 'plan-summary' },
    `${ids.size} change(s) planned in ${runs.length} run(s); ${p.unschedulable.length} unschedulable.`));
  if (runs.length) {
    const chart = drawGantt(runs, { groupBy: groupSelect.value, zoneOf, moved });
    const detail = el('p', { id: 'bar-detail', 'aria-live': 'polite' }, 'Hover over or tab to a bar for its times in UTC and in each region.');
    const describe = (event) => {
      const run = event.target.closest('g.run');
      if (run) detail.textContent = run.querySelector('title').textContent;
    };
    chart.addEventListener('focusin', describe);
    chart.addEventListener('mouseover', describe);
    parts.push(el('div', { class: 'chart-wrap' }, chart), detail);
  }
  if (p.unschedulable.length) {
    parts.push(el('h3', {}, 'Cannot be scheduled'));
    parts.push(el('ul', { class: 'plain', id: 'unschedulable' }, p.unschedulable.map((u) =>
      el('li', {}, el('span', { class: 'badge bad' }, 'UNSCHEDULABLE'), ` ${u.id}: ${u.reason}`,
        u.notify && u.notify.length ? ` (tell ${u.notify.join(', ')})` : ''))));
  }
  parts.push(el('h3', {}, 'Runs'));
  parts.push(el('table', { id: 'runs' },
    el('thead', {}, el('tr', {}, ['Change', 'Region', 'Wave', 'Start (UTC)', 'End (UTC)', 'Services', 'Local start'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, runs.map((r) => {
      const regions = r.region ? [r.region] : r.regions || [];
      const local = regions.map((g) => `${g} ${new Date(r.start).toLocaleString('en-GB', { timeZone: zoneOf(g), hour: '2-digit', minute: '2-digit', hourCycle: 'h23', weekday: 'short' })} ${zoneName(r.start, zoneOf(g))}`);
      return el('tr', {},
        el('td', {}, r.id, moved.has(runKey(r)) ? [' ', el('span', { class: 'badge warn' }, 'MOVED')] : ''),
        el('td', {}, r.region || (r.regions || []).join(', ')), el('td', { class: 'num' }, r.wave),
        el('td', {}, utcTime(r.start)), el('td', {}, utcTime(r.end)), el('td', {}, r.services.join(', ')),
        el('td', {}, local.join('; ')));
    }))));
  planSection.replaceChildren(...parts);
}

function span(s) {
  return [timeEl(s.start), ' to ', timeEl(s.end)];
}

function renderReplan(p) {
  const who = (n) => (n && n.length ? ` (tell ${n.join(', ')})` : '');
  const name = (m) => (m.region ? `${m.id} in ${m.region}` : m.id);
  const items = [
    ...(p.moved || []).map((m) => el('li', {}, el('span', { class: 'badge warn' }, 'MOVED'), ` ${name(m)}: was `, ...span(m.from), '; now ', ...span(m.to), who(m.notify))),
    ...(p.newly_unschedulable || []).map((m) => el('li', {}, el('span', { class: 'badge bad' }, 'NOW UNSCHEDULABLE'), ` ${m.id}: ${m.reason}`, who(m.notify))),
    ...(p.cancelled || []).map((m) => el('li', {}, el('span', { class: 'badge bad' }, 'CANCELLED'), ` ${name(m)}`, who(m.notify))),
    ...(p.newly_planned || []).map((m) => el('li', {}, el('span', { class: 'badge good' }, 'NEWLY PLANNED'), ` ${name(m)}: `, ...span(m.to), who(m.notify))),
    ...(p.warnings || []).map((w) => el('li', {}, `warning: ${w}`)),
  ];
  replanSection.replaceChildren(
    el('h2', {}, 'What the replan changed'),
    items.length ? el('ul', { class: 'plain', id: 'changes-since' }, items) : el('p', { id: 'changes-since' }, 'Nothing moved.'),
  );
}

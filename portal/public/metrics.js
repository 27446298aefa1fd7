// The metrics page: the figures of GET /api/metrics and the engine's chart (/api/metrics.svg).
import { el, getJSON, query, dayStartUtc, utcTime } from './api.js';

const form = document.getElementById('metrics-form');
const by = document.getElementById('by');
const from = document.getElementById('from');
const to = document.getElementById('to');
const figures = document.getElementById('figures');
const chart = document.getElementById('chart');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  show();
});

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join('') || '0m';
}

const percent = (x) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const COLUMNS = [
  ['Deployments', (f) => f.deployments],
  ['Per day', (f) => (f.per_day ?? 0).toFixed(2)],
  ['Lead time median', (f) => duration(f.lead_time_median_s)],
  ['Lead time p90', (f) => duration(f.lead_time_p90_s)],
  ['Change failure rate', (f) => percent(f.change_failure_rate)],
  ['Time to restore median', (f) => duration(f.time_to_restore_median_s)],
];

async function show() {
  const q = query({ by: by.value, from: dayStartUtc(from.value), to: dayStartUtc(to.value) });
  let m;
  try {
    m = await getJSON(`/api/metrics${q}`);
  } catch {
    figures.replaceChildren();
    chart.replaceChildren();
    return;
  }
  const rows = [['All', m], ...(m.groups || []).map((g) => [g.key, g])];
  figures.replaceChildren(
    el('h2', {}, 'Figures'),
    el('p', {}, `Period ${utcTime(m.from)} to ${utcTime(m.to)}.`),
    el('table', { id: 'figures-table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, by.value || 'Scope'), COLUMNS.map(([h]) => el('th', { scope: 'col', class: 'num' }, h)))),
      el('tbody', {}, rows.map(([key, f]) => el('tr', {}, el('th', { scope: 'row' }, key),
        COLUMNS.map(([, get]) => el('td', { class: 'num' }, get(f)))))),
    ),
  );
  chart.replaceChildren(
    el('h2', {}, 'Week by week'),
    el('img', { class: 'chart', id: 'metrics-chart', src: `/api/metrics.svg${q}`,
      alt: `Chart of deployments, lead time, change failure rate and time to restore week by week, ${utcTime(m.from)} to ${utcTime(m.to)}; the figures are in the table above.` }),
  );
}

show();

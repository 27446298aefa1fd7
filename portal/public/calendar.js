// The calendar page: one month of a region's or a service's windows and blackouts. The engine
// computes the stretches and the days (with their UTC offsets, so DST days are known); this page
// only cuts the stretches at each local midnight the API gave and lays the days out in weeks.
import { el, getJSON, query, localClock } from './api.js';

const form = document.getElementById('calendar-form');
const scopeSelect = document.getElementById('scope');
const monthInput = document.getElementById('month');
const result = document.getElementById('result');
const kinds = [...document.querySelectorAll('input[name="kind"]')];

const params = new URLSearchParams(location.search);
const meta = await getJSON('/api/meta').catch(() => ({ regions: [], services: [], now: new Date().toISOString() }));

function kind() {
  return kinds.find((k) => k.checked).value;
}

function fillScopes(selected) {
  const items = kind() === 'region'
    ? meta.regions.map((r) => [r.id, `${r.id} (${r.timezone})`])
    : meta.services.map((s) => [s.id, `${s.id} (${s.regions.join(', ')})`]);
  scopeSelect.replaceChildren(...items.map(([id, label]) => el('option', { value: id }, label)));
  if (selected) scopeSelect.value = selected;
}

if (params.get('service')) document.getElementById('kind-service').checked = true;
fillScopes(params.get('region') || params.get('service'));
monthInput.value = params.get('month') || String(meta.now).slice(0, 7);
for (const k of kinds) k.addEventListener('change', () => fillScopes());

form.addEventListener('submit', (event) => {
  event.preventDefault();
  show();
});

/** `2026-10` -> the instants around that month (a day each side, for every UTC offset). */
function monthRange(month) {
  const [y, m] = month.split('-').map(Number);
  const from = new Date(Date.UTC(y, m - 1, 1) - 86400000).toISOString().replace('.000', '');
  const to = new Date(Date.UTC(y, m, 2)).toISOString().replace('.000', '');
  return { from, to };
}

function addDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

async function show() {
  const month = monthInput.value;
  if (!/^\d{4}-\d{2}$/.test(month)) return;
  const { from, to } = monthRange(month);
  const scope = { [kind()]: scopeSelect.value };
  const q = query({ ...scope, from, to });
  history.replaceState(null, '', query({ ...scope, month }) || location.pathname);
  let cal;
  try {
    cal = await getJSON(`/api/calendar${q}`);
  } catch {
    result.replaceChildren();
    return;
  }
  const zone = cal.timezone;
  const days = cal.days.filter((d) => d.date.startsWith(month));
  const cells = days.map((day) => {
    const start = Date.parse(`${day.date}T00:00:00${day.utc_offset_start}`);
    const end = Date.parse(`${addDay(day.date)}T00:00:00${day.utc_offset_end}`);
    const cut = (list, cls) => list
      .map((s) => ({ ...s, a: Math.max(start, Date.parse(s.start)), b: Math.min(end, Date.parse(s.end)) }))
      .filter((s) => s.a < s.b)
      .map((s) => el('span', { class: `stretch ${cls}` },
        el('span', { class: 'visually-hidden' }, cls === 'open' ? 'open ' : 'blackout '),
        `${localClock(s.a, zone)}–${s.b === end ? '24:00' : localClock(s.b, zone)}`,
        s.name ? ` ${s.name}` : ''));
    return { day, items: [...cut(cal.open, 'open'), ...cut(cal.blackouts, 'blackout')] };
  });
  const [y, m] = month.split('-').map(Number);
  const lead = (new Date(Date.UTC(y, m - 1, 1)).getUTCDay() + 6) % 7; // Monday first
  const slots = [...Array(lead).fill(null), ...cells];
  while (slots.length % 7) slots.push(null);
  const weeks = [];
  for (let i = 0; i < slots.length; i += 7) weeks.push(slots.slice(i, i + 7));
  const title = `${new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })}`;
  const scopeName = cal.scope.region ? `region ${cal.scope.region}` : `service ${cal.scope.service}`;
  const dstDays = days.filter((d) => d.dst_change);
  const ics = `/api/calendar${query({ ...scope, from: `${month}-01T00:00:00Z`, to: new Date(Date.UTC(y, m, 1)).toISOString().replace('.000', ''), format: 'ics' })}`;
  result.replaceChildren(
    el('h2', {}, `${title}, ${scopeName} (${zone})`),
    cal.scope.service
      ? el('p', { id: 'scope-note' }, `${cal.scope.service} deploys to ${cal.regions.join(', ')}; a change to it may start when all of `,
        `their calendars (${cal.calendars.join(', ')}) are open at once. Shown in ${zone} time.`)
      : '',
    el('div', { class: 'legend', id: 'legend' },
      el('span', {}, el('span', { class: 'swatch open' }), 'open: changes may start'),
      el('span', {}, el('span', { class: 'swatch blackout' }), 'blackout: no change'),
      el('span', {}, el('span', { class: 'swatch dst' }), 'DST: the clocks change this day'),
      el('span', {}, `Times in ${zone}.`),
      el('a', { href: ics, download: `${scopeSelect.value}-${month}.ics`, id: 'ics' }, 'Download .ics')),
    dstDays.length
      ? el('p', { id: 'dst-note' }, dstDays.map((d) => `${d.date}: UTC offset ${d.utc_offset_start} → ${d.utc_offset_end}. `))
      : '',
    el('table', { class: 'month', id: 'month-grid' },
      el('caption', { class: 'visually-hidden' }, `${title}: open windows and blackouts in ${zone}`),
      el('thead', {}, el('tr', {}, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => el('th', { scope: 'col' }, d)))),
      el('tbody', {}, weeks.map((week) => el('tr', {}, week.map((slot) => slot
        ? el('td', { class: slot.day.dst_change ? 'dst' : '', 'data-date': slot.day.date },
          el('span', { class: 'daynum' }, Number(slot.day.date.slice(8))),
          slot.day.dst_change ? el('span', { class: 'dst-label' }, `DST ${slot.day.utc_offset_start}→${slot.day.utc_offset_end}`) : '',
          slot.items.length ? slot.items : el('span', { class: 'stretch' }, 'closed'))
        : el('td', { class: 'outside' })))))),
  );
}

show();

// The check page: sends one change to POST /api/check and shows the decision as the engine gave it.
import { el, getJSON, postJSON, showError, clearError, localTime, timeEl, verdictBadge, flag } from './api.js';

const form = document.getElementById('check-form');
const exampleSelect = document.getElementById('example');
const upload = document.getElementById('upload');
const textarea = document.getElementById('change');
const nowInput = document.getElementById('now');
const explainBox = document.getElementById('explain');
const recordBox = document.getElementById('record');
const submit = document.getElementById('submit');
const result = document.getElementById('result');

let zones = new Map();

const meta = await getJSON('/api/meta').catch(() => null);
if (meta) {
  zones = new Map(meta.regions.map((r) => [r.id, r.timezone]));
  for (const ex of meta.examples) {
    exampleSelect.append(el('option', { value: ex.id }, `${ex.id}: ${ex.title}`));
  }
}

exampleSelect.addEventListener('change', async () => {
  if (!exampleSelect.value) return;
  const change = await getJSON(`/api/examples/${encodeURIComponent(exampleSelect.value)}`).catch(() => null);
  if (change) textarea.value = JSON.stringify(change, null, 2);
});

upload.addEventListener('change', async () => {
  const file = upload.files && upload.files[0];
  if (!file) return;
  textarea.value = await file.text();
  exampleSelect.value = '';
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearError();
  let change;
  try {
    change = JSON.parse(textarea.value);
  } catch (err) {
    showError(`the change is not valid JSON: ${err.message}`, 'change');
    textarea.focus();
    return;
  }
  const body = { change, explain: explainBox.checked, record: recordBox.checked };
  if (nowInput.value.trim()) body.now = nowInput.value.trim();
  submit.disabled = true;
  try {
    const answer = await postJSON('/api/check', body);
    render(answer);
  } catch {
    result.replaceChildren();
  } finally {
    submit.disabled = false;
  }
});

function zoneOf(region) {
  return zones.get(region) || 'UTC';
}

/** A stretch in UTC and in the local time of each region given. */
function stretchText(stretch, regions) {
  const local = regions
    .map((r) => `${r}: ${localTime(stretch.start, zoneOf(r))} to ${localTime(stretch.end, zoneOf(r))}`);
  return el('div', {}, timeEl(stretch.start), ' to ', timeEl(stretch.end),
    local.length ? el('ul', { class: 'plain' }, local.map((t) => el('li', {}, t))) : '');
}

function render({ decision: d, explain, recorded }) {
  const s = d.schedule || {};
  const regions = (s.regions || []).map((r) => r.region);
  const parts = [
    el('h2', { id: 'result-title' }, `Decision for ${d.change}`),
    el('div', { class: `banner verdict-${d.verdict}`, id: 'verdict' },
      verdictBadge(d.verdict),
      el('span', { class: 'facts' },
        `tier ${d.tier}`, d.strategy ? ` · strategy ${d.strategy}` : '', ` · decided at `, timeEl(d.now)),
      el('span', { class: 'facts' }, verdictHint(d))),
  ];

  parts.push(el('h3', {}, 'Blocked by'));
  parts.push(d.reasons.length
    ? el('ul', { id: 'reasons', class: 'plain' }, d.reasons.map((r) =>
        el('li', {}, el('strong', {}, r.rule), `: ${r.message} `, el('code', {}, r.at))))
    : el('p', { id: 'reasons' }, 'No rule denies this change.'));

  const approvals = d.requirements.filter((r) => r.kind === 'approval');
  const checks = d.requirements.filter((r) => r.kind === 'check');
  parts.push(el('h3', {}, 'Approvals'));
  parts.push(approvals.length ? requirementTable('approvals', 'Group', approvals, (r) => r.group)
    : el('p', {}, 'No approval is required.'));
  parts.push(el('h3', {}, 'Checks'));
  parts.push(checks.length ? requirementTable('checks', 'Check', checks,
    (r) => (r.within ? `${r.check} (within ${r.within})` : r.check))
    : el('p', {}, 'No check is required.'));

  if (d.obligations && d.obligations.length) {
    parts.push(el('h3', {}, 'Owed after the change'));
    parts.push(el('ul', { class: 'plain' }, d.obligations.map((o) =>
      el('li', {}, `${o.needed} approval(s) from ${o.group} (${o.rule}) due `, timeEl(o.due)))));
  }

  if (d.exemptions.length || d.waivers.length) {
    parts.push(el('h3', {}, 'Exemptions and waivers'));
    parts.push(el('ul', { class: 'plain' },
      d.exemptions.map((x) => el('li', {}, `${x.rule ? `rule ${x.rule}` : `waiver by ${x.waiver}`} lifts ${x.lifts}`,
        x.blackouts && x.blackouts.length ? ` (${x.blackouts.join(', ')})` : '', x.target ? ` ${x.target}` : '')),
      d.waivers.map((w) => el('li', {}, `waiver of ${w.rule || w.blackout} by ${w.by}: `,
        flag(w.honored, 'HONOURED', 'REJECTED'), w.why ? ` ${w.why}` : ''))));
  }

  parts.push(el('h3', {}, 'Schedule'));
  parts.push(el('p', {}, 'Requested run: ', timeEl(s.start), ' to ', timeEl(s.end), ' ',
    flag(s.allowed, 'ALLOWED', 'NOT ALLOWED')));
  parts.push(el('table', { id: 'regions' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Region'), el('th', { scope: 'col' }, 'Time zone'),
      el('th', { scope: 'col' }, 'At the requested start'), el('th', { scope: 'col' }, 'Blocked by'),
      el('th', { scope: 'col' }, 'Next window of the region'))),
    el('tbody', {}, (s.regions || []).map((r) => el('tr', {},
      el('th', { scope: 'row' }, r.region), el('td', {}, zoneOf(r.region)),
      el('td', {}, flag(r.open, 'OPEN', 'CLOSED')), el('td', {}, r.blocked_by.join(', ') || '-'),
      el('td', {}, r.next_window ? stretchText(r.next_window, [r.region]) : 'none within the horizon'))))));
  parts.push(el('h3', {}, 'Next window for the whole change'));
  parts.push(el('div', { id: 'next-window' }, s.next_window
    ? stretchText(s.next_window, regions)
    : el('p', {}, 'No stretch within the horizon fits the whole change in every region.')));

  if (explain || (d.to_ship && d.to_ship.length)) {
    parts.push(el('h3', {}, 'To ship'));
    parts.push(explain
      ? el('pre', { class: 'explain', id: 'explain-text', tabindex: '0' }, explain)
      : el('ol', { class: 'plain' }, d.to_ship.map((step) => el('li', {}, step.text))));
  }
  if (d.notify.length || d.order.length) {
    parts.push(el('h3', {}, 'Deployment'));
    parts.push(el('p', {}, `Order (waves): ${d.order.map((w) => w.join(', ')).join(' → ') || '-'}`));
    parts.push(el('p', {}, `Notify: ${d.notify.join(', ') || 'no one'}`));
    if (d.rollback.length) {
      parts.push(el('p', {}, `Roll back when: ${d.rollback.map((t) =>
        `${t.metric} ${t.op} ${t.relative_to ? `${Math.round(t.threshold * 100)}% of ${t.relative_to}` : t.threshold} for ${t.for}`).join('; ')}`));
    }
  }
  if (d.trace.length) {
    parts.push(el('details', { id: 'trace-details' },
      el('summary', {}, `Trace: ${d.trace.length} rule(s), tier(s) and arm(s) evaluated`),
      el('table', { id: 'trace' },
      el('thead', {}, el('tr', {}, ['Kind', 'Name', 'Outcome', 'Where', 'What it saw'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, d.trace.map((t) => el('tr', {},
        el('td', {}, t.kind), el('td', {}, t.name), el('td', {}, t.outcome), el('td', {}, el('code', {}, t.at)),
        el('td', {}, (t.values || []).map((v) => el('div', { class: 'mono' },
          `${v.expr} = ${v.error ? `error: ${v.error}` : v.result}${v.witness ? ` (for ${v.witness})` : ''}`)))))))));
  }
  if (recorded) {
    parts.push(el('p', { id: 'recorded' }, `Recorded in the archive as record ${recorded.seq} (`,
      el('span', { class: 'hash' }, recorded.hash), '). ', el('a', { href: `/archive.html` }, 'See the archive')));
  }
  parts.push(el('p', { class: 'hint' }, 'Policy ', el('span', { class: 'hash' }, d.policy), ' · inputs ',
    el('span', { class: 'hash' }, d.inputs), ` · ${d.engine}`));
  result.replaceChildren(...parts);
}

function verdictHint(d) {
  if (d.verdict === 'allow') return 'Nothing blocks this change at the requested start.';
  if (d.verdict === 'pending') return 'Nothing forbids it, but approvals or checks are missing.';
  return 'A rule or the schedule forbids it (see "Blocked by").';
}

function requirementTable(id, what, rows, name) {
  return el('table', { id },
    el('thead', {}, el('tr', {}, ['Rule', what, 'Needed', 'Counted', 'Ignored (why)', 'Satisfied']
      .map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', { class: r.satisfied ? '' : 'missing' },
      el('td', {}, r.rule), el('td', {}, name(r)), el('td', { class: 'num' }, r.needed),
      el('td', {}, r.counted.join(', ') || '-'),
      el('td', {}, r.ignored.length ? el('ul', { class: 'plain' }, r.ignored.map((i) => el('li', {}, `${i.by}: ${i.why}`))) : '-'),
      el('td', {}, flag(r.satisfied, 'SATISFIED', `MISSING ${Math.max(0, r.needed - r.counted.length)}`))))));
}

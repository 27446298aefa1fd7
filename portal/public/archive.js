// The archive page: GET /api/archive verifies the whole chain and lists the filtered records.
import { el, getJSON, query, timeEl, verdictBadge, flag, dayStartUtc } from './api.js';

const form = document.getElementById('archive-form');
const change = document.getElementById('change');
const from = document.getElementById('from');
const to = document.getElementById('to');
const verifySection = document.getElementById('verify');
const recordsSection = document.getElementById('records');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  show();
});

async function show() {
  let answer;
  try {
    answer = await getJSON(`/api/archive${query({ change: change.value.trim(), from: dayStartUtc(from.value), to: dayStartUtc(to.value) })}`);
  } catch {
    verifySection.replaceChildren();
    recordsSection.replaceChildren();
    return;
  }
  const v = answer.verify;
  verifySection.replaceChildren(
    el('h2', {}, 'Chain'),
    el('div', { class: `banner ${v.ok ? 'verdict-allow' : 'verdict-deny'}`, id: 'chain' },
      flag(v.ok, 'CHAIN INTACT', 'CHAIN BROKEN'),
      el('span', { class: 'facts' }, `${v.records} record(s) verified · head `, el('span', { class: 'hash' }, v.head || '-'))),
    v.problems && v.problems.length
      ? el('ul', { class: 'plain', id: 'problems' }, v.problems.map((p) => el('li', {},
        typeof p === 'string' ? p : `record ${p.seq}${p.line ? ` (line ${p.line})` : ''}: ${p.kind ? `${p.kind}: ` : ''}${p.message}`)))
      : '',
  );
  const filters = [change.value.trim() && `change ${change.value.trim()}`, from.value && `from ${from.value}`, to.value && `before ${to.value}`].filter(Boolean);
  recordsSection.replaceChildren(
    el('h2', {}, 'Records'),
    el('p', { id: 'record-count' }, `${answer.records.length} record(s)${filters.length ? ` (${filters.join(', ')})` : ''}.`),
    answer.records.length ? el('table', { id: 'record-table' },
      el('thead', {}, el('tr', {}, ['Seq', 'Recorded at', 'Change', 'Verdict', 'Hash'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, answer.records.map((r) => el('tr', {},
        el('td', { class: 'num' }, r.seq), el('td', {}, timeEl(r.at)), el('td', {}, r.change),
        el('td', {}, verdictBadge(r.verdict)), el('td', { class: 'hash' }, r.hash))))) : '',
  );
}

show();

// Fetch helpers and small DOM helpers shared by every page. The pages only show what the
// server answers: every rule, window and plan is computed by the engine behind /api.
import './nav.js';

/** The page's alert region (`<div id="alert" role="alert">`). */
function alertRegion() {
  return document.getElementById('alert');
}

/** Shows an error (the server's message and, when known, the path it points at). */
export function showError(message, path) {
  const region = alertRegion();
  if (!region) return;
  region.replaceChildren(
    el('strong', {}, 'Error: '),
    message,
    path ? el('span', { class: 'path' }, ` (at ${path})`) : '',
  );
  region.hidden = false;
}

export function clearError() {
  const region = alertRegion();
  if (!region) return;
  region.replaceChildren();
  region.hidden = true;
}

/** An error the server answered with `{"error": {code, message, path?}}`. */
export class ApiError extends Error {
  constructor(status, code, message, path) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

async function request(url, init) {
  clearError();
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    const error = new ApiError(0, 'NETWORK', `the portal server did not answer (${err.message})`);
    showError(error.message);
    throw error;
  }
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const e = body && typeof body === 'object' && body.error ? body.error : {};
    const error = new ApiError(
      response.status,
      e.code || `HTTP_${response.status}`,
      e.message || `the server answered ${response.status} ${response.statusText}`,
      e.path,
    );
    showError(`${error.code}: ${error.message}`, error.path);
    throw error;
  }
  return body;
}

/** GET a JSON (or text) resource; on an error shows it in the alert region and throws. */
export function getJSON(url) {
  return request(url, { headers: { accept: 'application/json' } });
}

/** POST a JSON body; on an error shows it in the alert region and throws. */
export function postJSON(url, body) {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A query string from the entries whose value is not empty. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Creates an element: attributes (`class`, `for`, `on<event>`, anything else as is), children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  appendAll(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  appendAll(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
}

function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false || child === '') continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/**
 * The zone's short name at an instant: an abbreviation where the browser knows one (CET from
 * the British English names, EST from the American ones), else the offset (GMT+5:30).
 */
export function zoneName(instant, timeZone) {
  const names = ['en-GB', 'en-US'].map((locale) => new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
    .formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName').value);
  return names.find((n) => !/^(GMT|UTC)[+-]/.test(n)) || names[0];
}

/** `2026-12-21 08:00 CET` of an instant in an IANA zone. */
export function localTime(instant, timeZone) {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return String(instant);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${zoneName(d, timeZone)}`;
}

/** `HH:MM` of an instant in an IANA zone. */
export function localClock(instant, timeZone) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(instant));
}

/** `2026-12-21 07:00 UTC` of an instant. */
export function utcTime(instant) {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return String(instant);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A `<time>` element showing an instant in UTC, with the machine value. */
export function timeEl(instant) {
  return el('time', { datetime: instant }, utcTime(instant));
}

/** The verdict as a labelled badge: the text says it, the colour only repeats it. */
export function verdictBadge(verdict) {
  return el('span', { class: `badge verdict-${verdict}` }, String(verdict).toUpperCase());
}

/** A plain yes/no badge with a text label. */
export function flag(ok, yes = 'YES', no = 'NO') {
  return el('span', { class: `badge ${ok ? 'good' : 'bad'}` }, ok ? yes : no);
}

/** A date input's value (`2026-12-01`) as the start of that day in UTC, or '' when empty. */
export function dayStartUtc(value) {
  return value ? `${value}T00:00:00Z` : '';
}

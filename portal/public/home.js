import { el, getJSON } from './api.js';
import { PAGES } from './nav.js';

document.getElementById('pages').replaceChildren(...PAGES.map((page) =>
  el('li', {}, el('a', { href: page.href }, page.title), el('p', {}, page.blurb))));

const health = await getJSON('/api/health').catch(() => null);
if (health && health.policy) {
  document.getElementById('policy').textContent = `Serving the policy set ${health.policy.digest}.`;
}

import { getJSON } from './api.js';

const health = await getJSON('/api/health').catch(() => null);
if (health && health.policy) {
  document.getElementById('policy').textContent = `Serving the policy set ${health.policy.digest}.`;
}

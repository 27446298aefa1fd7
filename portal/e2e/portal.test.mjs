// End-to-end tests of the portal's pages in headless Chromium against the real server.
// Each test compares what the page shows with what the API answers for the same question, so
// a page that drops, miscounts or misplaces the engine's answer fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, screenshot, api, NOW } from './portal.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const CHECK_NOW = '2026-12-18T09:00:00Z';

test('check: an example change shows the verdict, what blocks it and the missing approvals', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/check.html`);
  await page.getByLabel('Example change').selectOption('CHG-1043');
  await page.waitForFunction(() => document.getElementById('change').value.includes('CHG-1043'));
  await page.getByLabel('Now (RFC 3339, optional)').fill(CHECK_NOW);
  await page.getByLabel('Explain (trace every rule)').check();
  await page.getByRole('button', { name: 'Check' }).click();
  await page.locator('#verdict').waitFor();

  const change = await api(portal.base, '/api/examples/CHG-1043');
  const { decision, explain } = await api(portal.base, '/api/check', { change, now: CHECK_NOW, explain: true });
  assert.notEqual(decision.verdict, 'allow', 'the example is meant to be blocked');
  assert.equal((await page.locator('#verdict .badge').textContent()).trim(), decision.verdict.toUpperCase());
  assert.equal(await page.locator('#reasons li').count(), decision.reasons.length);
  for (const reason of decision.reasons) {
    assert.match(await page.locator('#reasons').textContent(), new RegExp(reason.rule));
  }
  // Missing approvals: the cab requirement is not met, with who was ignored and why.
  const cab = decision.requirements.find((r) => r.kind === 'approval' && r.group === 'cab');
  assert.ok(cab && !cab.satisfied);
  const row = page.locator('#approvals tbody tr', { hasText: 'cab' });
  const text = await row.textContent();
  assert.match(text, new RegExp(`MISSING ${cab.needed - cab.counted.length}`));
  for (const ignored of cab.ignored) assert.ok(text.includes(`${ignored.by}: ${ignored.why}`), `${ignored.by} ignored`);
  // The whole change's next window, in UTC and in eu-west's local time.
  assert.ok(decision.schedule.next_window, 'the example has a next window');
  const next = await page.locator('#next-window').textContent();
  assert.ok(next.includes(decision.schedule.next_window.start.slice(0, 16).replace('T', ' ')), next);
  assert.match(next, /eu-west: .* CET/);
  // Explain: the steps left to ship, and a row per trace entry.
  assert.equal(await page.locator('#explain-text').textContent(), explain);
  assert.ok(decision.trace.length > 0);
  assert.equal(await page.locator('#trace tbody tr').count(), decision.trace.length);
  await screenshot(page, 'check');
  await page.close();
});

test('check: the keyboard alone picks an example and submits the form', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/check.html`);
  await page.waitForFunction(() => document.querySelectorAll('#example option').length > 1);
  // Tab from the top of the page to the example list; the skip link and the nav come first.
  for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement.id)) !== 'example'; i++) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), 'example');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.getElementById('change').value.length > 0);
  for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement.id)) !== 'submit'; i++) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), 'submit');
  // The focused button is visibly outlined.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await page.keyboard.press('Enter');
  await page.locator('#verdict').waitFor();
  assert.match(await page.locator('#verdict .badge').textContent(), /^(ALLOW|PENDING|DENY)$/);
  // "now" was left empty: the server's now decided.
  assert.match(await page.locator('#verdict').textContent(), /decided at 2026-12-07 08:00 UTC/);
  await page.close();
});

test('check: an uploaded JSON file fills the change and is checked', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/check.html`);
  const change = await api(portal.base, '/api/examples/CHG-1042');
  await page.getByLabel('Or upload a JSON file').setInputFiles({
    name: 'change.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...change, id: 'CHG-UPLOADED' })),
  });
  await page.waitForFunction(() => document.getElementById('change').value.includes('CHG-UPLOADED'));
  await page.getByRole('button', { name: 'Check' }).click();
  await page.locator('#verdict').waitFor();
  assert.match(await page.locator('#result h2').textContent(), /Decision for CHG-UPLOADED/);
  await page.close();
});

test('check: bad input shows the server\'s message and where it is', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/check.html`);
  await page.getByLabel('Change request (JSON)').fill(JSON.stringify({
    id: 'CHG-1', services: ['ledger-db'], requester: 'a', implementer: 'b',
    approvals: [{ by: 'ana', group: 'cab', at: 'yesterday' }],
  }));
  await page.getByRole('button', { name: 'Check' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, /INPUT_ERROR/);
  assert.match(text, /approvals\[0\]\.at/);
  assert.equal(await page.locator('#verdict').count(), 0, 'no verdict is shown for bad input');
  // Not JSON at all: the page says so before asking the server.
  await page.getByLabel('Change request (JSON)').fill('{"id": ');
  await page.getByRole('button', { name: 'Check' }).click();
  assert.match(await alert.textContent(), /not valid JSON/);
  await page.close();
});

test('check: "Record in the archive" appends the decision, and the archive page lists it', async () => {
  const before = await api(portal.base, '/api/archive');
  const page = await portal.newPage();
  await page.goto(`${portal.base}/check.html`);
  await page.getByLabel('Example change').selectOption('CHG-1042');
  await page.waitForFunction(() => document.getElementById('change').value.includes('CHG-1042'));
  await page.getByLabel('Record in the archive').check();
  await page.getByRole('button', { name: 'Check' }).click();
  await page.locator('#recorded').waitFor();
  const after = await api(portal.base, '/api/archive');
  assert.equal(after.records.length, before.records.length + 1);
  assert.equal(after.verify.ok, true);
  const last = after.records.at(-1);
  assert.equal(last.change, 'CHG-1042');
  assert.match(await page.locator('#recorded').textContent(), new RegExp(`record ${last.seq} \\(${last.hash}\\)`));
  await page.getByRole('link', { name: 'See the archive' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#record-table tbody tr').length === n, after.records.length);
  await page.close();
});

test('calendar: October 2026 in eu-west marks the day the clocks go back', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/calendar.html?region=eu-west&month=2026-10`);
  await page.locator('#month-grid').waitFor();
  assert.match(await page.locator('h2').textContent(), /October 2026, region eu-west \(Europe\/Berlin\)/);
  assert.equal(await page.locator('#month-grid td[data-date]').count(), 31);
  const dst = page.locator('#month-grid td.dst');
  assert.equal(await dst.count(), 1);
  assert.equal(await dst.getAttribute('data-date'), '2026-10-25');
  assert.match(await dst.textContent(), /DST \+02:00→\+01:00/);
  assert.match(await page.locator('#dst-note').textContent(), /2026-10-25: UTC offset \+02:00 → \+01:00/);
  // The grid is Monday first: 1 October 2026 is a Thursday.
  const firstRow = page.locator('#month-grid tbody tr').first().locator('td');
  assert.equal(await firstRow.nth(3).getAttribute('data-date'), '2026-10-01');
  // Open stretches are shown in local time: eu-west opens at 09:00 Berlin on a weekday.
  const from = '2026-10-05T00:00:00Z';
  const cal = await api(portal.base, `/api/calendar?region=eu-west&from=${from}&to=2026-10-06T00:00:00Z`);
  assert.ok(cal.open.length > 0);
  const opens = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(cal.open[0].start));
  assert.match(await page.locator('td[data-date="2026-10-05"]').textContent(), new RegExp(`open ${opens}`));
  // The ics link answers an RFC 5545 calendar.
  const href = await page.locator('#ics').getAttribute('href');
  assert.match(href, /format=ics/);
  const ics = await fetch(`${portal.base}${href}`);
  assert.match(ics.headers.get('content-type'), /text\/calendar/);
  assert.match(await ics.text(), /BEGIN:VCALENDAR/);
  await screenshot(page, 'calendar');
  // A service's calendar: the same grid, in the zone the server reads the service in.
  await page.getByRole('radio', { name: 'Service' }).check();
  await page.getByLabel('Region or service').selectOption('fraud-worker');
  await page.getByRole('button', { name: 'Show month' }).click();
  await page.waitForFunction(() => document.querySelector('#result h2').textContent.includes('service fraud-worker'));
  const svc = await api(portal.base, '/api/calendar?service=fraud-worker&from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z');
  assert.match(await page.locator('#result h2').textContent(), new RegExp(`\\(${svc.timezone}\\)`));
  assert.equal(await page.locator('#month-grid td[data-date]').count(), 31);
  assert.match(await page.locator('#scope-note').textContent(), new RegExp(`fraud-worker deploys to ${svc.regions.join(', ')};.*\\(${svc.calendars.join(', ')}\\)`));
  await page.close();
});

test('train: the Gantt chart has a bar per planned run, and a replan says what moved', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/train.html`);
  await page.locator('#plan-summary').waitFor();
  assert.equal(await page.getByLabel('Plan from (RFC 3339)').inputValue(), NOW);
  const { changes } = await api(portal.base, '/api/train');
  const plan = await api(portal.base, '/api/plan', { changes, start: NOW });
  assert.ok(plan.changes.length > 0);
  assert.equal(await page.locator('svg.gantt g.run').count(), plan.changes.length);
  assert.equal(await page.locator('#runs tbody tr').count(), plan.changes.length);
  assert.equal(await page.locator('#unschedulable li').count(), plan.unschedulable.length);
  for (const u of plan.unschedulable) {
    assert.match(await page.locator('#unschedulable').textContent(), new RegExp(`UNSCHEDULABLE ${u.id}`));
  }
  // Each bar's tooltip gives its UTC and local times.
  const first = plan.changes[0];
  const title = await page.locator(`svg.gantt g.run[data-id="${first.id}"] title`).first().textContent();
  assert.ok(title.includes(first.start.slice(0, 16).replace('T', ' ')), title);
  // The keyboard reaches the bars, and a focused bar's times are written out below the chart.
  await page.locator('svg.gantt g.run').first().focus();
  const detail = await page.locator('#bar-detail').textContent();
  assert.ok(detail.includes(`UTC: ${first.start.slice(0, 16).replace('T', ' ')} UTC`), detail);
  assert.match(detail, /eu-west: 2026-12-07 09:00 CET/);
  await screenshot(page, 'train');

  // The same bars in lanes by region.
  await page.getByLabel('Group bars by').selectOption('region');
  const lanes = await page.locator('svg.gantt .lane-label').allTextContents();
  const regions = new Set(plan.changes.map((r) => r.region || r.regions.join(' + ')));
  assert.deepEqual(new Set(lanes), regions);
  assert.equal(await page.locator('svg.gantt g.run').count(), plan.changes.length);
  await page.getByLabel('Group bars by').selectOption('wave');

  // Lengthen the first run's change: it and what follows it move.
  await page.getByLabel('Change', { exact: true }).selectOption(first.id);
  await page.getByLabel('Duration').fill('5h');
  await page.getByRole('button', { name: 'Replan' }).click();
  await page.locator('#changes-since').waitFor();
  const edited = changes.map((c) => (c.id === first.id ? { ...c, duration: '5h' } : c));
  const replan = await api(portal.base, '/api/plan', { changes: edited, start: NOW, previous: plan });
  assert.ok(replan.moved.length > 0, 'lengthening the first change moves something');
  assert.equal(await page.locator('#changes-since li', { hasText: 'MOVED' }).count(), replan.moved.length);
  assert.equal(await page.locator('svg.gantt rect.bar.moved').count(), replan.moved.length);
  await screenshot(page, 'train-replan');
  // Reset edits puts back the train's own values.
  await page.getByRole('button', { name: 'Reset edits' }).click();
  assert.equal(await page.getByLabel('Duration').inputValue(), changes.find((c) => c.id === first.id).duration);
  await page.close();
});

test('train: a bad start is refused with the server\'s message, and the last plan is not shown as current', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/train.html`);
  await page.locator('#plan-summary').waitFor();
  await page.getByLabel('Plan from (RFC 3339)').fill('next monday');
  await page.getByRole('button', { name: 'Plan the train' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /start/);
  assert.equal(await page.locator('#plan-summary').count(), 0);
  await page.close();
});

test('graph: every service is drawn in its wave, with every edge', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/graph.html`);
  await page.locator('svg.graph').waitFor();
  const drawing = await api(portal.base, '/api/graph?format=json');
  assert.equal(await page.locator('svg.graph g.node').count(), drawing.services.length);
  assert.equal(await page.locator('svg.graph path.edge').count(), drawing.edges.length);
  assert.equal(await page.locator('#waves tbody tr').count(), drawing.waves.length);
  assert.match(await page.locator('svg.graph g.node[data-id="ledger-db"]').textContent(), /tier 0/);
  for (const [i, wave] of drawing.waves.entries()) {
    for (const id of wave) {
      assert.match(await page.locator(`#waves tbody tr:nth-child(${i + 1}) td`).first().textContent(), new RegExp(`${id} \\(`));
    }
  }
  assert.equal(await page.locator('svg.graph .on-cycle').count(), 0);
  await screenshot(page, 'graph');
  await page.close();
});

test('graph: a drawing with a cycle marks its services and edges and names it', async () => {
  // The drawing of tests/graphs/cyclic-catalog.json (`shipgate graph --format json`); the
  // portal's own catalog has no cycle, so the page is given this one.
  const cyclic = {
    cycles: [['orders', 'billing', 'accounts']],
    edges: [['orders', 'billing'], ['billing', 'accounts'], ['accounts', 'orders'], ['storefront', 'orders']],
    services: ['orders', 'billing', 'accounts', 'storefront', 'search'],
    tiers: { accounts: 0, billing: 1, orders: 1, search: 2, storefront: 2 },
    waves: [['search']],
  };
  const page = await portal.newPage();
  await page.route('**/api/graph?format=json', (route) => route.fulfill({ json: cyclic }));
  await page.goto(`${portal.base}/graph.html`);
  await page.locator('svg.graph').waitFor();
  assert.equal(await page.locator('svg.graph g.node').count(), 5);
  assert.deepEqual(await page.locator('svg.graph g.node.on-cycle').evaluateAll((gs) => gs.map((g) => g.dataset.id)), ['orders', 'billing', 'accounts']);
  assert.equal(await page.locator('svg.graph path.edge.on-cycle').count(), 3);
  assert.match(await page.locator('#cycles').textContent(), /CYCLE: orders → billing → accounts/);
  assert.match(await page.locator('svg.graph').textContent(), /no wave \(on or after a cycle\)/);
  await page.close();
});

test('archive: the chain verifies and the table filters by change', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/archive.html`);
  await page.locator('#chain').waitFor();
  const all = await api(portal.base, '/api/archive');
  assert.equal(all.verify.ok, true);
  assert.match(await page.locator('#chain').textContent(), new RegExp(`CHAIN INTACT${all.verify.records} record`));
  assert.equal(await page.locator('#record-table tbody tr').count(), all.records.length);
  const one = all.records[0].change;
  await page.getByLabel('Change id').fill(one);
  await page.getByRole('button', { name: 'Verify and filter' }).click();
  const filtered = await api(portal.base, `/api/archive?change=${encodeURIComponent(one)}`);
  assert.ok(filtered.records.length < all.records.length, 'the filter narrows the example archive');
  await page.waitForFunction((n) => document.querySelectorAll('#record-table tbody tr').length === n, filtered.records.length);
  for (const cell of await page.locator('#record-table tbody tr td:nth-child(3)').allTextContents()) assert.equal(cell, one);
  // A period with no record empties the table but the chain is still verified whole.
  await page.getByLabel('Change id').fill('');
  await page.getByLabel('From (UTC day, included)').fill('2030-01-01');
  await page.getByRole('button', { name: 'Verify and filter' }).click();
  await page.waitForFunction(() => document.getElementById('record-count').textContent.startsWith('0 record'));
  assert.match(await page.locator('#chain').textContent(), new RegExp(`${all.verify.records} record`));
  await page.getByLabel('From (UTC day, included)').fill('');
  await page.getByRole('button', { name: 'Verify and filter' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#record-table tbody tr').length === n, all.records.length);
  await screenshot(page, 'archive');
  await page.close();
});

test('metrics: the figures per service and the chart of the four measures', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/metrics.html`);
  await page.locator('#figures-table').waitFor();
  await page.getByLabel('Break down by').selectOption('service');
  await page.getByRole('button', { name: 'Show' }).click();
  const m = await api(portal.base, '/api/metrics?by=service');
  assert.ok(m.groups.length > 1);
  await page.waitForFunction((n) => document.querySelectorAll('#figures-table tbody tr').length === n, m.groups.length + 1);
  const all = page.locator('#figures-table tbody tr').first();
  assert.match(await all.textContent(), new RegExp(`^All${m.deployments}`));
  const chart = page.locator('#metrics-chart');
  await chart.waitFor();
  await page.waitForFunction(() => document.getElementById('metrics-chart').complete);
  const size = await chart.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  assert.ok(size[0] > 100 && size[1] > 100, `the chart loaded (${size})`);
  assert.ok((await chart.boundingBox()).height > 100, 'the chart is visible');
  await screenshot(page, 'metrics');
  // A period narrows the figures the same way the API does.
  await page.getByLabel('From (UTC day, included)').fill('2026-10-19');
  await page.getByLabel('To (UTC day, excluded)').fill('2026-11-02');
  await page.getByRole('button', { name: 'Show' }).click();
  const period = await api(portal.base, '/api/metrics?by=service&from=2026-10-19T00:00:00Z&to=2026-11-02T00:00:00Z');
  assert.ok(period.deployments < m.deployments);
  await page.waitForFunction((n) => document.querySelector('#figures-table tbody tr').textContent.startsWith(`All${n}`), period.deployments);
  assert.match(await page.locator('#metrics-chart').getAttribute('src'), /from=2026-10-19T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z/);
  await page.close();
});

test('home: links to the six pages, and every page has the nav and one h1', async () => {
  const page = await portal.newPage();
  await page.goto(`${portal.base}/`);
  await page.waitForFunction(() => document.querySelectorAll('#pages a').length > 0);
  const links = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, ['/check.html', '/calendar.html', '/train.html', '/graph.html', '/archive.html', '/metrics.html']);
  await screenshot(page, 'home');
  for (const href of links) {
    await page.goto(`${portal.base}${href}`);
    assert.equal(await page.locator('h1').count(), 1, href);
    assert.equal(await page.locator(`nav a[aria-current="page"]`).getAttribute('href'), href);
    assert.equal(await page.locator('nav a').count(), 6);
    // Every form control has a label.
    const unlabelled = await page.locator('input, select, textarea').evaluateAll((els) =>
      els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id || e.name));
    assert.deepEqual(unlabelled, [], href);
  }
  await page.close();
});

test('no request leaves localhost, and no page raised an error', async () => {
  // Run last (node:test runs a file's tests in order): what the earlier tests' pages did.
  assert.deepEqual(portal.outside, []);
  assert.deepEqual(portal.errors, []);
  const page = await portal.newPage();
  await page.goto(`${portal.base}/`);
  // The guard itself works: a request to another host is aborted and recorded.
  const result = await page.evaluate(() => fetch('http://example.com/x').then(() => 'fetched', () => 'blocked'));
  assert.equal(result, 'blocked');
  assert.deepEqual(portal.outside.splice(0), ['http://example.com/x']);
  await page.close();
});

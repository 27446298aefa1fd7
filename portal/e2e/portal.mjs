// Shared set-up of the end-to-end tests: the real portal server on a free local port, and the
// OS's Chromium driven by playwright-core, with every request that would leave localhost
// aborted and recorded (the tests assert that none was made).
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The instant the tests run at: a Monday, the start of the example train's week. */
export const NOW = '2026-12-07T08:00:00Z';

const here = dirname(fileURLToPath(import.meta.url));
/** Where `SHIPGATE_SCREENSHOTS=1` writes the pages' pictures (docs/portal/). */
export const SHOTS = join(here, '..', '..', 'docs', 'portal');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Starts the portal (its `buildServer` with "now" fixed to NOW, which the tests' expectations
 * are written for, listening on port 0 of 127.0.0.1) and Chromium. Returns `{ base, outside,
 * errors, newPage, close }`.
 */
export async function startPortal() {
  const { buildServer } = await import('../server.mjs');
  const app = await buildServer({ now: NOW });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address();
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: process.env.SHIPGATE_CHROMIUM || '/usr/bin/chromium',
    // launch() gives the browser a fresh profile of its own, removed on close.
    args: CHROMIUM_ARGS,
  });
  const outside = [];
  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  async function newPage() {
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      // A 4xx the page asked for on purpose is logged by Chromium as a failed resource.
      if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) errors.push(`${page.url()}: ${msg.text()}`);
    });
    return page;
  }
  async function close() {
    await context.close();
    await browser.close();
    await app.close();
  }
  return { base, outside, errors, newPage, close };
}

/** Writes `docs/portal/<name>.png` when SHIPGATE_SCREENSHOTS=1. */
export async function screenshot(page, name) {
  if (process.env.SHIPGATE_SCREENSHOTS !== '1') return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The API's answer, asked from the test itself (to compare the page with). */
export async function api(base, path, body) {
  const response = await fetch(`${base}${path}`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

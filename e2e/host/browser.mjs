// Drives GoPulse's frontend in the host (e2e/host) with Playwright and Debian's Chromium.
// Run by TestBrowser (e2e/browser_test.go), which starts the demo stack, the plugin and the
// host, and passes a config file: {url, uid, chromium, artifacts, report, dashboards, demo}.
// Every check is written to the report file as {name, ok, detail[, report]}.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { editorChecks } from './editors.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const checks = [];
const save = () => writeFileSync(cfg.report, JSON.stringify(checks, null, 1));

// GOPULSE_BROWSER_RUN (a regular expression) runs only the checks whose names match.
const only = process.env.GOPULSE_BROWSER_RUN ? new RegExp(process.env.GOPULSE_BROWSER_RUN) : undefined;

/** Runs one check: fn returns its detail (and report), or throws why it failed. */
async function check(name, fn) {
  if (only && !only.test(name)) {
    return;
  }
  const start = Date.now();
  try {
    const r = await fn();
    const detail = typeof r === 'string' ? r : (r?.detail ?? '');
    checks.push({ name, ok: true, detail: `${detail} (${Date.now() - start} ms)`, report: r?.report });
  } catch (e) {
    checks.push({ name, ok: false, detail: String(e?.message ?? e), report: e?.report });
    // What the page showed when the check failed.
    for (const [i, p] of context.pages().entries()) {
      await p
        .screenshot({ path: join(shots, `failed-${name.replace(/\W+/g, '-')}-${i}.png`), fullPage: true })
        .catch(() => undefined);
    }
  }
  for (const p of context.pages()) {
    await p.close().catch(() => undefined);
  }
  save();
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
const shots = join(cfg.artifacts, 'screenshots');
mkdirSync(shots, { recursive: true });

/** Opens a host view and waits until the plugin is loaded; page errors fail the check that opened it. */
async function open(view, params = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const q = new URLSearchParams({ uid: cfg.uid, view, ...params });
  await page.goto(`${cfg.url}/?${q}`);
  await page.waitForFunction(() => document.body.dataset.hostReady || document.body.dataset.hostError, null, {
    timeout: 30_000,
  });
  const bootError = await page.evaluate(() => document.body.dataset.hostError);
  if (bootError) {
    throw new Error(`the host did not load the plugin: ${bootError}`);
  }
  return { page, errors };
}

try {
  // Every bundled dashboard, through the frontend's own code in the page.
  for (const [file, dashboard] of Object.entries(cfg.dashboards)) {
    await check(`dashboard/${file}`, async () => {
      const { page } = await open('none');
      const report = await page.evaluate((d) => window.gopulseHost.runDashboard(d), dashboard);
      const count = (v) => report.panels.filter((p) => p.verdict === v).length;
      // The demo state has one instance per verdict: each verdict stat counts one.
      for (const p of report.panels.filter((p) => /^(Healthy|Warning|Critical|Down)$/.test(p.title))) {
        const rows = p.frames.reduce((n, f) => n + f.rows, 0);
        if (rows !== 1 && p.verdict === 'pass') {
          p.verdict = 'fail';
          p.reason = `counts ${rows} instances, want 1 (one demo instance has each verdict)`;
        }
      }
      const lines = report.panels.map((p) => `  ${p.verdict.padEnd(13)} #${p.id} ${p.type} "${p.title}": ${p.reason}`);
      const vars = report.variables.map(
        (v) => `  $${v.name} = ${JSON.stringify(v.values)}${v.error ? ` (${v.error})` : ''}`
      );
      const text = `${report.title}: ${count('pass')} passing, ${count('fail')} failing, ${count('not checkable')} not checkable\n${vars.join('\n')}\n${lines.join('\n')}`;
      // A variable that lists nothing is an empty picker on the dashboard: a failure too.
      const emptyVars = report.variables.filter((v) => v.error || v.values.length === 0);
      if (count('fail') > 0 || emptyVars.length > 0) {
        const err = new Error(text);
        err.report = report;
        throw err;
      }
      return { detail: text, report };
    });
  }
  for (const [name, fn] of editorChecks) {
    await check(name, () => fn({ open, cfg, shots }));
  }
} catch (e) {
  checks.push({ name: 'browser', ok: false, detail: String(e?.stack ?? e) });
  save();
} finally {
  await browser.close();
}

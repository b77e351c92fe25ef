// The editors' checks: for each query type, the editor renders, its pickers list the demo's
// real values, running the query answers with data, and a bad input shows its message;
// the ConfigEditor's saved settings pass Save & test. Each check gets {open, cfg, shots}
// and returns its detail, or throws why it failed.
import { join } from 'node:path';

const TIMEOUT = 20_000;

function assert(cond, msg) {
  if (!cond) {
    throw new Error(msg);
  }
}

/** The texts of the options a picker lists once opened (typing `filter` first, if given). */
async function pickerOptions(page, label, filter) {
  const input = page.getByLabel(label, { exact: true });
  // A tooltip left open by an earlier hover may cover the picker.
  await page.mouse.move(0, 0);
  await input.click({ force: true });
  if (filter !== undefined) {
    await input.fill(filter);
  }
  const options = page.getByRole('option');
  await options.first().waitFor({ timeout: TIMEOUT });
  // Options load from the backend and are filtered as the text changes: wait until the
  // list has stayed the same for half a second.
  let texts = await options.allTextContents();
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(500);
    const next = await options.allTextContents();
    if (next.length > 0 && next.join('\n') === texts.join('\n')) {
      break;
    }
    texts = next;
  }
  return texts;
}

/**
 * Picks the option whose text starts with (else contains) `text` in the picker labelled
 * `label`, until the query the page shows satisfies `done` (the options load
 * asynchronously: a click on a list being replaced is tried again, at most 3 times).
 */
async function pick(page, label, text, done = () => true) {
  let texts = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    texts = await pickerOptions(page, label, text);
    let i = texts.findIndex((t) => t.startsWith(text));
    if (i < 0) {
      i = texts.findIndex((t) => t.includes(text));
    }
    assert(i >= 0, `${label}: no option "${text}" among ${JSON.stringify(texts.slice(0, 20))}`);
    await page.getByRole('option').nth(i).click();
    await page.waitForTimeout(300);
    // A multi-value picker stays open, with the filter text typed.
    if (await page.getByRole('listbox').isVisible()) {
      await page.getByLabel(label, { exact: true }).fill('');
      await page.keyboard.press('Escape');
    }
    if (done(await query(page))) {
      return;
    }
  }
  throw new Error(
    `${label}: picking "${text}" did not change the query: ${JSON.stringify(await query(page))} (options ${JSON.stringify(texts.slice(0, 20))})`
  );
}

/** Clicks Run and returns the result summary the page shows for the last run started. */
async function run(page) {
  const status = page.getByTestId('host-status');
  const before = Number(await status.getAttribute('data-started'));
  await page.getByTestId('host-run').click();
  await page.waitForFunction(
    (prev) => {
      const el = document.querySelector('[data-testid="host-status"]');
      const started = Number(el?.getAttribute('data-started'));
      return started > prev && el?.getAttribute('data-shown') === String(started);
    },
    before,
    { timeout: TIMEOUT * 2 }
  );
  return JSON.parse(await page.getByTestId('host-result-json').textContent());
}

async function query(page) {
  return JSON.parse(await page.getByTestId('host-query').textContent());
}

function rows(summary) {
  return summary.frames.reduce((n, f) => n + f.rows, 0);
}

function expectData(summary, what) {
  assert(summary.state === 'Done', `${what}: errors ${JSON.stringify(summary.errors)}`);
  assert(rows(summary) > 0, `${what}: no rows in ${JSON.stringify(summary.frames)}`);
  return `${summary.frames.length} frames, ${rows(summary)} rows`;
}

/** A message shown in the editor area (a field's error, a hint, an alert). */
async function expectMessage(page, pattern, what) {
  const msg = page.getByTestId('host-editor').getByText(pattern).first();
  try {
    await msg.waitFor({ timeout: TIMEOUT });
  } catch {
    throw new Error(
      `${what}: no message matching ${pattern} in the editor: ${await page.getByTestId('host-editor').innerText()}`
    );
  }
  return (await msg.textContent()).trim();
}

/** The error the page shows for the run (as Grafana shows a query's error below its editor). */
async function expectRunError(page, pattern, what) {
  const summary = await run(page);
  assert(summary.state === 'Error', `${what}: the query answered without error: ${JSON.stringify(summary.frames)}`);
  const msg = summary.errors.join('; ');
  assert(pattern.test(msg), `${what}: error "${msg}" does not match ${pattern}`);
  await page
    .getByRole('alert')
    .filter({ hasText: summary.errors[0].slice(0, 40) })
    .first()
    .waitFor({ timeout: TIMEOUT });
  return msg;
}

async function screenshot(page, shots, name) {
  await page.getByTestId('host-editor').screenshot({ path: join(shots, `${name}.png`), animations: 'disabled' });
}

function noPageErrors(errors, what) {
  assert(errors.length === 0, `${what}: page errors: ${errors.join('; ')}`);
}

/** Types into the CodeMirror editor of the PromQL expression, replacing its text. */
async function typeExpr(page, text) {
  const content = page.locator('.cm-content').first();
  await content.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text, { delay: 20 });
}

async function completions(page) {
  const list = page.locator('.cm-tooltip-autocomplete li');
  await list.first().waitFor({ timeout: TIMEOUT });
  await page.waitForTimeout(300);
  return list.allTextContents();
}

/** Opens the query editor on a new query and picks the query type as a user does. */
async function openQuery(open, typeLabel) {
  const opened = await open('query');
  if (typeLabel !== 'PromQL') {
    await opened.page.getByRole('radio', { name: typeLabel, exact: true }).first().click({ force: true });
  }
  return opened;
}

export const editorChecks = [
  [
    'editor/promql',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await openQuery(open, 'PromQL');
      await page.locator('.cm-editor').first().waitFor({ timeout: TIMEOUT });
      await typeExpr(page, 'http_requests_t');
      const metrics = await completions(page);
      assert(
        metrics.some((t) => t.includes('http_requests_total')),
        `metric completion: ${JSON.stringify(metrics.slice(0, 20))}`
      );
      await typeExpr(page, 'up{job="');
      const values = await completions(page);
      assert(
        values.some((t) => t.includes(cfg.demo.job)),
        `label value completion: ${JSON.stringify(values.slice(0, 20))}`
      );
      await page.keyboard.press('Escape');
      await typeExpr(page, `up{job="${cfg.demo.job}"}`);
      await page.keyboard.press('Escape');
      const data = expectData(await run(page), 'up{job="demo"}');
      await screenshot(page, shots, 'promql');
      await typeExpr(page, 'sum(up) +');
      await page.keyboard.press('Escape');
      const err = await expectRunError(page, /parse error|unexpected/i, 'an operator without its right-hand side');
      noPageErrors(errors, 'promql');
      await page.close();
      return `completes metrics (${metrics.length} shown) and job values; ${data}; bad input: ${err}`;
    },
  ],
  [
    'editor/runtime',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await openQuery(open, 'Go runtime');
      const signals = await pickerOptions(page, 'Signal');
      assert(signals.length >= 5 && signals[0].startsWith('Goroutines'), `signals: ${JSON.stringify(signals)}`);
      await pick(page, 'Signal', 'Goroutines', (q) => q.signal === 'goroutines');
      await pick(page, 'Job', cfg.demo.job, (q) => q.job === cfg.demo.job);
      let q = await query(page);
      assert(q.signal === 'goroutines' && q.job === cfg.demo.job, `after picking the job: query ${JSON.stringify(q)}`);
      await pick(page, 'Instance', cfg.demo.instance, (q) => Boolean(q.instance));
      q = await query(page);
      assert(q.job === cfg.demo.job && q.instance, `after picking the instance: query ${JSON.stringify(q)}`);
      const data = expectData(await run(page), 'goroutines');
      await screenshot(page, shots, 'runtime');
      // A signal without an expvar source, read from expvar.
      const catalogue = await page.evaluate(() => window.gopulseHost.datasource.fetchRuntimeCatalogue());
      const noExpvar = catalogue.find((s) => !s.expvarPath);
      assert(noExpvar, 'every signal has an expvar source');
      await pick(page, 'Signal', noExpvar.title, (q) => q.signal === noExpvar.id);
      // The second "Expvar" radio: the source (the first is the query type).
      await page.getByRole('radio', { name: 'Expvar', exact: true }).nth(1).click({ force: true });
      const msg = await expectMessage(page, /has no expvar source/, 'signal without expvar source');
      const err = await expectRunError(page, /expvar/i, 'signal without expvar source');
      noPageErrors(errors, 'runtime');
      await page.close();
      return `signals listed (${signals.length} shown), job and instance pickers list the demo; ${data}; bad input: "${msg}" / "${err}"`;
    },
  ],
  [
    'editor/business',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await openQuery(open, 'Business');
      await pick(page, 'Metric', 'http_requests_total', (q) => q.metric === 'http_requests_total');
      const groupBy = await pickerOptions(page, 'Group by');
      assert(
        groupBy.some((t) => t === 'path' || t.includes('path')),
        `group by: ${JSON.stringify(groupBy)}`
      );
      await page.getByRole('option').filter({ hasText: 'path' }).first().click();
      await page.keyboard.press('Escape');
      await pick(page, 'Job', cfg.demo.job, (q) => q.job === cfg.demo.job);
      const q = await query(page);
      assert(q.metric === 'http_requests_total' && q.groupBy?.includes('path'), `query ${JSON.stringify(q)}`);
      const data = expectData(await run(page), 'http_requests_total by path');
      await screenshot(page, shots, 'business');
      const matchers = page.getByLabel('Matchers', { exact: true });
      await matchers.fill('{job="demo"}');
      await matchers.blur();
      const msg = await expectMessage(page, /Leave out the braces/, 'matchers in braces');
      noPageErrors(errors, 'business');
      await page.close();
      return `metric and group-by pickers list the demo's (${groupBy.length} labels); ${data}; bad input: "${msg}"`;
    },
  ],
  [
    'editor/expvar',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await openQuery(open, 'Expvar');
      const targets = await pickerOptions(page, 'Targets');
      assert(
        targets.some((t) => t.includes(cfg.demo.instance)),
        `targets: ${JSON.stringify(targets)}`
      );
      await pick(page, 'Targets', `demo/${cfg.demo.instance}`, (q) => q.targets?.length === 1);
      // A new expvar query reads goroutines; add a path of the demo's.
      const paths = await pickerOptions(page, 'Paths', 'memstats.Heap');
      assert(
        paths.some((t) => t.startsWith('memstats.HeapAlloc')),
        `paths: ${JSON.stringify(paths)}`
      );
      await pick(page, 'Paths', 'memstats.HeapAlloc', (q) => q.paths?.includes('memstats.HeapAlloc'));
      const q = await query(page);
      assert(
        q.paths?.includes('goroutines') && q.paths.includes('memstats.HeapAlloc') && q.targets?.length === 1,
        `query ${JSON.stringify(q)}`
      );
      const data = expectData(await run(page), 'expvar goroutines and memstats.HeapAlloc');
      await screenshot(page, shots, 'expvar');
      // Remove every path: the editor says what is missing.
      const editor = page.getByTestId('host-editor');
      for (let i = 0; i < 10 && (await query(page)).paths?.length; i++) {
        await editor
          .getByRole('button', { name: /^Remove / })
          .last()
          .dispatchEvent('click');
      }
      const msg = await expectMessage(page, /Enter at least one path/, 'no paths');
      noPageErrors(errors, 'expvar');
      await page.close();
      return `targets (${targets.length}) and paths pickers list the demo's; ${data}; bad input: "${msg}"`;
    },
  ],
  [
    'editor/alerts',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await openQuery(open, 'Alerts');
      const labels = await pickerOptions(page, 'Label');
      assert(labels.includes('alertname'), `alert labels: ${JSON.stringify(labels)}`);
      await page.getByRole('option', { name: 'alertname', exact: true }).click();
      await pick(page, 'Value', cfg.demo.firingAlert);
      await page.getByTestId('host-editor').getByRole('button', { name: 'Add', exact: true }).click();
      const q = await query(page);
      assert(q.matchers === `alertname="${cfg.demo.firingAlert}"`, `after Add: query ${JSON.stringify(q)}`);
      const summary = await run(page);
      const data = expectData(summary, 'alerts');
      assert(
        summary.frames.every((f) => f.rows === 1),
        `one alert of that name: ${JSON.stringify(summary.frames)}`
      );
      await screenshot(page, shots, 'alerts');
      const matchers = page.getByLabel('Matchers', { exact: true });
      await matchers.fill('severity=');
      await matchers.blur();
      const msg = await expectMessage(page, /Not a label matcher/, 'bad matcher');
      noPageErrors(errors, 'alerts');
      await page.close();
      return `label and value pickers list ALERTS's (alertname → ${cfg.demo.firingAlert}); ${data}; bad input: "${msg}"`;
    },
  ],
  [
    'editor/health',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await openQuery(open, 'Health');
      await pick(page, 'Job', cfg.demo.job, (q) => q.job === cfg.demo.job);
      await pick(page, 'Instance', cfg.demo.instance, (q) => Boolean(q.instance));
      const signals = await page.evaluate(() => window.gopulseHost.datasource.fetchHealthSignals());
      assert(signals.length >= 5, `health signals: ${JSON.stringify(signals)}`);
      const editor = page.getByTestId('host-editor');
      const toggle = editor.getByText(/Thresholds/).first();
      await toggle.click();
      for (const s of signals) {
        await editor.getByLabel(`${s.title || s.id} warning`).waitFor({ timeout: TIMEOUT });
      }
      const data = expectData(await run(page), 'health');
      await screenshot(page, shots, 'health');
      const input = editor.getByLabel(`${signals[0].title || signals[0].id} warning`);
      await input.fill('lots');
      await input.blur();
      const msg = await expectMessage(page, /Not a number/, 'threshold not a number');
      noPageErrors(errors, 'health');
      await page.close();
      return `${signals.length} health signals with threshold inputs, job and instance pickers list the demo; ${data}; bad input: "${msg}"`;
    },
  ],
  [
    'editor/variable',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await open('variable');
      const labels = await pickerOptions(page, 'Label');
      assert(labels.includes('job'), `labels: ${JSON.stringify(labels)}`);
      await page.getByRole('option', { name: 'job', exact: true }).click();
      let s = await run(page);
      expectData(s, 'label_values(job)');
      assert(s.values.includes(cfg.demo.job), `job values: ${JSON.stringify(s.values)}`);
      const kinds = {};
      for (const [kind, expect] of [
        ['Expvar targets', cfg.demo.instance],
        ['Expvar paths', 'goroutines'],
        ['Alert names', cfg.demo.firingAlert],
      ]) {
        await page.getByRole('radio', { name: kind, exact: true }).click({ force: true });
        s = await run(page);
        expectData(s, kind);
        assert(
          s.values.some((v) => v.includes(expect)),
          `${kind}: values ${JSON.stringify(s.values.slice(0, 30))} lack ${expect}`
        );
        kinds[kind] = rows(s);
      }
      await page.getByRole('radio', { name: 'Label values', exact: true }).click({ force: true });
      await pick(page, 'Label', 'job', (q) => q.variableQuery?.label === 'job');
      await screenshot(page, shots, 'variable');
      const regex = page.getByLabel('Regex', { exact: true });
      await regex.fill('/(unclosed/');
      await regex.blur();
      const err = await expectRunError(page, /regex|regular expression|missing closing/i, 'bad regex');
      noPageErrors(errors, 'variable');
      await page.close();
      return `label picker lists the demo's labels; job values, ${JSON.stringify(kinds)} values; bad input: ${err}`;
    },
  ],
  [
    'editor/config',
    async ({ open, cfg, shots }) => {
      const { page, errors } = await open('config');
      const editor = page.getByTestId('host-editor');
      await editor
        .getByText(/Alertmanager/)
        .first()
        .waitFor({ timeout: TIMEOUT });
      const html = await editor.innerHTML();
      assert(html.includes(cfg.demo.prometheus), `the saved Prometheus URL ${cfg.demo.prometheus} is not shown`);
      await page.getByTestId('data-testid Data source settings page Save and Test button').click();
      const result = page.getByTestId('host-test-result');
      await result.waitFor({ timeout: TIMEOUT * 2 });
      const status = await result.getAttribute('data-status');
      const message = (await result.innerText()).trim();
      assert(status === 'success', `Save & test: ${status}: ${message}`);
      await screenshot(page, shots, 'config');
      // A bad Alertmanager URL: the field says so.
      const am = editor.getByLabel('Alertmanager URL');
      await am.fill('alertmanager:9093');
      await am.blur();
      const msg = await expectMessage(page, /Must start with http|Not a URL/, 'Alertmanager URL without scheme');
      noPageErrors(errors, 'config');
      await page.close();
      return `Save & test: "${message}"; bad input: "${msg}"`;
    },
  ],
];

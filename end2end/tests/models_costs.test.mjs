// Models, costs and notifications in a real browser: a run started over a
// small budget (refused, then overridden), its model's files downloaded
// and compared byte for byte with storage (and the .tar.gz bundle), exported
// to GGUF q8_0 and that file downloaded, edited, the run
// continued from the model with the parent shown in the version chain, the
// budget banner and alert, the notifications read, the costs page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BASE, EQ12_JSON, OUTPUT, fillShortRun, hydrated, launch, newPage, openModel, signUp, uniqueEmail, uploadReadyDataset,
  waitForCompletedJob,
} from './helpers.mjs';

const STORAGE = process.env.BRIGHTRUN_E2E_STORAGE;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The adapter folder of `model` in the server's storage. */
function adapterDir(model) {
  const root = join(STORAGE, 'lora-models');
  for (const owner of readdirSync(root)) {
    const dir = join(root, owner, model, 'adapter');
    try { readdirSync(dir); return dir; } catch { /* another owner's */ }
  }
  throw new Error(`no adapter for ${model} under ${root}`);
}

/** The files of a tar archive: name → bytes. */
function untar(buf) {
  const files = new Map();
  for (let at = 0; at + 512 <= buf.length;) {
    const name = buf.subarray(at, at + 100).toString().replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(buf.subarray(at + 124, at + 136).toString().replace(/\0.*$/s, ''), 8);
    files.set(name, buf.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Starts a short run from the configure page, overriding the budget when asked. */
async function startShortRun(page, steps, keep = 'best', validation = '') {
  await fillShortRun(page, steps);
  await page.selectOption('[data-testid=keep-adapter-select]', keep);
  if (validation) {
    await page.selectOption('[data-testid=validation-select]', validation);
    // The estimate counts the file's validation passes.
    await page.waitForFunction(() => /passes/.test(document.querySelector('[data-testid=estimate-validation]')?.textContent ?? ''));
  }
  await page.click('[data-testid=start-job]');
  // The estimate passes the $0.01 budget: refused with the numbers.
  await page.waitForSelector('[data-testid=over-budget]');
  assert.match(await page.textContent('[data-testid=over-budget]'), /monthly budget/);
  assert.match(page.url(), /\/training\/configure/);
  await page.check('[data-testid=budget-override]');
  await page.click('[data-testid=start-job]');
  await waitForCompletedJob(page);
  return openModel(page);
}

test('download, continue training, budget alert, notifications, costs', async () => {
  assert.ok(STORAGE, 'BRIGHTRUN_E2E_STORAGE names the server\'s storage folder');
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('models'));
  const dataset = (await uploadReadyDataset(page)).split('/').pop();
  const validation = (await uploadReadyDataset(page, EQ12_JSON)).split('/').pop();

  await page.goto(`${BASE}/settings`);
  await hydrated(page);
  await page.fill('#monthly-budget', '0.01');
  await page.click('[data-testid=save-budget]');
  await page.waitForSelector('[data-testid=budget-saved]');

  await page.goto(`${BASE}/training/configure?datasetId=${dataset}`);
  const model = await startShortRun(page, 4);

  // Each file, downloaded by the browser, is storage's bytes.
  await page.click('[data-testid=get-downloads]');
  await page.waitForSelector('[data-testid=download-links]');
  const dir = adapterDir(model);
  const names = await page.$$eval('[data-testid=download-file]', (as) => as.map((a) => a.dataset.name));
  assert.deepEqual(names, ['adapter_config.json', 'adapter_model.safetensors', 'training_args.json', 'metrics.jsonl']);
  for (const name of names) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`[data-testid=download-file][data-name="${name}"]`),
    ]);
    const got = readFileSync(await download.path());
    assert.ok(got.equals(readFileSync(join(dir, name))), `${name} matches storage`);
  }
  const [bundle] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-bundle]')]);
  assert.match(bundle.suggestedFilename(), /\.tar\.gz$/);
  const files = untar(gunzipSync(readFileSync(await bundle.path())));
  assert.equal(files.size, 4);
  for (const [path, bytes] of files) {
    assert.ok(bytes.equals(readFileSync(join(dir, path.split('/').pop()))), `${path} in the bundle matches storage`);
  }
  // Export to GGUF q8_0 from the page: a progress bar while it runs, then
  // a link whose download is the file in storage.
  const q8 = '[data-testid=export-row][data-format="gguf-q8_0"]';
  await page.click(`${q8} [data-testid=export-start]`);
  await page.waitForSelector(`${q8} [data-testid=export-links]`, { timeout: 120_000 });
  assert.equal(await page.textContent(`${q8} [data-testid=export-status]`), 'completed');
  await page.click(`${q8} [data-testid=export-links]`);
  await page.waitForSelector(`${q8} [data-testid=export-file]`);
  const [gguf] = await Promise.all([page.waitForEvent('download'), page.click(`${q8} [data-testid=export-file]`)]);
  assert.equal(gguf.suggestedFilename(), 'model-q8_0.gguf');
  const ggufBytes = readFileSync(await gguf.path());
  assert.equal(ggufBytes.subarray(0, 4).toString(), 'GGUF');
  assert.ok(ggufBytes.equals(readFileSync(join(dir, '..', 'exports', 'gguf-q8_0', 'model-q8_0.gguf'))), 'the export matches storage');
  // The other formats still offer their button.
  assert.equal(await page.locator('[data-testid=export-start]').count(), 4);

  // The page says which step's weights the adapter holds: the trainer's choice.
  const args = JSON.parse(readFileSync(join(dir, 'training_args.json'), 'utf8'));
  assert.equal(args.keep_adapter, 'best');
  assert.equal(await page.textContent('[data-testid=model-adapter-step]'), `step ${args.adapter_step} · best validation loss`);
  assert.match(await page.textContent('[data-testid=model-adapter-why]'), /lowest validation loss/);
  // Edit the name and description in place.
  await page.click('[data-testid=edit-model]');
  await page.fill('#model-name-input', 'EQ adapter v1');
  await page.fill('#model-description-input', 'First pass on EQ-12.');
  await page.click('[data-testid=save-model]');
  await page.waitForFunction(() => document.querySelector('[data-testid=model-name]')?.textContent === 'EQ adapter v1');
  assert.equal(await page.textContent('[data-testid=model-description]'), 'First pass on EQ-12.');
  const parentName = await page.textContent('[data-testid=model-name]');
  await page.screenshot({ path: `${OUTPUT}model.png`, fullPage: true });

  // Continue training: the configure page names the parent, the new model links to it.
  await page.click('[data-testid=continue-training]');
  await page.waitForURL(/parentModelId=/);
  await hydrated(page);
  await page.waitForSelector('[data-testid=parent-banner]');
  assert.match(await page.textContent('[data-testid=parent-banner]'), /Continuing/);
  const child = await startShortRun(page, 2, 'last', validation);
  assert.notEqual(child, model);
  assert.equal(await page.getAttribute('[data-testid=model-validation] a', 'href'), `/datasets/${validation}`);
  assert.equal(await page.textContent('[data-testid=model-adapter-step]'), 'step 2 · last step');
  assert.match(await page.textContent('[data-testid=model-adapter-why]'), /as the job asked/);
  await page.waitForSelector('[data-testid=version-chain]');
  const versions = await page.$$('[data-testid=version]');
  assert.equal(versions.length, 2);
  assert.equal(await page.textContent('[data-testid=parent-link]'), parentName);
  await page.click('[data-testid=parent-link]');
  await page.waitForURL(`${BASE}/models/${model}`);
  await page.waitForSelector('[data-testid=version-children]');

  // Past the budget: the banner says so and an alert is among the notifications.
  await page.reload();
  await hydrated(page);
  await page.waitForSelector('[data-testid=budget-banner][data-level="100"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=unread-count]')?.textContent) > 0, null, { timeout: 10_000 });
  await page.click('[data-testid=bell]');
  await page.waitForSelector('[data-testid=bell-menu] li');
  assert.match(await page.textContent('[data-testid=bell-menu]'), /monthly budget used|Adapter ready|Training complete/);
  await page.click('[data-testid=bell-menu] >> text=All notifications');
  await page.waitForURL(`${BASE}/notifications`);
  await hydrated(page);
  await page.waitForSelector('[data-testid=notification-list]');
  const kinds = await page.$$eval('[data-testid=notification]', (li) => li.map((l) => l.dataset.kind));
  for (const kind of ['budget_alert', 'artifact_ready', 'job_completed', 'job_started', 'dataset_ready']) {
    assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
  }
  assert.equal(kinds.filter((k) => k === 'budget_alert').length >= 1, true);
  await page.screenshot({ path: `${OUTPUT}notifications.png`, fullPage: true });
  await page.click('[data-testid=mark-all-read]');
  await page.waitForFunction(() => document.querySelector('[data-testid=unread-summary]')?.textContent.startsWith('0 unread'));
  assert.equal(await page.$$eval('[data-testid=notification][data-read=false]', (l) => l.length), 0);

  // The costs page: this month, by job, the records and their export.
  await page.goto(`${BASE}/costs`);
  await hydrated(page);
  await page.waitForSelector('[data-testid=cost-summary]');
  await page.waitForSelector('[data-testid=cost-by-job] tbody tr');
  assert.equal(await page.$$eval('[data-testid=cost-by-job] tbody tr', (r) => r.length), 2);
  await page.waitForSelector('[data-testid=cost-records] tbody tr');
  await page.waitForSelector('[data-testid=budget-meter]');
  assert.ok(await page.isVisible('[data-testid=cost-trend]'));
  assert.ok(await page.locator('[data-testid=cost-trend] svg [data-series]').count() >= 1, 'a bar per day');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=costs-csv]')]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\r\n');
  const rows = await page.$$eval('[data-testid=cost-records] tbody tr', (r) => r.length);
  assert.equal(lines.length - 1, rows, 'the export has a line per record shown');
  await page.screenshot({ path: `${OUTPUT}costs.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
});

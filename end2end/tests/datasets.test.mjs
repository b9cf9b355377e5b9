// Datasets in a real browser: the EQ-12 JSONL through the wizard to `ready`;
// a broken file refused before any upload; edit and delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BASE, OUTPUT, hydrated, launch, newPage, signUp, uniqueEmail } from './helpers.mjs';

const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/EQ-12-conversations-demo.jsonl', import.meta.url));

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('EQ-12 JSONL: checked in the browser, uploaded with progress, ready with 44 examples', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('upload'));
  await page.goto(`${BASE}/datasets`);
  await page.waitForSelector('text=No datasets yet');
  await page.click('a:has-text("Upload dataset")');
  await page.waitForURL(`${BASE}/datasets/new`);
  await hydrated(page);

  const uploads = [];
  page.on('request', (r) => { if (r.method() === 'PUT') uploads.push(r.url()); });
  await page.setInputFiles('[data-testid=file-input]', FIXTURE);
  await page.waitForSelector('[data-testid=precheck-ok]');
  assert.match(await page.textContent('[data-testid=precheck-ok]'), /44 trainable examples in 12 conversations/);
  assert.equal(await page.inputValue('#dataset-name'), 'EQ-12-conversations-demo');
  assert.equal(uploads.length, 0, 'nothing is uploaded before the user asks');

  // On loopback the upload takes milliseconds: record every progress line shown.
  await page.evaluate(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid=upload-detail]');
      if (el) window.__progress.push(el.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.click('[data-testid=upload-button]');
  await page.waitForURL(/\/datasets\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  const progress = await page.evaluate(() => window.__progress);
  assert.ok(progress.some((t) => /\d+% · [\d.]+ MB\/s · \d+ s left/.test(t)), `progress shown: ${JSON.stringify(progress)}`);
  assert.equal(uploads.length, 1);
  assert.match(uploads[0], /\/storage\/lora-datasets\//);

  // The server validates (the worker runs in the server) and the page follows.
  await page.waitForSelector('[data-testid=dataset-status][data-status=ready]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=dataset-stats]');
  const stats = await page.textContent('[data-testid=dataset-stats]');
  assert.match(stats, /Trainable examples44/);
  assert.match(stats, /Conversations12/);
  // Drawn on the server (charts-rs): a step per bin, axes and labels.
  await page.waitForSelector('[data-testid=token-histogram] svg');
  assert.ok(await page.isVisible('[data-testid=token-histogram]'));
  const bins = Number(await page.getAttribute('[data-testid=token-histogram]', 'data-points'));
  assert.ok(bins > 3, `histogram has ${bins} bins`);
  assert.ok(await page.locator('[data-testid=token-histogram] svg path').count() >= 2);
  assert.match(await page.textContent('[data-testid=token-histogram]'), /Tokens per example/);
  assert.match(await page.textContent('body'), /cl100k_base/);
  assert.ok(await page.isVisible('[data-testid=train-link]'));
  await page.screenshot({ path: `${OUTPUT}dataset-ready.png`, fullPage: true });

  // Edit the name, then delete with confirmation.
  await page.fill('#edit-name', 'EQ-12 renamed');
  await page.click('[data-testid=save-dataset]');
  await page.waitForSelector('h1:text-is("EQ-12 renamed")');
  await page.click('[data-testid=delete-dataset]');
  await Promise.all([page.waitForURL(`${BASE}/datasets`), page.click('[data-testid=confirm-delete]')]);
  await page.waitForSelector('text=No datasets yet');
  assert.deepEqual(page.errors, []);
});

test('a broken file shows line-numbered errors before any upload', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('broken'));
  await page.goto(`${BASE}/datasets/new`);
  await hydrated(page);
  const broken = `${OUTPUT}broken.jsonl`;
  writeFileSync(broken, [
    '{"_meta":{"total_pairs":2,"version":"4.0.0"}}',
    '{"system_prompt":"s","conversation_history":[],"current_user_input":"hi","target_response":"hello"}',
    'this line is not json',
    '{"system_prompt":"s","conversation_history":[],"current_user_input":"hi","target_response":42}',
  ].join('\n'));
  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT' || r.url().includes('create_dataset')) puts.push(r.url()); });
  await page.setInputFiles('[data-testid=file-input]', broken);
  await page.waitForSelector('[data-testid=precheck-failed]');
  const errors = await page.textContent('[data-testid=report-errors]');
  assert.match(errors, /line 3/);
  assert.match(errors, /line 4/);
  assert.match(errors, /target_response/);
  assert.equal(await page.isDisabled('[data-testid=upload-button]'), true);
  assert.equal(puts.length, 0, 'nothing was sent');
  await page.screenshot({ path: `${OUTPUT}dataset-broken.png`, fullPage: true });
});

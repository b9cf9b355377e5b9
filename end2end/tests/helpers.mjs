// Shared by the browser tests: Debian's Chromium through playwright-core,
// the server under test (BRIGHTRUN_E2E_URL, always loopback), and waiting
// for hydration before any click (a click before it is lost).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BASE = process.env.BRIGHTRUN_E2E_URL ?? 'http://127.0.0.1:3000';
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(BASE)) {
  throw new Error(`browser tests only talk to loopback, not ${BASE}`);
}
export const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
mkdirSync(OUTPUT, { recursive: true });
export const PASSWORD = 'a long enough password';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

/** A fresh page whose console errors fail the test that collects them. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // A refused request (4xx) is expected behaviour; anything else is not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page) {
  await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 30_000 });
}

export function uniqueEmail(tag) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export async function signUp(page, email) {
  await page.goto(`${BASE}/signup`);
  await hydrated(page);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL(`${BASE}/`),
    page.click('button[type=submit]'),
  ]);
  await hydrated(page);
}

export const EQ12_JSONL = fileURLToPath(new URL('../../../shared/fixtures/EQ-12-conversations-demo.jsonl', import.meta.url));
export const EQ12_JSON = fileURLToPath(new URL('../../../shared/fixtures/EQ-12-conversations-demo.json', import.meta.url));

/** Uploads EQ-12 through the wizard and waits until the server says ready; its page URL. */
export async function uploadReadyDataset(page, file = EQ12_JSONL) {
  await page.goto(`${BASE}/datasets/new`);
  await hydrated(page);
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('[data-testid=precheck-ok]');
  await page.click('[data-testid=upload-button]');
  await page.waitForURL(/\/datasets\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await page.waitForSelector('[data-testid=dataset-status][data-status=ready]', { timeout: 60_000 });
  return page.url();
}

/**
 * On the configure page: a short CPU run of `steps` steps (sequence length
 * 128, an evaluation every 2 steps answering `samples` held-out prompts),
 * once the estimate counts those steps. Starting it is the caller's.
 */
export async function fillShortRun(page, steps, samples = 2) {
  await hydrated(page);
  await page.waitForSelector('[data-testid=estimate]', { timeout: 30_000 });
  await page.click('[data-testid=advanced] summary');
  await page.fill('#field-max_steps', String(steps));
  await page.fill('#field-max_seq_len', '128');
  await page.fill('#field-eval_interval', '2');
  await page.fill('#field-eval_samples', String(samples));
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=estimate-steps]')?.textContent.replace(/,/g, '') === String(n),
    steps, { timeout: 10_000 },
  );
}

/** After Start: waits on the job page until the run completes. */
export async function waitForCompletedJob(page) {
  await page.waitForURL(/\/training\/jobs\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await hydrated(page);
  await page.waitForSelector('[data-testid=job-status][data-status=completed]', { timeout: 240_000 });
}

/** From a completed job's page to its model's page; the model's id. */
export async function openModel(page) {
  await page.click('[data-testid=model-link]');
  await page.waitForURL(/\/models\/[0-9a-f-]{36}$/);
  await hydrated(page);
  return page.url().split('/').pop();
}

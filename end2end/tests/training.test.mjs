// The whole loop in a real browser with the built-in tiny model on this
// machine's CPU: upload EQ-12, configure (a preset cut to a few steps),
// start, watch the loss chart gain points over refreshes, see the job
// complete, follow the link to the model. And cancel mid-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, OUTPUT, hydrated, launch, newPage, signUp, uniqueEmail, uploadReadyDataset } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function points(page) {
  return Number(await page.getAttribute('[data-testid=loss-chart]', 'data-points'));
}

/** Sets an advanced field the way a user types it. */
async function setField(page, field, value) {
  await page.fill(`#field-${field}`, String(value));
}

async function configure(page, { maxSteps, epochs }) {
  await page.click('[data-testid=train-link]');
  await page.waitForURL(/\/training\/configure\?datasetId=/);
  await hydrated(page);
  await page.waitForSelector('[data-testid=estimate]', { timeout: 30_000 });
  await page.click('[data-testid=preset-conservative]');
  assert.equal(await page.getAttribute('[data-testid=preset-conservative]', 'aria-checked'), 'true');
  await page.click('[data-testid=advanced] summary');
  // Editing a value a preset sets makes it Custom; choosing the preset again restores it.
  await setField(page, 'learning_rate', '0.0005');
  await page.waitForSelector('[data-testid=preset-custom][aria-checked=true]');
  await page.click('[data-testid=preset-conservative]');
  assert.equal(await page.inputValue('#field-learning_rate'), '0.0001');
  // Out of range: the field says so and nothing can start.
  await setField(page, 'batch_size', '100');
  await page.waitForSelector('text=Batch size must be between 1 and 64.');
  assert.equal(await page.isDisabled('[data-testid=start-job]'), true);
  // Cut to a short run; epochs makes it Custom.
  await setField(page, 'batch_size', '4');
  await setField(page, 'max_seq_len', '256');
  await setField(page, 'eval_interval', '3');
  await setField(page, 'epochs', String(epochs));
  await setField(page, 'max_steps', String(maxSteps));
  // Conservative's batch of 4 over the 40 training examples: 10 steps an epoch.
  const steps = Math.min(maxSteps, epochs * 10);
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=estimate-steps]')?.textContent.replace(/,/g, '') === String(n),
    steps, { timeout: 10_000 },
  );
  // The test server prices the CPU at $36 an hour.
  const cost = await page.textContent('[data-testid=estimate-cost]');
  assert.match(cost, /^\$\d+\.\d{2,4}$/);
  assert.notEqual(cost, '$0.00');
}

test('configure, train, watch the loss fall live, open the model', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('train'));
  await uploadReadyDataset(page);
  await configure(page, { maxSteps: 40, epochs: 10 });
  await page.screenshot({ path: `${OUTPUT}configure.png`, fullPage: true });
  await page.click('[data-testid=start-job]');
  await page.waitForURL(/\/training\/jobs\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await hydrated(page);

  // The chart gains points across at least two refreshes.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 0, null, { timeout: 90_000 });
  const first = await points(page);
  const refreshes = Number(await page.getAttribute('[data-testid=refresh-count]', 'data-refreshes'));
  await page.waitForFunction(
    ([p, r]) => {
      const chart = Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points);
      const count = Number(document.querySelector('[data-testid=refresh-count]')?.dataset.refreshes);
      return count >= r + 2 && chart > p;
    },
    [first, refreshes], { timeout: 90_000 },
  );
  assert.ok(await points(page) > first);
  // The log gains lines while it trains, without a reload (the poll brings
  // what came after the page's offset).
  const evalLines = () => (document.querySelector('[data-testid=job-log]')?.textContent.match(/validation loss/g) ?? []).length;
  const linesBefore = await page.evaluate(evalLines);
  await page.waitForFunction((n) => {
    const lines = (document.querySelector('[data-testid=job-log]')?.textContent.match(/validation loss/g) ?? []).length;
    return lines > n;
  }, linesBefore, { timeout: 90_000 });
  await page.screenshot({ path: `${OUTPUT}job-running.png`, fullPage: true });

  await page.waitForSelector('[data-testid=job-status][data-status=completed]', { timeout: 180_000 });
  assert.equal(await points(page), 40);
  // Drawn on the server (charts-rs); the switch asks for a log loss axis.
  assert.match(await page.textContent('[data-testid=loss-chart]'), /Training loss/);
  await page.click('[data-testid=loss-log-scale]');
  await page.waitForFunction(() => document.querySelector('[data-testid=loss-chart]')?.textContent.includes('Loss (log)'), null, { timeout: 15_000 });
  assert.equal(await points(page), 40);
  assert.match(await page.textContent('[data-testid=job-progress]'), /Step 40 of 40/);
  assert.match(await page.textContent('[data-testid=job-log]'), /completed: 40 steps/);
  await page.screenshot({ path: `${OUTPUT}job-completed.png`, fullPage: true });

  await page.click('[data-testid=model-link]');
  await page.waitForURL(/\/models\/[0-9a-f-]{36}$/);
  await page.waitForSelector('[data-testid=model-quality]');
  const rating = Number(await page.getAttribute('[data-testid=model-rating]', 'data-rating'));
  assert.ok(rating >= 1 && rating <= 5);
  await page.goto(`${BASE}/models`);
  await page.waitForSelector('[data-testid=model-list]');
  assert.deepEqual(page.errors, []);
});

test('cancel mid-run: the trainer stops and the job shows cancelled', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('cancel'));
  await uploadReadyDataset(page);
  await configure(page, { maxSteps: 5000, epochs: 50 });
  await page.click('[data-testid=start-job]');
  await page.waitForURL(/\/training\/jobs\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await hydrated(page);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 0, null, { timeout: 90_000 });
  await page.click('[data-testid=cancel-job]');
  await page.click('[data-testid=confirm-cancel]');
  await page.waitForSelector('[data-testid=job-status][data-status=cancelled]', { timeout: 30_000 });
  const steps = await points(page);
  assert.ok(steps < 500);
  // The run has stopped: a reload shows the same, and no new points arrive.
  await page.waitForTimeout(3000);
  await page.reload();
  await hydrated(page);
  await page.waitForSelector('[data-testid=job-status][data-status=cancelled]');
  assert.equal(await points(page), steps);
  assert.ok(await page.isVisible('[data-testid=retry-job]'));
  await page.goto(`${BASE}/training/jobs`);
  await page.waitForSelector('[data-testid=job-list]');
  assert.match(await page.textContent('[data-testid=job-list]'), /cancelled/);
  assert.deepEqual(page.errors, []);
});

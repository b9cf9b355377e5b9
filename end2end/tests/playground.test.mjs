// What the model says, in a real browser: a short run trained on the
// machine's CPU answers two held-out prompts at each evaluation; the job
// page shows the latest answers beside the reference, the model page the
// base model's, the adapter's and the reference with the validation loss
// before and after. Then the playground, started from the dataset's own
// system prompt: a message sent with "compare with the base model" on; the
// fine-tuned answer arrives in more than one piece while the base model
// waits its turn in the queue, and both finish with their token counts;
// the conversation keeps the exchange.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  EQ12_JSONL, OUTPUT, fillShortRun, launch, newPage, openModel, signUp, uniqueEmail, uploadReadyDataset,
  waitForCompletedJob,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('train, open the playground, see the answer stream in', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('playground'));
  await uploadReadyDataset(page);
  await page.click('[data-testid=train-link]');
  await page.waitForURL(/\/training\/configure\?datasetId=/);
  await fillShortRun(page, 4, 2);
  await page.click('[data-testid=start-job]');
  await waitForCompletedJob(page);

  // The job monitor: the answers at the last evaluation, beside EQ-12's own.
  await page.waitForSelector('[data-testid=job-samples]');
  assert.match(await page.textContent('[data-testid=samples-when]'), /at step 4 · validation loss \d/);
  const answers = await page.$$eval('[data-testid=sample-answer]', (els) => els.map((e) => e.textContent));
  const references = await page.$$eval('[data-testid=sample-reference]', (els) => els.map((e) => e.textContent));
  assert.equal(answers.length, 2);
  const fixture = readFileSync(EQ12_JSONL, 'utf8');
  for (const r of references) assert.ok(fixture.includes(JSON.stringify(r).slice(1, -1)), `not an EQ-12 answer: ${r}`);
  assert.ok(answers.every((a) => a.length > 0));
  await page.screenshot({ path: `${OUTPUT}job-samples.png`, fullPage: true });

  // The model page: before and after, side by side.
  await openModel(page);
  await page.waitForSelector('[data-testid=before-after]');
  assert.match(await page.textContent('[data-testid=before-after-loss]'), /Validation loss \d\.\d+ before training → \d\.\d+ at step 4/);
  const base = await page.$$eval('[data-testid=before-answer]', (els) => els.map((e) => e.textContent));
  const tuned = await page.$$eval('[data-testid=after-answer]', (els) => els.map((e) => e.textContent));
  assert.equal(base.length, 2);
  assert.deepEqual(tuned, answers, 'the model page shows the job\'s latest answers');
  assert.ok(base.every((a) => a.length > 0 && a !== '(not recorded)'), JSON.stringify(base));
  // The playground starts from the dataset's system prompt.
  const system = await page.inputValue('#pg-system');
  assert.ok(system.length > 20 && fixture.includes(JSON.stringify(system).slice(1, -1)), system);

  await page.waitForSelector('[data-testid=playground]');
  await page.fill('#pg-max', '48');
  await page.check('[data-testid=playground-compare]');
  await page.fill('[data-testid=playground-input]', 'I keep overspending. Where do I start?');
  // Every text the answer shows on its way, as the page changes it.
  await page.evaluate(() => {
    window.__seen = [];
    const watch = () => {
      const el = document.querySelector('[data-testid=playground-answer]');
      if (!el) return requestAnimationFrame(watch);
      new MutationObserver(() => window.__seen.push(el.textContent))
        .observe(el, { childList: true, characterData: true, subtree: true });
    };
    watch();
  });
  await page.click('[data-testid=playground-send]');
  await page.waitForFunction(
    () => /tokens/.test(document.querySelector('[data-testid=playground-status]')?.textContent ?? ''),
    null, { timeout: 120_000 },
  );
  const seen = await page.evaluate(() => window.__seen.filter((t) => t.length > 0));
  const distinct = new Set(seen);
  assert.ok(distinct.size > 1, `the answer arrived in one piece: ${JSON.stringify(seen)}`);
  const answer = await page.textContent('[data-testid=playground-answer]');
  assert.equal(seen.at(-1), answer);
  // The base model answered the same message from the same weights.
  await page.waitForFunction(
    () => /tokens/.test(document.querySelector('[data-testid=playground-base-status]')?.textContent ?? ''),
    null, { timeout: 120_000 },
  );
  const turns = await page.$$eval('[data-testid=playground-history] li', (els) => els.map((e) => e.textContent));
  assert.equal(turns.length, 2, JSON.stringify(turns));
  assert.match(turns[0], /overspending/);
  await page.screenshot({ path: `${OUTPUT}playground.png`, fullPage: true });
});

// The playground in a real browser: a short run trained on the machine's
// CPU, then on its model's page a message sent with "compare with the base
// model" on; the fine-tuned answer arrives in more than one piece while
// the base model waits its turn in the queue, and both finish with their
// token counts; the conversation keeps the exchange.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OUTPUT, hydrated, launch, newPage, signUp, uniqueEmail, uploadReadyDataset } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('train, open the playground, see the answer stream in', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('playground'));
  await uploadReadyDataset(page);
  await page.click('[data-testid=train-link]');
  await page.waitForURL(/\/training\/configure\?datasetId=/);
  await hydrated(page);
  await page.waitForSelector('[data-testid=estimate]', { timeout: 30_000 });
  await page.click('[data-testid=advanced] summary');
  await page.fill('#field-max_steps', '4');
  await page.fill('#field-max_seq_len', '128');
  await page.fill('#field-eval_interval', '2');
  await page.click('[data-testid=start-job]');
  await page.waitForURL(/\/training\/jobs\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await hydrated(page);
  await page.waitForSelector('[data-testid=job-status][data-status=completed]', { timeout: 240_000 });
  await page.click('[data-testid=model-link]');
  await page.waitForURL(/\/models\/[0-9a-f-]{36}$/);
  await hydrated(page);

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

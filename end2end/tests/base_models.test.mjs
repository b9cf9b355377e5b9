// The "Base models" page against the stand-in Hub (end2end/hub-standin.mjs,
// which the test command starts and names in BRIGHTRUN_HUB_URL): a model is
// looked up (architecture, parameters, size before any download), a wrong
// id is refused under its field, the download shows its progress and ends
// ready, and the configure page offers the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, OUTPUT, launch, newPage, hydrated, signUp, uniqueEmail } from './helpers.mjs';

test('a Hub model is looked up, downloaded with progress and offered for training', async () => {
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await signUp(page, uniqueEmail('hub'));
    await page.goto(`${BASE}/base-models`);
    await hydrated(page);
    await page.click('a[href="/base-models"]');

    await page.fill('#base-hub-id', 'acme/missing-model');
    await page.click('[data-testid=base-lookup]');
    const missing = page.locator('#base-hub-id ~ .field-error');
    await missing.waitFor();
    assert.match(await missing.innerText(), /no model acme\/missing-model/);

    await page.fill('#base-hub-id', 'acme/tiny-e2e');
    await page.click('[data-testid=base-lookup]');
    await page.waitForSelector('[data-testid=base-inspection]');
    assert.equal(await page.innerText('[data-testid=base-architecture]'), 'llama');
    assert.match(await page.innerText('[data-testid=base-size]'), /3\.1 MB in 3 files/);
    assert.match(await page.innerText('[data-testid=base-parameters]'), /\d/);

    await page.click('[data-testid=base-download]');
    const row = page.locator('[data-testid=base-model-row][data-name="acme--tiny-e2e"]');
    await row.waitFor();
    await row.locator('[data-testid=base-model-progress]').waitFor({ timeout: 10_000 });
    assert.match(await row.locator('[data-testid=base-model-progress]').innerText(), /of 3\.1 MB \(\d+%\)/);
    await page.screenshot({ path: `${OUTPUT}base-models-downloading.png`, fullPage: true });
    await row.locator('[data-testid=base-model-status]', { hasText: 'ready' }).waitFor({ timeout: 60_000 });
    assert.equal(await row.locator('[data-testid=base-model-progress]').count(), 0);
    await page.screenshot({ path: `${OUTPUT}base-models-ready.png`, fullPage: true });

    await page.goto(`${BASE}/training/configure`);
    await hydrated(page);
    const option = page.locator('option[value="acme--tiny-e2e"]');
    await option.waitFor({ state: 'attached' });
    assert.match(await option.innerText(), /acme--tiny-e2e \(llama/);
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
});

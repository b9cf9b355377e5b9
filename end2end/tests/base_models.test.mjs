// The "Base models" page against the stand-in Hub (end2end/hub-standin.mjs,
// which the test command starts and names in BRIGHTRUN_HUB_URL): a model is
// looked up (architecture, parameters, size before any download), a wrong
// id is refused under its field, the download shows its progress and ends
// ready, and the configure page offers the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, OUTPUT, launch, newPage, hydrated, signUp, uniqueEmail, uploadReadyDataset } from './helpers.mjs';

test('a Hub model is looked up, downloaded with progress and offered for training', async () => {
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await signUp(page, uniqueEmail('hub'));
    // Another run against the same server may have added it: start clean.
    const listed = await (await page.request.get(`${BASE}/api/base-models`)).json();
    for (const m of listed.data.filter((m) => m.name === 'acme--tiny-e2e')) {
      await page.request.delete(`${BASE}/api/base-models/${m.id}`);
    }
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
    // The bar moves while the stand-in sends the weights (about 5 s).
    const progress = row.locator('[data-testid=base-model-progress]');
    await progress.filter({ hasText: /of 3\.1 MB \(([1-9]\d?)%\)/ }).waitFor({ timeout: 15_000 });
    assert.notEqual(await row.locator('[role=progressbar]').getAttribute('aria-valuenow'), '0');
    await page.screenshot({ path: `${OUTPUT}base-models-downloading.png`, fullPage: true });
    await row.locator('[data-testid=base-model-status]', { hasText: 'ready' }).waitFor({ timeout: 60_000 });
    assert.equal(await row.locator('[data-testid=base-model-progress]').count(), 0);
    await page.screenshot({ path: `${OUTPUT}base-models-ready.png`, fullPage: true });

    // Offered on the configure page, and the estimate takes it.
    await uploadReadyDataset(page);
    await page.click('[data-testid=train-link]');
    await page.waitForURL(/\/training\/configure\?datasetId=/);
    await hydrated(page);
    await page.waitForSelector('[data-testid=estimate]', { timeout: 30_000 });
    const option = page.locator('#base-model option[value="acme--tiny-e2e"]');
    assert.match(await option.innerText(), /acme--tiny-e2e \(llama/);
    await page.selectOption('#base-model', 'acme--tiny-e2e');
    await page.waitForSelector('[data-testid=estimate]', { timeout: 30_000 });
    assert.equal(await page.inputValue('#base-model'), 'acme--tiny-e2e');
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
});

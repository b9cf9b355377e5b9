// Page-load benchmark (issue 20; not a test): time to a hydrated page in
// Chromium with the network throttled to 10 Mbit/s and 40 ms round trips
// (DevTools protocol), with a cold cache and then a warm one, for the job
// monitor and the configure page, plus the bytes each load transferred.
// Needs a running server (BRIGHTRUN_E2E_URL, loopback); signs up, uploads
// EQ-12 and starts a short CPU run so the monitor has a live job.
// Run by bench/site.sh.
import { launch, newPage, hydrated, signUp, uniqueEmail, uploadReadyDataset, fillShortRun, BASE } from '../tests/helpers.mjs';

const THROTTLE = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** One load of `url` in `page`: ms from navigation start to hydrated, and bytes received. */
async function load(page, url) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', THROTTLE);
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  await page.goto(url, { waitUntil: 'commit' });
  await hydrated(page);
  const ms = await page.evaluate(() => performance.now());
  await cdp.detach();
  return { ms, bytes };
}

async function measure(browser, state, url) {
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ storageState: state, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    cold.push(await load(page, url));
    warm.push(await load(page, url));
    await context.close();
  }
  const median = (xs) => xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { cold_ms: Math.round(median(cold)), cold_bytes: cold[0].bytes, warm_ms: Math.round(median(warm)), warm_bytes: warm[0].bytes };
}

const browser = await launch();
const page = await newPage(browser);
await signUp(page, uniqueEmail('bench'));
const dataset = (await uploadReadyDataset(page)).split('/').pop();
await page.goto(`${BASE}/training/configure?datasetId=${dataset}`);
await fillShortRun(page, Number(process.env.BENCH_STEPS ?? 20));
await Promise.all([page.waitForURL(/\/training\/jobs\/[0-9a-f-]{36}$/, { timeout: 30_000 }), page.click('[data-testid=start-job]')]);
const jobUrl = page.url();
const state = await page.context().storageState();
const results = {
  job_monitor: await measure(browser, state, jobUrl),
  configure: await measure(browser, state, `${BASE}/training/configure`),
};
console.log(JSON.stringify(results, null, 2));
// Leave nothing training: cancel the run if it is still going.
await page.goto(jobUrl);
await hydrated(page);
if (await page.$('[data-testid=cancel-job]')) {
  await page.click('[data-testid=cancel-job]');
  await page.click('[data-testid=confirm-cancel]');
}
await browser.close();

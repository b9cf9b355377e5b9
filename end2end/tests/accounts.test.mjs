// Accounts in a real browser: sign up, every section, sign out, sign in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, OUTPUT, PASSWORD, hydrated, launch, newPage, signUp, uniqueEmail } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign up, visit every section, sign out, sign in again', async () => {
  const page = await newPage(browser);
  const email = uniqueEmail('flow');

  // Signed out, any page leads to sign-in.
  await page.goto(`${BASE}/models`);
  assert.equal(new URL(page.url()).pathname, '/signin');

  await signUp(page, email);
  assert.equal(await page.textContent('h1'), 'Dashboard');
  assert.ok((await page.textContent('.user-email')).includes(email));
  await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });

  // Client-side navigation through every section from the sidebar.
  const sections = [
    ['Datasets', '/datasets', 'Datasets'],
    ['Training', '/training', 'Training'],
    ['Jobs', '/training/jobs', 'Jobs'],
    ['Configure', '/training/configure', 'Configure a run'],
    ['Models', '/models', 'Models'],
    ['Costs', '/costs', 'Costs'],
    ['Settings', '/settings', 'Settings'],
    ['Dashboard', '/', 'Dashboard'],
  ];
  for (const [label, path, heading] of sections) {
    await page.click(`nav.nav >> text="${label}"`);
    await page.waitForURL(`${BASE}${path}`);
    await page.waitForSelector(`h1:text-is("${heading}")`);
    const current = await page.getAttribute(`nav.nav a[href="${path}"]`, 'aria-current');
    assert.equal(current, 'page', `${label} is marked as the current section`);
  }
  await page.click('[data-testid=bell]');
  await page.click('[data-testid=bell-menu] >> text=All notifications');
  await page.waitForURL(`${BASE}/notifications`);
  await page.waitForSelector('text=You\'re all caught up');

  // The user menu opens only once hydrated; sign out from it.
  assert.equal(await page.isVisible('.menu'), false);
  await page.click('[data-testid=user-menu]');
  assert.equal(await page.isVisible('.menu'), true);
  await Promise.all([page.waitForURL(`${BASE}/signin`), page.click('text=Sign out')]);
  await page.goto(`${BASE}/`);
  assert.equal(new URL(page.url()).pathname, '/signin', 'signed out for real');

  // Wrong password: a message, no session.
  await hydrated(page);
  await page.fill('#email', email);
  await page.fill('#password', 'not the right one');
  await page.click('button[type=submit]');
  await page.waitForSelector('.alert-error');
  assert.match(await page.textContent('.alert-error'), /Email or password is incorrect/);

  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click('button[type=submit]')]);
  await page.waitForSelector('h1:text-is("Dashboard")');
  assert.deepEqual(page.errors, [], 'no errors in the browser console');
});

test('sign-up checks the password as you type and names the field on errors', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/signup`);
  await hydrated(page);
  // Only the hydrated WASM updates this hint.
  await page.fill('#password', 'short');
  assert.equal(await page.textContent('[data-testid=password-hint]'), '5 of at least 10 characters');
  await page.fill('#password', 'long enough now');
  assert.equal(await page.textContent('[data-testid=password-hint]'), 'Password length is fine.');
  await page.fill('#email', 'not-an-email');
  await page.waitForSelector('text=Enter an email address like name@example.com.');

  // An email already taken: the message sits under the email field.
  const taken = uniqueEmail('taken');
  const other = await newPage(browser);
  await signUp(other, taken);
  await page.fill('#email', taken);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('.field-error:has-text("already exists")');
  assert.equal(new URL(page.url()).pathname, '/signup');
});

test('API tokens: created once from settings, then revoked', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('tokens'));
  await page.goto(`${BASE}/settings`);
  await hydrated(page);
  await page.waitForSelector('text=No API tokens yet');
  await page.fill('#token-name', 'nightly upload');
  await page.click('text=Create token');
  const token = (await page.textContent('[data-testid=new-token] code')).trim();
  assert.match(token, /^brt_[A-Za-z0-9_-]{43}$/);

  // The token works for a script, from this page's origin.
  const me = await page.evaluate(async (t) => {
    const r = await fetch('/api/me', { headers: { Authorization: `Bearer ${t}` }, credentials: 'omit' });
    return r.status;
  }, token);
  assert.equal(me, 200);

  await page.waitForSelector('td:text-is("nightly upload")');
  await page.click('button:text-is("Revoke")');
  await page.waitForSelector('.badge:text-is("revoked")');
  const after = await page.evaluate(async (t) => {
    const r = await fetch('/api/me', { headers: { Authorization: `Bearer ${t}` }, credentials: 'omit' });
    return r.status;
  }, token);
  assert.equal(after, 401);
});

test('unknown pages show the 404 page', async () => {
  const page = await newPage(browser);
  await signUp(page, uniqueEmail('lost'));
  const res = await page.goto(`${BASE}/no/such/page`);
  assert.equal(res.status(), 404);
  await page.waitForSelector('text=This page does not exist');
  await hydrated(page);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click('text=Back to the dashboard')]);
});

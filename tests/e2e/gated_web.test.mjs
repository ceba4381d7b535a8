// A manual gated Space in headless Chromium (issue 5, acceptance 2): the owner
// gates the Space on its review page; a visitor fills the card's form, is
// refused at the app host while pending, and gets the app once the owner
// accepts; another visitor is rejected for good. The new forms refuse posts
// without their CSRF field or from another site, and store nothing then.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { startServer, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp, BIN,
  tempDir, launchChromium } from './lib.mjs';

const SPACE = 'alice/gate';
const APP_HOST = 'alice-gate.localhost';
const CARD = [
  'extra_gated_heading: Research preview',
  'extra_gated_prompt: Tell us how you will use this demo.',
  'extra_gated_button_content: Ask the author',
  'extra_gated_fields:',
  '  Company: text',
  '  Country: country',
  '  Use:',
  '    type: select',
  '    options: [Research, Teaching]',
  '  I agree to the terms: checkbox',
  '',
].join('\n');

let server, browser, other;
const tokens = {};
const otherPages = {};  // path -> html served by "another site"

function addUserWithPassword(dataDir, name, password) {
  const out = execFileSync(BIN, ['user', 'add', name, '--password', '--data-dir', dataDir], { input: password + '\n' });
  return out.toString().trim().split('\n').pop().trim();
}

async function browserAs(user, password, next) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  assert.equal(new URL(page.url()).pathname, next);
  return { context, page };
}

async function requests(status) {
  const r = await api(server, 'GET', `/api/spaces/${SPACE}/user-access-request/${status}`, { token: tokens.alice });
  assert.equal(r.status, 200, r.text);
  return r.json.map((x) => x.user.user);
}

// Follows the Space page's hand-off to the app host in this browser: the
// final answer of the app host (its status and text).
async function appThroughHandoff(page) {
  const res = await page.goto(`${server.url}/.spaceport/handoff?space=${encodeURIComponent(SPACE)}`);
  assert.equal(new URL(page.url()).hostname, APP_HOST);
  return { status: res.status(), text: await res.text() };
}

const field = (page, label) => page.locator(`#gate-form [name="${label}"]`);

async function fillForm(page, { tick }) {
  await field(page, 'Company').fill('ACME Research');
  await field(page, 'Country').selectOption('Japan');
  await field(page, 'Use').selectOption('Research');
  if (tick) await field(page, 'I agree to the terms').check();
}

// The header the echo app saw, whatever its case on the wire.
function seenHeader(text, name) {
  const headers = JSON.parse(text).headers;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

before(async () => {
  const dataDir = tempDir('sp-gated-web-');
  tokens.alice = addUserWithPassword(dataDir, 'alice', 'alice-password-1');
  tokens.bob = addUserWithPassword(dataDir, 'bob', 'bob-password-1');
  tokens.carol = addUserWithPassword(dataDir, 'carol', 'carol-password-1');
  server = await startServer({ dataDir });
  other = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(otherPages[req.url] ?? 'ok');
  });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  browser = await launchChromium();
  await createSpace(server, tokens.alice, 'alice', 'gate', 'process');
  const dir = gitRepo(pythonApp(undefined, { extraCard: CARD }));
  const pushed = gitPush(server, dir, SPACE, 'alice', tokens.alice);
  assert.equal(pushed.code, 0, pushed.output);
  await waitStage(server, SPACE, 'RUNNING', { token: tokens.alice, sha: headSha(dir) });
});

after(async () => {
  await browser?.close();
  other?.close();
  await server?.stop();
});

test('a manual gated Space in the browser: ask, wait, get in after the owner accepts; a rejection is final', async () => {
  // The owner gates the Space with the review page's control.
  const owner = await browserAs('alice', 'alice-password-1', `/spaces/${SPACE}/settings/access`);
  const visitorA = await browser.newContext();
  let bob;
  try {
    assert.equal((await hostRequest(server.port, APP_HOST, '/')).status, 200, 'open before gating');
    await owner.page.selectOption('#gate-mode', 'manual');
    await Promise.all([owner.page.waitForNavigation(), owner.page.click('#save-gate')]);
    assert.match(await owner.page.textContent('#gate-mode-now'), /Gated \(manual\)/);
    assert.equal((await api(server, 'GET', `/api/spaces/${SPACE}`)).json.gated, 'manual');
    assert.equal((await hostRequest(server.port, APP_HOST, '/')).status, 403, 'gated at the edge at once');

    // Visitor A signs up and finds the card's form instead of the app.
    const a = await visitorA.newPage();
    await a.goto(server.url + '/join');
    await a.fill('#username', 'visitora');
    await a.fill('#password', 'visitora-password-1');
    await Promise.all([a.waitForNavigation(), a.click('#submit')]);
    await a.goto(`${server.url}/spaces/${SPACE}`);
    assert.equal(await a.textContent('#gate-prompt'), 'Tell us how you will use this demo.');
    assert.equal(await a.locator('iframe.app').count(), 0, 'no app frame before access');
    assert.equal(await field(a, 'I agree to the terms').getAttribute('type'), 'checkbox');
    assert.equal(await a.getByLabel('I agree to the terms').getAttribute('name'), 'I agree to the terms');
    assert.deepEqual(await field(a, 'Use').locator('option').allTextContents(), ['Choose…', 'Research', 'Teaching']);
    assert.equal(await a.textContent('#gate-heading'), 'Research preview');
    assert.equal(await a.textContent('#request-access'), 'Ask the author');
    const countries = await field(a, 'Country').locator('option').allTextContents();
    assert.equal(countries.length, 250, 'Choose… and the 249 ISO 3166-1 countries');
    assert.ok(countries.includes('Japan') && countries.includes("Côte d'Ivoire"));

    // Without the required checkbox: the browser holds the form back, and the
    // server refuses it too when the browser's check is skipped.
    await fillForm(a, { tick: false });
    await a.click('#request-access');
    assert.equal(new URL(a.url()).pathname, `/spaces/${SPACE}`);
    assert.equal(await a.$eval('#gate-form', (f) => f.checkValidity()), false);
    await a.$eval('#gate-form', (f) => { f.noValidate = true; });
    const [refused] = await Promise.all([a.waitForNavigation(), a.click('#request-access')]);
    assert.equal(refused.status(), 400);
    assert.match(await a.textContent('main'), /field 'I agree to the terms' must be ticked/);
    assert.deepEqual(await requests('pending'), [], 'a refused form stores nothing');

    await a.goto(`${server.url}/spaces/${SPACE}`);
    await fillForm(a, { tick: true });
    await Promise.all([a.waitForNavigation(), a.click('#request-access')]);
    assert.equal(new URL(a.url()).pathname, `/spaces/${SPACE}`);
    assert.equal(await a.getAttribute('#gate', 'data-state'), 'pending');
    assert.match(await a.textContent('#gate-state'), /pending: the author will review it/);
    assert.deepEqual(await requests('pending'), ['visitora']);
    const pendingApp = await appThroughHandoff(a);
    assert.equal(pendingApp.status, 403, 'pending is refused at the app host');
    assert.match(pendingApp.text, /is gated/);

    // The owner accepts on the review page; A gets the app, which knows who A is.
    await owner.page.reload();
    const row = owner.page.locator('#pending tr[data-user="visitora"]');
    assert.deepEqual(await row.locator('dd').allTextContents(), ['ACME Research', 'Japan', 'Research', 'on']);
    await Promise.all([owner.page.waitForNavigation(), row.locator('button.accept').click()]);
    await owner.page.locator('#accepted tr[data-user="visitora"]').waitFor();
    assert.deepEqual(await requests('accepted'), ['visitora']);

    await a.goto(`${server.url}/spaces/${SPACE}`);
    assert.equal(await a.locator('#gate').count(), 0);
    await a.frameLocator('iframe.app').getByText(/"X-Spaceport-User": "visitora"/i).waitFor({ timeout: 15000 });
    const served = await appThroughHandoff(a);
    assert.equal(served.status, 200, served.text);
    assert.equal(seenHeader(served.text, 'X-Spaceport-User'), 'visitora');

    // Visitor B asks too; the owner rejects with a reason.
    bob = await browserAs('bob', 'bob-password-1', `/spaces/${SPACE}`);
    await fillForm(bob.page, { tick: true });
    await Promise.all([bob.page.waitForNavigation(), bob.page.click('#request-access')]);
    assert.equal(await bob.page.getAttribute('#gate', 'data-state'), 'pending');
    await owner.page.reload();
    const bobRow = owner.page.locator('#pending tr[data-user="bob"]');
    await bobRow.locator('input.reason').fill('Not this time');
    await Promise.all([owner.page.waitForNavigation(), bobRow.locator('button.reject').click()]);
    await owner.page.locator('#rejected tr[data-user="bob"]').waitFor();

    await bob.page.reload();
    assert.equal(await bob.page.getAttribute('#gate', 'data-state'), 'rejected');
    assert.match(await bob.page.textContent('#gate-reason'), /Not this time/);
    assert.equal(await bob.page.locator('#gate-form').count(), 0, 'no form after a rejection');
    assert.equal(await bob.page.locator('iframe.app').count(), 0);
    const again = await api(server, 'POST', `/api/spaces/${SPACE}/ask-access`, {
      token: tokens.bob, body: { Company: 'ACME', Country: 'Japan', Use: 'Research', 'I agree to the terms': 'on' } });
    assert.equal(again.status, 409, again.text);
    const bobApp = await hostRequest(server.port, APP_HOST, '/', { headers: { Authorization: `Bearer ${tokens.bob}` } });
    assert.equal(bobApp.status, 403);
    assert.equal((await appThroughHandoff(bob.page)).status, 403);
  } finally {
    await owner.context.close();
    await visitorA.close();
    await bob?.context.close();
  }
});

test('the gate forms refuse posts without their CSRF field or from another site, and store nothing', async () => {
  const otherUrl = `http://127.0.0.1:${other.address().port}`;
  const autoPost = (action, fields) => `<form id="f" method="post" action="${server.url}${action}">${
    Object.entries(fields).map(([k, v]) => `<input name="${k}" value="${v}">`).join('')}</form>
    <script>document.getElementById('f').submit()</script>`;
  otherPages['/ask'] = autoPost(`/spaces/${SPACE}/ask-access`,
    { Company: 'Evil', Country: 'Japan', Use: 'Research', 'I agree to the terms': 'on' });
  otherPages['/decide'] = autoPost(`/spaces/${SPACE}/settings/access/decide`, { user: 'bob', status: 'accepted' });
  otherPages['/gate'] = autoPost(`/spaces/${SPACE}/settings/access/gate`, { mode: 'off' });

  const carol = await browserAs('carol', 'carol-password-1', `/spaces/${SPACE}`);
  const owner = await browserAs('alice', 'alice-password-1', `/spaces/${SPACE}/settings/access`);
  try {
    // Another site makes the signed-in browsers post the forms.
    await carol.page.goto(otherUrl + '/ask');  // the page there submits its form to the hub at once
    await carol.page.waitForURL(/\/ask-access$/);
    assert.match(await carol.page.content(), /another site/);
    for (const p of ['/decide', '/gate']) {
      await owner.page.goto(otherUrl + p);
      await owner.page.waitForURL(/\/settings\/access\/(decide|gate)$/);
      assert.match(await owner.page.content(), /another site/, p);
    }

    // This site's origin but no csrf field (a forged or stale form).
    const [cookie] = (await carol.context.cookies()).filter((c) => c.name === 'spaceport_session');
    const noCsrf = await fetch(`${server.url}/spaces/${SPACE}/ask-access`, {
      method: 'POST', redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url,
        Cookie: `spaceport_session=${cookie.value}` },
      body: new URLSearchParams({ Company: 'C', Country: 'Japan', Use: 'Research', 'I agree to the terms': 'on' }).toString(),
    });
    assert.equal(noCsrf.status, 403, await noCsrf.text());

    assert.equal((await requests('pending')).includes('carol'), false, 'no request was stored for carol');
    assert.deepEqual(await requests('rejected'), ['bob'], 'the rejection stands');
    assert.equal((await api(server, 'GET', `/api/spaces/${SPACE}`)).json.gated, 'manual', 'still gated');
    assert.equal((await hostRequest(server.port, APP_HOST, '/')).status, 403);
  } finally {
    await carol.context.close();
    await owner.context.close();
  }
});

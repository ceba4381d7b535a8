// "Sign in with Spaceport" in a real browser: the consent page on the first
// authorization (Allow gives the app a code it redeems with PKCE; Deny sends
// access_denied back), later authorizations straight through, revocation at
// /settings/connected-apps (which also ends the access token the app holds),
// hf_oauth_authorized_org, and a cross-origin POST of the Allow form refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { startServer, createSpace, gitRepo, gitPush, headSha, waitStage, api, launchChromium, OAUTH_APP, BIN } from './lib.mjs';

let server, browser, other;
const tokens = {};
const PASSWORD = 'consent-password-1';

function addUserWithPassword(dataDir, name) {
  const out = execFileSync(BIN, ['user', 'add', name, '--password', '--data-dir', dataDir], { input: PASSWORD + '\n' });
  return out.toString().trim().split('\n').pop().trim();
}

async function deploy(name, extraCard) {
  await createSpace(server, tokens.alice, 'alice', name, 'process');
  await api(server, 'POST', `/api/spaces/alice/${name}/variables`, { token: tokens.alice, body: { key: 'EDGE_PORT', value: String(server.port) } });
  const dir = gitRepo({
    'README.md': `---\ntitle: Consent demo\nsdk: process\napp_command: node app.js\nhf_oauth: true\n${extraCard}---\n`,
    'app.js': OAUTH_APP,
  });
  assert.equal(gitPush(server, dir, `alice/${name}`, 'alice', tokens.alice).code, 0);
  await waitStage(server, `alice/${name}`, 'RUNNING', { token: tokens.alice, sha: headSha(dir) });
}

const appUrl = (name, p) => `http://alice-${name}.localhost:${server.port}${p}`;

// A fresh browser signed in as `user` (through the sign-in page).
async function signedIn(user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + '/login');
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  return { context, page };
}

async function json(page) {
  return JSON.parse(await page.locator('body').innerText());
}

before(async () => {
  server = await startServer();
  for (const name of ['alice', 'bob', 'carol']) tokens[name] = addUserWithPassword(server.dataDir, name);
  await deploy('demo', 'hf_oauth_scopes:\n  - read-repos\n');
  await deploy('members', 'hf_oauth_authorized_org: acme\n');
  browser = await launchChromium();
  other = http.createServer();
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
});

after(async () => {
  await browser?.close();
  other?.close();
  await server?.stop();
});

test('first sign-in shows the consent page; Allow completes code + PKCE; the second goes straight through', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    // Not signed in: the authorize step sends the browser to sign in first, then back.
    await page.goto(appUrl('demo', '/login'));
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#username', 'bob');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    assert.equal(new URL(page.url()).pathname, '/oauth/authorize');
    assert.equal(await page.textContent('#consent-space'), 'alice/demo');
    assert.equal(await page.textContent('#consent-title'), 'Consent demo');
    const scopes = await page.locator('#consent-scopes li').evaluateAll((lis) => lis.map((li) => li.dataset.scope));
    assert.deepEqual(scopes, ['openid', 'profile', 'read-repos']);

    const consent = await page.request.get(page.url());  // the same page, with the browser's cookies
    assert.equal(consent.headers()['x-frame-options'], 'DENY');
    assert.equal(consent.headers()['content-security-policy'], "frame-ancestors 'none'");

    await Promise.all([page.waitForURL(/\/login\/callback/), page.click('#consent-allow')]);
    const done = await json(page);
    assert.equal(done.userinfo?.preferred_username, 'bob', JSON.stringify(done));
    assert.equal(done.scope, 'openid profile read-repos');
    assert.deepEqual(done.userinfo.orgs, [], 'read-repos lists the organizations (none yet)');

    await page.goto(appUrl('demo', '/login'));
    await page.waitForURL(/\/login\/callback/);
    assert.equal((await json(page)).userinfo?.preferred_username, 'bob', 'no consent page the second time');
    await page.goto(appUrl('demo', '/userinfo'));
    assert.equal((await json(page)).status, 200, "the app's access token works while the grant stands");

    // Revoked at /settings/connected-apps: the next sign-in asks again.
    await page.goto(server.url + '/settings/connected-apps');
    assert.equal(await page.locator('#connected-apps tr[data-space="alice/demo"]').count(), 1);
    await Promise.all([page.waitForNavigation(), page.click('tr[data-space="alice/demo"] button.revoke')]);
    assert.equal(await page.locator('#no-connected-apps').count(), 1);
    await page.goto(appUrl('demo', '/userinfo'));
    const revoked = await json(page);
    assert.equal(revoked.status, 401, JSON.stringify(revoked));
    assert.equal(revoked.body.error, 'invalid_token', 'the token the app holds ends with the grant');
    await page.goto(appUrl('demo', '/login'));
    assert.equal(new URL(page.url()).pathname, '/oauth/authorize');
    assert.equal(await page.locator('#consent-allow').count(), 1);
  } finally {
    await context.close();
  }
});

test('Deny sends access_denied and the state back to the app; nothing is remembered', async () => {
  const { context, page } = await signedIn('carol');
  try {
    await page.goto(appUrl('demo', '/login'));
    assert.equal(new URL(page.url()).pathname, '/oauth/authorize');
    await Promise.all([page.waitForURL(/\/login\/callback/), page.click('#consent-deny')]);
    assert.equal(new URL(page.url()).searchParams.get('code'), null);
    assert.deepEqual(await json(page), { error: 'access_denied', stateOk: true });
    await page.goto(appUrl('demo', '/login'));
    assert.equal(new URL(page.url()).pathname, '/oauth/authorize', 'asked again');
  } finally {
    await context.close();
  }
});

test('a cross-origin POST of the Allow form is refused and grants nothing', async () => {
  const { context, page } = await signedIn('carol');
  try {
    await page.goto(appUrl('demo', '/login'));
    const authorize = new URL(page.url());
    assert.equal(authorize.pathname, '/oauth/authorize');
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    // Another origin copies the form, even with the right CSRF value, and submits it.
    const fields = { ...Object.fromEntries(authorize.searchParams), csrf, decision: 'allow' };
    delete fields.response_type;
    other.removeAllListeners('request');
    other.on('request', (req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<form id="f" method="post" action="${server.url}/oauth/authorize">` +
        Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('') +
        '</form><script>document.getElementById("f").submit()</script>');
    });
    const response = page.waitForResponse((r) => r.url() === `${server.url}/oauth/authorize` && r.request().method() === 'POST');
    await page.goto(`http://127.0.0.1:${other.address().port}/`);
    const refused = await response;
    assert.equal(refused.status(), 403);
    assert.equal(refused.headers().location, undefined, 'no code for the app');
    await page.goto(server.url + '/settings/connected-apps');
    assert.equal(await page.locator('#no-connected-apps').count(), 1, 'no grant was stored');
  } finally {
    await context.close();
  }
});

test('hf_oauth_authorized_org refuses non-members with a 403 naming the organization and admits members', async () => {
  const alice = await signedIn('alice');
  try {
    await alice.page.goto(server.url + '/organizations/new');
    await alice.page.fill('#org-name', 'acme');
    await Promise.all([alice.page.waitForNavigation(), alice.page.click('#create-org')]);
    await alice.page.fill('#member-name', 'bob');
    await alice.page.selectOption('#member-role', 'read');
    await Promise.all([alice.page.waitForNavigation(), alice.page.click('#add-member')]);
  } finally {
    await alice.context.close();
  }

  const carol = await signedIn('carol');
  try {
    const refused = await carol.page.goto(appUrl('members', '/login'));
    assert.equal(new URL(carol.page.url()).pathname, '/oauth/authorize');
    assert.equal(refused.status(), 403);
    assert.match(await carol.page.locator('body').innerText(), /only for members of the organization acme/);
    assert.equal(await carol.page.locator('#consent-allow').count(), 0);
  } finally {
    await carol.context.close();
  }

  const bob = await signedIn('bob');
  try {
    await bob.page.goto(appUrl('members', '/login'));
    assert.equal(new URL(bob.page.url()).pathname, '/oauth/authorize');
    await Promise.all([bob.page.waitForURL(/\/login\/callback/), bob.page.click('#consent-allow')]);
    assert.equal((await json(bob.page)).userinfo?.preferred_username, 'bob');
  } finally {
    await bob.context.close();
  }
});

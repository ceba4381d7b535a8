// Accounts and access end to end: sign-up and sign-in in headless Chromium,
// tokens made in the settings page and used by the CLI, private Spaces
// hidden from outsiders on the API, git and the web, organizations with write
// and read members, and the security cases (CSRF, open redirect, session
// fixation, throttling, Referer, tokens in logs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, addUser, cli, api, createSpace, gitRepo, gitPush, remoteHead, tempDir, BIN, waitStage, hostRequest, launchChromium } from './lib.mjs';

let server;
let browser;
let other;  // a second origin: "another site" for CSRF and Referer checks
const otherSeen = [];
const secrets = [];  // every token and password this test handles: none may appear in logs
const tokens = {};

function addUserWithPassword(dataDir, name, password) {
  const out = execFileSync(BIN, ['user', 'add', name, '--password', '--data-dir', dataDir], { input: password + '\n' });
  const token = out.toString().trim().split('\n').pop().trim();
  secrets.push(token, password);
  return token;
}

async function newBrowserPage() {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

async function signIn(page, user, password, next = '') {
  await page.goto(server.url + '/login' + (next ? '?next=' + encodeURIComponent(next) : ''));
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
}

// POST /login from node: {status, cookie, location, retryAfter}.
async function postLogin(user, password, { cookie, next = '/' } = {}) {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.Cookie = `spaceport_session=${cookie}`;
  const res = await fetch(server.url + '/login', {
    method: 'POST', redirect: 'manual', headers,
    body: new URLSearchParams({ username: user, password, next }).toString(),
  });
  await res.text();
  const set = res.headers.get('set-cookie') || '';
  const m = set.match(/spaceport_session=([^;]*)/);
  return { status: res.status, cookie: m ? m[1] : '', setCookie: set, location: res.headers.get('location'),
    retryAfter: res.headers.get('retry-after') };
}

before(async () => {
  const dataDir = tempDir('sp-accounts-');
  tokens.alice = addUserWithPassword(dataDir, 'alice', 'alice-password-1');
  tokens.bob = addUserWithPassword(dataDir, 'bob', 'bob-password-1');
  tokens.dave = addUserWithPassword(dataDir, 'dave', 'dave-password-1');
  tokens.bobRead = addUser(dataDir, 'eve', ['--read-only']);  // a non-member's read token
  secrets.push(tokens.bobRead);
  server = await startServer({ dataDir });
  other = http.createServer((req, res) => {
    otherSeen.push({ url: req.url, referer: req.headers.referer || '' });
    if (req.url === '/csrf') {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<form id="f" method="post" action="${server.url}/settings/tokens">
        <input name="name" value="stolen"><input name="role" value="write"></form>
        <script>document.getElementById('f').submit()</script>`);
      return;
    }
    res.end('ok');
  });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  other?.close();
  await server?.stop();
});

test('sign up and sign in in a browser, make a token in the settings page, use it with the CLI', async () => {
  const { context, page } = await newBrowserPage();
  try {
    await page.goto(server.url + '/join');
    await page.fill('#username', 'carol');
    await page.fill('#password', 'carol-password-1');
    secrets.push('carol-password-1');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    assert.equal(await page.textContent('#nav-user'), 'carol');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'spaceport_session');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');

    await Promise.all([page.waitForNavigation(), page.click('#nav-logout')]);
    await page.locator('#nav-login').waitFor();
    await signIn(page, 'carol', 'carol-password-1', '/settings/tokens');
    assert.equal(new URL(page.url()).pathname, '/settings/tokens');
    await page.fill('#token-name', 'laptop');
    await page.selectOption('#token-role', 'write');
    await Promise.all([page.waitForNavigation(), page.click('#create-token')]);
    const token = (await page.textContent('#new-token')).trim();
    secrets.push(token);
    assert.match(token, /^sp_[0-9a-f]{40}$/);
    await page.goto(server.url + '/settings/tokens');  // shown once: not on the page any more
    assert.equal(await page.locator('#new-token').count(), 0);
    assert.match(await page.textContent('#tokens'), /laptop/);

    const who = cli(server, token, ['whoami']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /carol/);
    assert.equal((await api(server, 'GET', '/api/whoami-v2', { token })).json.auth.accessToken.role, 'write');
    await page.locator('form[action$="/delete"] button.revoke').first().click();
    await page.waitForLoadState();
    assert.equal((await api(server, 'GET', '/api/whoami-v2', { token })).status, 401);
  } finally {
    await context.close();
  }
});

test('a private Space is 404 to anonymous and to a non-member read token; served to its owner', async () => {
  const files = [{ path: 'index.html', content: '<h1>secret</h1>', encoding: 'utf-8' },
    { path: 'README.md', content: '---\nsdk: static\n---\n', encoding: 'utf-8' }];
  await createSpace(server, tokens.alice, 'alice', 'secret', 'static', { private: true, files });
  for (const p of ['/api/spaces/alice/secret', '/api/spaces/alice/secret/tree/main', '/spaces/alice/secret',
    '/spaces/alice/secret/resolve/main/index.html']) {
    assert.equal((await api(server, 'GET', p)).status, 404, `anonymous ${p}`);
    assert.equal((await api(server, 'GET', p, { token: tokens.bobRead })).status, 404, `read token ${p}`);
    assert.equal((await api(server, 'GET', p, { token: tokens.alice })).status, 200, `owner ${p}`);
  }
  const listed = await api(server, 'GET', '/api/spaces?search=secret', { token: tokens.bobRead });
  assert.deepEqual(listed.json, []);
  assert.match(remoteHead(server, 'alice/secret', 'x', ''), /^error/);
  assert.match(remoteHead(server, 'alice/secret', 'eve', tokens.bobRead), /^error.*(not found|404)/s);
  assert.match(remoteHead(server, 'alice/secret', 'alice', tokens.alice), /^[0-9a-f]{40}$/);

  const { context, page } = await newBrowserPage();
  try {
    const anon = await page.goto(server.url + '/spaces/alice/secret');
    assert.equal(anon.status(), 404);
    await signIn(page, 'alice', 'alice-password-1', '/spaces/alice/secret');
    assert.equal(new URL(page.url()).pathname, '/spaces/alice/secret');
    assert.equal(await page.textContent('#visibility'), 'private');
    // The app is framed from its own host, after the sign-in hand-off; strangers get 404 there.
    await waitStage(server, 'alice/secret', 'RUNNING', { token: tokens.alice });
    await page.goto(server.url + '/spaces/alice/secret');
    const frameSrc = await (await page.waitForSelector('iframe.app')).getAttribute('src');
    assert.match(frameSrc, /^\/\.spaceport\/handoff\?space=alice%2Fsecret/);
    await page.frameLocator('iframe.app').getByText('secret').waitFor({ timeout: 10000 });
    const appFrame = page.frames().find((f) => f.url().startsWith('http://alice-secret.localhost:'));
    assert.ok(appFrame, `the app is not framed from its own host: ${page.frames().map((f) => f.url())}`);
    assert.equal((await hostRequest(server.port, 'alice-secret.localhost', '/')).status, 404);
    await page.goto(server.url + '/');
    await page.getByText('alice/secret').first().waitFor({ timeout: 5000 });
  } finally {
    await context.close();
  }
});

test('an organization: a write member pushes to its Space, a read member cannot', async () => {
  const { context, page } = await newBrowserPage();
  try {
    await signIn(page, 'alice', 'alice-password-1', '/organizations/new');
    await page.fill('#org-name', 'acme');
    await Promise.all([page.waitForNavigation(), page.click('#create-org')]);
    assert.equal(new URL(page.url()).pathname, '/organizations/acme');
    for (const [user, role] of [['bob', 'write'], ['dave', 'read']]) {
      await page.fill('#member-name', user);
      await page.selectOption('#member-role', role);
      await Promise.all([page.waitForNavigation(), page.click('#add-member')]);
    }
    const members = await page.textContent('#members');
    assert.match(members, /bob\s*write/);
    assert.match(members, /dave\s*read/);
  } finally {
    await context.close();
  }
  const who = await api(server, 'GET', '/api/whoami-v2', { token: tokens.bob });
  assert.deepEqual(who.json.orgs.map((o) => [o.name, o.roleInOrg]), [['acme', 'write']]);
  assert.equal((await api(server, 'POST', '/api/repos/create',
    { token: tokens.dave, body: { type: 'space', name: 'app', organization: 'acme', sdk: 'static', private: true } })).status, 403);
  await createSpace(server, tokens.bob, 'acme', 'app', 'static', { private: true });
  const repo = gitRepo({ 'README.md': '---\nsdk: static\n---\n', 'index.html': 'acme' });
  const pushed = gitPush(server, repo, 'acme/app', 'bob', tokens.bob);
  assert.equal(pushed.code, 0, pushed.output);
  const refused = gitPush(server, gitRepo({ 'index.html': 'dave was here' }, repo), 'acme/app', 'dave', tokens.dave);
  assert.notEqual(refused.code, 0);
  assert.match(refused.output, /403|write access/);
  assert.match(remoteHead(server, 'acme/app', 'dave', tokens.dave), /^[0-9a-f]{40}$/);  // read member reads
  assert.match(remoteHead(server, 'acme/app', 'eve', tokens.bobRead), /^error/);      // outsider does not
});

test('security: cross-site form posts are refused (CSRF)', async () => {
  const { context, page } = await newBrowserPage();
  try {
    await signIn(page, 'dave', 'dave-password-1');
    const before = (await api(server, 'GET', '/api/settings/tokens', { token: tokens.dave })).json.length;
    const otherUrl = `http://127.0.0.1:${other.address().port}`;
    await page.goto(otherUrl + '/csrf');  // the page there submits a form to the hub at once
    await page.waitForURL(/\/settings\/tokens$/);
    assert.match(await page.content(), /another site|expired/);
    const now = (await api(server, 'GET', '/api/settings/tokens', { token: tokens.dave })).json.length;
    assert.equal(now, before, 'no token was created');
  } finally {
    await context.close();
  }
});

test('security: sign-in redirects stay on this site', async () => {
  for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    const r = await postLogin('bob', 'bob-password-1', { next });
    assert.equal(r.status, 303, next);
    assert.equal(r.location, '/', next);
  }
  const { context, page } = await newBrowserPage();
  try {
    await signIn(page, 'bob', 'bob-password-1', '//evil.example/steal');
    assert.equal(page.url(), server.url + '/');
  } finally {
    await context.close();
  }
});

test('security: a session id planted before sign-in is replaced (fixation)', async () => {
  const planted = (await postLogin('dave', 'dave-password-1')).cookie;
  assert.ok(planted);
  const { context, page } = await newBrowserPage();
  try {
    await context.addCookies([{ name: 'spaceport_session', value: planted, url: server.url }]);
    await signIn(page, 'bob', 'bob-password-1');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'spaceport_session');
    assert.notEqual(cookie.value, planted);
    assert.equal(await page.textContent('#nav-user'), 'bob');
  } finally {
    await context.close();
  }
  const stale = await api(server, 'GET', '/api/whoami-v2', { headers: { Cookie: `spaceport_session=${planted}` } });
  assert.equal(stale.status, 401);
});

test('spaceport user password replaces a password and signs the browsers out', async () => {
  const session = (await postLogin('bob', 'bob-password-1')).cookie;
  assert.ok(session);
  execFileSync(BIN, ['user', 'password', 'bob', '--data-dir', server.dataDir], { input: 'bob-password-2\n' });
  secrets.push('bob-password-2');
  const stale = await api(server, 'GET', '/api/whoami-v2', { headers: { Cookie: `spaceport_session=${session}` } });
  assert.equal(stale.status, 401);
  assert.equal((await postLogin('bob', 'bob-password-1')).status, 401);
  assert.equal((await postLogin('bob', 'bob-password-2')).status, 303);
});

test('security: repeated wrong passwords are throttled with 429 and Retry-After', async () => {
  // Earlier tests' failures from this address count too, so the block may start one try early.
  const statuses = [];
  for (let i = 0; i < 7; i++) statuses.push((await postLogin('dave', 'wrong-password')).status);
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.ok(statuses.includes(429), statuses.join(','));
  const blocked = await postLogin('dave', 'dave-password-1');
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.retryAfter) >= 1, `Retry-After: ${blocked.retryAfter}`);
  assert.equal(blocked.cookie, '');
});

test('security: pages send no Referer to other sites', async () => {
  const page = await browser.newPage();
  try {
    const res = await page.goto(server.url + '/login?next=/settings/tokens');
    assert.equal(res.headers()['referrer-policy'], 'same-origin');
    const otherUrl = `http://127.0.0.1:${other.address().port}/ref`;
    await page.evaluate((u) => fetch(u, { mode: 'no-cors' }), otherUrl);
    const seen = otherSeen.filter((s) => s.url === '/ref');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].referer, '');
  } finally {
    await page.close();
  }
});

test('security: no token or password reaches the server output or log files', async () => {
  assert.ok(secrets.length >= 8);
  const texts = [server.output()];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.log|logs/.test(p)) texts.push(fs.readFileSync(p, 'latin1'));
    }
  };
  walk(server.dataDir);
  for (const secret of secrets) {
    for (const text of texts) {
      assert.equal(text.includes(secret), false, `a secret leaked into the logs: ${secret.slice(0, 6)}...`);
      assert.equal(text.includes('hf_' + secret.slice(3)), false);
    }
  }
});

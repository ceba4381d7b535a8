// Embedding end to end, in headless Chromium: a page on a third origin frames
// a private Space through a signed embed link (no sign-in), the link stops
// working when revoked or expired and opens no other Space; and a Space's
// allow-list (spaceport.embed.allow) becomes CSP frame-ancestors, which
// Chromium enforces: a listed site frames the app, another one cannot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { startServer, addUser, api, createSpace, waitStage, hostRequest, pythonApp, launchChromium, sleep } from './lib.mjs';

let server, alice, bob, browser, embedder;
let listedOrigin, unlistedOrigin;  // the same embedder server under two origins

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// The third site: /frame?src=URL frames URL; /snippet?html=... serves the
// given HTML as is (the snippet copied from a Space page).
function startEmbedder() {
  const s = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (url.pathname === '/frame') {
      res.end(`<!doctype html><title>embedder</title><iframe id="f" width="850" height="450"
        src="${escapeHtml(url.searchParams.get('src') ?? '')}" onload="document.title='loaded'"></iframe>`);
    } else if (url.pathname === '/snippet') {
      res.end(`<!doctype html><title>snippet</title>${url.searchParams.get('html') ?? ''}`);
    } else {
      res.statusCode = 404;
      res.end('not here');
    }
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

function filesOf(map) {
  return Object.entries(map).map(([p, content]) => ({ path: p, content, encoding: 'utf-8' }));
}

// Opens `src` in an iframe of the embedder page on `origin` and waits until
// the frame has loaded (the app, or Chromium's error page when refused).
async function frameIn(context, origin, src) {
  const page = await context.newPage();
  await page.goto(`${origin}/frame?src=${encodeURIComponent(src)}`);
  await page.waitForFunction(() => document.title === 'loaded', null, { timeout: 15000 });
  return page;
}

function appFrame(page, host) {
  return page.frames().find((f) => f.url().startsWith(`http://${host}:`));
}

// What the echo app saw, from the JSON text Chromium shows in the frame.
async function seenByApp(frame) {
  const text = await frame.textContent('body');
  return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
}

async function makeLink(space, body = {}) {
  const r = await api(server, 'POST', `/api/spaces/${space}/embed-links`, { token: alice, body });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// A link row written behind the server's back with the given expiry (unix
// millis): the only way to get a link that expires within seconds (the API's
// minimum is 60 s). The server publishes it with the Space's next change.
function insertLink(space, expiresAt) {
  const id = 'el_' + crypto.randomBytes(8).toString('hex');
  const secret = crypto.randomBytes(32).toString('hex');
  const hash = crypto.createHash('sha256').update(secret).digest('hex');
  const [owner, name] = space.split('/');
  const script = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
sid = db.execute("SELECT id FROM spaces WHERE owner = ? AND name = ?", (sys.argv[2], sys.argv[3])).fetchone()[0]
uid = db.execute("SELECT id FROM users WHERE name = ?", (sys.argv[2],)).fetchone()[0]
db.execute("INSERT INTO embed_links (id, space_id, name, created_by, secret_hash, created_at, expires_at)"
           " VALUES (?, ?, 'short', ?, ?, ?, ?)", (sys.argv[4], sid, uid, sys.argv[5], int(time.time() * 1000), int(sys.argv[6])))
db.commit()
`;
  execFileSync('python3', ['-c', script, path.join(server.dataDir, 'spaceport.db'), owner, name, id, hash, String(expiresAt)]);
  return { id, token: `${id}.${secret}`, expiresAt };
}

const appHost = (space) => space.replace('/', '-') + '.localhost';
const embedUrl = (space, token) => `http://${appHost(space)}:${server.port}/.spaceport/embed?t=${token}`;

before(async () => {
  server = await startServer();
  alice = addUser(server.dataDir, 'alice');
  bob = addUser(server.dataDir, 'bob');
  embedder = await startEmbedder();
  listedOrigin = `http://127.0.0.1:${embedder.address().port}`;
  unlistedOrigin = `http://localhost:${embedder.address().port}`;
  await createSpace(server, alice, 'alice', 'vault', 'process', { private: true, files: filesOf(pythonApp()) });
  await createSpace(server, alice, 'alice', 'other', 'static', {
    private: true,
    files: filesOf({ 'README.md': '---\nsdk: static\n---\n', 'index.html': '<h1>other app</h1>' }),
  });
  const listedCard = `---\nsdk: static\nspaceport:\n  embed:\n    allow:\n      - ${listedOrigin}\n      - https://*.example.com\n---\n`;
  await createSpace(server, alice, 'alice', 'listed', 'static', {
    files: filesOf({ 'README.md': listedCard, 'index.html': '<h1>listed app</h1>' }),
  });
  for (const id of ['alice/vault', 'alice/other', 'alice/listed']) await waitStage(server, id, 'RUNNING', { token: alice });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  embedder?.close();
  await server?.stop();
});

test('a signed embed link shows a private app in a third-party frame without sign-in, until revoked', async () => {
  const stranger = await hostRequest(server.port, appHost('alice/vault'), '/');
  assert.equal(stranger.status, 404, 'the private app is closed to strangers');
  const link = await makeLink('alice/vault', { expiresIn: 3600, name: 'blog' });
  assert.match(link.url, new RegExp(`^http://alice-vault\\.localhost:${server.port}/\\.spaceport/embed\\?t=el_[0-9a-f]{16}\\.[0-9a-f]{64}$`));

  const context = await browser.newContext();
  try {
    const page = await frameIn(context, listedOrigin, link.url);
    const frame = appFrame(page, appHost('alice/vault'));
    assert.ok(frame, `the app is not framed: ${page.frames().map((f) => f.url())}`);
    const seen = await seenByApp(frame);
    assert.equal(seen.space, 'alice/vault');
    assert.equal(seen.headers['X-Spaceport-Embed'], link.id, 'the app is told which link opened it');
    assert.equal(seen.headers['X-Spaceport-User'], undefined, 'an embed viewer is nobody');
    assert.equal(seen.headers['X-Spaceport-Identity'], undefined);
    assert.doesNotMatch(seen.headers.Cookie ?? '', /sp_app/, 'the viewer cookie stays at the edge');
    assert.ok(!frame.url().includes(link.url.split('?t=')[1]), 'the token is gone from the address after the redirect');

    const listed = await api(server, 'GET', '/api/spaces/alice/vault/embed-links', { token: alice });
    assert.equal(listed.json.length, 1);
    assert.ok(!listed.text.includes(link.url.split('.').pop()), 'the list never shows the secret');

    const revoked = await api(server, 'DELETE', `/api/spaces/alice/vault/embed-links/${link.id}`, { token: alice });
    assert.equal(revoked.status, 200, revoked.text);
    const again = await frame.goto(frame.url());  // the same frame, reloaded with its viewer cookie
    assert.equal(again.status(), 404);
    assert.equal(await again.text(), stranger.text, 'answers exactly as to a stranger');
    const reopened = await frame.goto(link.url);  // and the link itself
    assert.equal(reopened.status(), 404);
    assert.ok(!server.output().includes(link.url.split('.').pop()), 'the link secret reached the server output');
  } finally {
    await context.close();
  }
});

test("a Space's embed link opens no other Space, and forged links open nothing", async () => {
  const link = await makeLink('alice/vault');
  const stranger = await hostRequest(server.port, appHost('alice/other'), '/');
  const context = await browser.newContext();
  try {
    const page = await frameIn(context, listedOrigin, embedUrl('alice/other', link.url.split('?t=')[1]));
    const frame = appFrame(page, appHost('alice/other'));
    assert.ok(frame, `no frame: ${page.frames().map((f) => f.url())}`);
    assert.doesNotMatch(await frame.textContent('body'), /other app/);
    const direct = await frame.goto(`http://${appHost('alice/other')}:${server.port}/`);
    assert.equal(direct.status(), 404, 'no viewer cookie was set for the other Space');
    assert.equal(await direct.text(), stranger.text);
    const token = link.url.split('?t=')[1];
    const forged = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    assert.equal((await frame.goto(embedUrl('alice/vault', forged))).status(), 404);
    const positive = await frame.goto(link.url);
    assert.equal(positive.status(), 200, 'the real link still opens its own Space');
  } finally {
    await context.close();
  }
});

test('an expired embed link is refused, and a viewer opened by it loses the app when it expires', async () => {
  const past = insertLink('alice/vault', Date.now() - 1000);
  const soon = insertLink('alice/vault', Date.now() + 6000);
  await makeLink('alice/vault');  // a change of the Space's links republishes them to the edge
  const context = await browser.newContext();
  try {
    const page = await frameIn(context, listedOrigin, embedUrl('alice/vault', soon.token));
    const frame = appFrame(page, appHost('alice/vault'));
    assert.ok(frame, `no frame: ${page.frames().map((f) => f.url())}`);
    assert.equal((await seenByApp(frame)).headers['X-Spaceport-Embed'], soon.id, 'opens while it lives');
    assert.equal((await frame.goto(embedUrl('alice/vault', past.token))).status(), 404, 'already expired');
    await sleep(Math.max(0, soon.expiresAt + 200 - Date.now()));  // the link's end, by the same clock
    const later = await frame.goto(`http://${appHost('alice/vault')}:${server.port}/`);
    assert.equal(later.status(), 404, 'the viewer cookie ends with its link');
    assert.equal((await frame.goto(embedUrl('alice/vault', soon.token))).status(), 404);
  } finally {
    await context.close();
  }
});

test('embed links are for writers only; bad lifetimes are refused', async () => {
  assert.equal((await api(server, 'POST', '/api/spaces/alice/vault/embed-links', { token: bob, body: {} })).status, 404);
  assert.equal((await api(server, 'POST', '/api/spaces/alice/vault/embed-links', { body: {} })).status, 401);
  const short = await api(server, 'POST', '/api/spaces/alice/vault/embed-links', { token: alice, body: { expiresIn: 10 } });
  assert.equal(short.status, 400);
  assert.match(short.json.error, /expiresIn/);
});

test('spaceport.embed.allow: the answer carries frame-ancestors; Chromium lets only listed sites frame the app', async () => {
  const r = await hostRequest(server.port, appHost('alice/listed'), '/');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-security-policy'],
    `frame-ancestors 'self' ${server.url} ${listedOrigin} https://*.example.com`);

  const context = await browser.newContext();
  try {
    const appUrl = `http://${appHost('alice/listed')}:${server.port}/`;
    const allowed = await frameIn(context, listedOrigin, appUrl);
    await allowed.frameLocator('#f').getByText('listed app').waitFor({ timeout: 10000 });

    const refused = await frameIn(context, unlistedOrigin, appUrl);
    const frame = refused.frames().find((f) => f !== refused.mainFrame());
    const shown = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
    assert.doesNotMatch(shown, /listed app/, `an unlisted site framed the app (${frame?.url()})`);
  } finally {
    await context.close();
  }
});

test('the Space page offers a copyable iframe snippet that works on a listed site', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url + '/spaces/alice/listed');
    const snippet = (await page.textContent('#embed-snippet')).trim();
    assert.equal(snippet,
      `<iframe src="http://${appHost('alice/listed')}:${server.port}/" width="850" height="450" frameborder="0"></iframe>`);
    const site = await context.newPage();
    await site.goto(`${listedOrigin}/snippet?html=${encodeURIComponent(snippet)}`);
    await site.frameLocator('iframe').getByText('listed app').waitFor({ timeout: 10000 });

    const hidden = await page.goto(server.url + '/spaces/alice/vault');
    assert.equal(hidden.status(), 404, 'a private Space has no page for strangers');
  } finally {
    await context.close();
  }
});

test('a bad origin in spaceport.embed.allow is a CONFIG_ERROR naming the key and the line', async () => {
  const card = '---\nsdk: static\nspaceport:\n  embed:\n    allow:\n      - "https://a.example; script-src *"\n---\n';
  await createSpace(server, alice, 'alice', 'badallow', 'static', {
    files: filesOf({ 'README.md': card, 'index.html': 'x' }),
  });
  const { runtime } = await waitStage(server, 'alice/badallow', 'CONFIG_ERROR', { token: alice });
  assert.match(runtime.errorMessage, /README\.md line 6: spaceport\.embed\.allow: expected an origin/);
});

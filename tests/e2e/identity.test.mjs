// Identity at the edge: private Spaces at their app host, the signed identity
// apps receive (checked by the app itself against the JWKS), and the sign-in
// hand-off that gives a browser the app host's own cookie.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, OAUTH_APP, BIN } from './lib.mjs';

// Verifies X-Spaceport-Identity with the hub's JWKS (node's own Ed25519) and
// says who it is, and what identity headers it was handed.
const IDENTITY_APP = String.raw`
const http = require('http');
const crypto = require('crypto');
async function verify(token) {
  if (!token) return { error: 'no identity' };
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwks = await (await fetch(process.env.SPACEPORT_HUB_URL + '/.well-known/jwks.json')).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (header.alg !== 'EdDSA' || !jwk) return { error: 'unknown key' };
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  if (!crypto.verify(null, Buffer.from(h + '.' + p), key, Buffer.from(s, 'base64url'))) return { error: 'bad signature' };
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  if (claims.aud !== process.env.SPACE_ID) return { error: 'not for this Space' };
  if (claims.exp < Date.now() / 1000) return { error: 'expired' };
  return { user: claims.preferred_username };
}
http.createServer(async (req, res) => {
  const verified = await verify(req.headers['x-spaceport-identity']).catch((e) => ({ error: String(e) }));
  const body = JSON.stringify({
    verified, headerUser: req.headers['x-spaceport-user'] ?? null,
    authorization: req.headers['authorization'] ?? null, cookie: req.headers['cookie'] ?? null,
  });
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const appFiles = {
  'README.md': '---\ntitle: Identity\nsdk: process\napp_command: node app.js\n---\n',
  'app.js': IDENTITY_APP,
};

let server, alice, bob;

// A password for `user` (set offline) and a hub session from POST /login.
async function signIn(user) {
  const password = 'identity-password-1';
  execFileSync(BIN, ['user', 'password', user, '--data-dir', server.dataDir], { input: password + '\n' });
  const res = await fetch(server.url + '/login', {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user, password, next: '/' }).toString(),
  });
  assert.equal(res.status, 303, await res.text());
  return (res.headers.get('set-cookie') || '').match(/spaceport_session=([^;]*)/)[1];
}
const host = 'alice-vault.localhost';
before(async () => {
  server = await startServer();  // sandboxed apps: the JWKS is fetched through the egress to the edge
  alice = addUser(server.dataDir, 'alice');
  bob = addUser(server.dataDir, 'bob', ['--read-only']);
  const oauthFiles = {
    'README.md': `---\ntitle: OAuth\nsdk: process\napp_command: node app.js\nhf_oauth: true\n---\n`,
    'app.js': OAUTH_APP,
  };
  for (const [name, priv, files] of [['vault', true, appFiles], ['open', false, appFiles], ['oauth', false, oauthFiles]]) {
    await createSpace(server, alice, 'alice', name, 'process', { private: priv });
    await api(server, 'POST', `/api/spaces/alice/${name}/variables`, { token: alice, body: { key: 'EDGE_PORT', value: String(server.port) } });
    const dir = gitRepo(files);
    assert.equal(gitPush(server, dir, `alice/${name}`, 'alice', alice).code, 0);
    await waitStage(server, `alice/${name}`, 'RUNNING', { token: alice, sha: headSha(dir) });
  }
});
after(async () => { await server?.stop(); });

test('a private app host answers anonymous visitors and non-members exactly like a missing Space', async () => {
  const anon = await hostRequest(server.port, host, '/');
  const missing = await hostRequest(server.port, 'alice-nothing.localhost', '/');
  assert.equal(anon.status, 404);
  assert.equal(anon.text.replace('vault', 'X'), missing.text.replace('nothing', 'X'));
  const other = await hostRequest(server.port, host, '/', { headers: { Authorization: `Bearer ${bob}` } });
  assert.equal(other.status, 404, 'a read token of a non-member');
  const pathBased = await api(server, 'GET', '/spaces/alice/vault/app/');
  assert.equal(pathBased.status, 404);
  const bad = await hostRequest(server.port, host, '/', { headers: { Authorization: `Bearer sp_${'0'.repeat(40)}` } });
  assert.equal(bad.status, 401);
});

test("the owner's token is served; the app verifies who it is and never sees the token", async () => {
  const r = await hostRequest(server.port, host, '/', {
    headers: { Authorization: `Bearer ${alice}`, 'X-Spaceport-User': 'admin', 'X-Spaceport-Identity': 'forged' },
  });
  assert.equal(r.status, 200, r.text);
  const seen = JSON.parse(r.text);
  assert.deepEqual(seen.verified, { user: 'alice' });
  assert.equal(seen.headerUser, 'alice');
  assert.equal(seen.authorization, null, 'the platform token reached the app');
});

test('a forged identity never reaches a public app; anonymous visitors get none', async () => {
  const r = await hostRequest(server.port, 'alice-open.localhost', '/', {
    headers: { 'X-Spaceport-User': 'alice', 'X-Spaceport-Identity': 'eyJhbGciOiJub25lIn0.e30.' },
  });
  assert.equal(r.status, 200, r.text);
  const seen = JSON.parse(r.text);
  assert.equal(seen.headerUser, null);
  assert.deepEqual(seen.verified, { error: 'no identity' });
});

test('the hand-off signs a browser in on the app host once, with a cookie of its own', async () => {
  const hop = await api(server, 'GET', '/.spaceport/handoff?space=alice/vault&next=/after', { token: alice, redirect: 'manual' });
  assert.equal(hop.status, 302, hop.text);
  const target = new URL(hop.headers.get('location'));
  assert.equal(target.hostname, host);
  assert.equal(hop.headers.get('referrer-policy'), 'no-referrer');
  const login = await hostRequest(server.port, host, target.pathname + target.search);
  assert.equal(login.status, 302, login.text);
  assert.equal(login.headers.location, '/after');
  const cookie = login.headers['set-cookie'][0].split(';')[0];
  assert.match(cookie, /^sp_app=/);
  assert.match(login.headers['set-cookie'][0], /HttpOnly/);

  const replay = await hostRequest(server.port, host, target.pathname + target.search);
  assert.equal(replay.status, 401, 'a hand-off code works once');

  const visit = await hostRequest(server.port, host, '/', { headers: { Cookie: `theme=dark; ${cookie}` } });
  assert.equal(visit.status, 200, visit.text);
  const seen = JSON.parse(visit.text);
  assert.deepEqual(seen.verified, { user: 'alice' });
  assert.equal(seen.cookie, 'theme=dark', 'the session cookie reached the app');

  // The cookie is worth nothing on another app host.
  const elsewhere = await hostRequest(server.port, 'alice-open.localhost', '/', { headers: { Cookie: cookie } });
  assert.equal(JSON.parse(elsewhere.text).headerUser, null);

  const stranger = await api(server, 'GET', '/.spaceport/handoff?space=alice/vault', { token: bob, redirect: 'manual' });
  assert.equal(stranger.status, 404, 'no hand-off into a private Space for a non-member');
});

test("signing out of the hub ends the app host's session made from it", async () => {
  const session = await signIn('alice');
  const browser = { Cookie: `spaceport_session=${session}` };
  const hop = await api(server, 'GET', '/.spaceport/handoff?space=alice/vault', { headers: browser, redirect: 'manual' });
  assert.equal(hop.status, 302, hop.text);
  const target = new URL(hop.headers.get('location'));
  const login = await hostRequest(server.port, host, target.pathname + target.search);
  assert.equal(login.status, 302, login.text);
  const cookie = login.headers['set-cookie'][0].split(';')[0];
  const before = await hostRequest(server.port, host, '/', { headers: { Cookie: cookie } });
  assert.equal(before.status, 200, before.text);
  assert.deepEqual(JSON.parse(before.text).verified, { user: 'alice' });

  const page = await api(server, 'GET', '/settings/tokens', { headers: browser });
  const csrf = page.text.match(/name="csrf" value="([^"]+)"/)[1];
  const out = await fetch(server.url + '/logout', {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf }).toString(),
    headers: { ...browser, Origin: server.url, 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(out.status, 303, await out.text());
  const after = await hostRequest(server.port, host, '/', { headers: { Cookie: cookie } });
  assert.equal(after.status, 404, 'the private app is closed again, as to anyone signed out');
});

test('an hf_oauth app signs a user in with code + PKCE and reads userinfo', async () => {
  const oauthHost = 'alice-oauth.localhost';
  const home = JSON.parse((await hostRequest(server.port, oauthHost, '/')).text);
  assert.equal(home.scopes, 'openid profile');
  assert.equal(home.provider, server.url);

  const start = await hostRequest(server.port, oauthHost, '/login');
  assert.equal(start.status, 302, start.text);
  const authorize = new URL(start.headers.location);
  assert.equal(authorize.origin + authorize.pathname, `${server.url}/oauth/authorize`);

  const anonymous = await api(server, 'GET', authorize.pathname + authorize.search, { redirect: 'manual' });
  assert.equal(anonymous.status, 303, 'authorize needs a signed-in user');
  assert.equal(anonymous.headers.get('location'), '/login?next=' + encodeURIComponent(authorize.pathname + authorize.search));

  // A redirect_uri off the Space's own host is refused, not followed.
  const hijack = new URL(authorize);
  hijack.searchParams.set('redirect_uri', 'http://evil.localhost/cb');
  const refused = await api(server, 'GET', hijack.pathname + hijack.search, { token: bob, redirect: 'manual' });
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.headers.get('location'), null);

  // A token cannot consent (that takes a browser session: oauth_consent.test.mjs
  // covers the page in Chromium); bob allows the app with his session's form.
  const unconsented = await api(server, 'GET', authorize.pathname + authorize.search, { token: bob, redirect: 'manual' });
  assert.equal(unconsented.status, 403, unconsented.text);
  const session = await signIn('bob');
  const consent = await api(server, 'GET', authorize.pathname + authorize.search,
    { headers: { Cookie: `spaceport_session=${session}` }, redirect: 'manual' });
  assert.equal(consent.status, 200, consent.text);
  const fields = new URLSearchParams(authorize.search);
  fields.delete('response_type');
  fields.set('csrf', consent.text.match(/name="csrf" value="([^"]+)"/)[1]);
  fields.set('decision', 'allow');
  const allowed = await fetch(server.url + '/oauth/authorize', {
    method: 'POST', redirect: 'manual', body: fields.toString(),
    headers: { Cookie: `spaceport_session=${session}`, Origin: server.url, 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(allowed.status, 303, await allowed.text());
  const granted = await api(server, 'GET', authorize.pathname + authorize.search, { token: bob, redirect: 'manual' });
  assert.equal(granted.status, 302, 'with the grant, his token goes straight through too');
  const back = new URL(allowed.headers.get('location'));
  assert.equal(back.host, `${oauthHost}:${server.port}`);
  const done = await hostRequest(server.port, oauthHost, back.pathname + back.search);
  assert.equal(done.status, 200, done.text);
  const result = JSON.parse(done.text);
  assert.equal(result.userinfo.preferred_username, 'bob');
  assert.equal(result.idToken, true);

  const replay = await hostRequest(server.port, oauthHost, back.pathname + back.search);
  assert.equal(replay.status, 401, 'the code was single use');
});

test('a manual gated Space: refused at the edge until the owner accepts; rejection is final', async () => {
  const carol = addUser(server.dataDir, 'carol');
  const gatedHost = 'alice-open.localhost';
  const set = await api(server, 'PUT', '/api/spaces/alice/open/settings', { token: alice, body: { gated: 'manual' } });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.gated, 'manual');

  const before = await hostRequest(server.port, gatedHost, '/', { headers: { Authorization: `Bearer ${bob}` } });
  assert.equal(before.status, 403, 'gated before any request');
  assert.match(before.text, /request access at/);
  const ownerVisit = await hostRequest(server.port, gatedHost, '/', { headers: { Authorization: `Bearer ${alice}` } });
  assert.equal(ownerVisit.status, 200, 'the owner is never gated out');

  const ask = await api(server, 'POST', '/api/spaces/alice/open/ask-access', { token: bob, body: { company: 'ACME' } });
  assert.equal(ask.status, 200, ask.text);
  assert.equal(ask.json.status, 'pending');
  const pendingVisit = await hostRequest(server.port, gatedHost, '/', { headers: { Authorization: `Bearer ${bob}` } });
  assert.equal(pendingVisit.status, 403, 'pending is not accepted');

  const notOwner = await api(server, 'GET', '/api/spaces/alice/open/user-access-request/pending', { token: bob });
  assert.equal(notOwner.status, 403);
  const pending = await api(server, 'GET', '/api/spaces/alice/open/user-access-request/pending', { token: alice });
  assert.equal(pending.status, 200, pending.text);
  assert.deepEqual(pending.json.map((r) => [r.user.user, r.fields.company]), [['bob', 'ACME']]);

  const accept = await api(server, 'POST', '/api/spaces/alice/open/user-access-request/handle',
    { token: alice, body: { user: 'bob', status: 'accepted' } });
  assert.equal(accept.status, 200, accept.text);
  const after = await hostRequest(server.port, gatedHost, '/', { headers: { Authorization: `Bearer ${bob}` } });
  assert.equal(after.status, 200, 'accepted takes effect at the edge at once');
  assert.equal(JSON.parse(after.text).headerUser, 'bob');

  assert.equal((await api(server, 'POST', '/api/spaces/alice/open/ask-access', { token: carol, body: {} })).status, 200);
  const reject = await api(server, 'POST', '/api/spaces/alice/open/user-access-request/handle',
    { token: alice, body: { user: 'carol', status: 'rejected', rejectionReason: 'not now' } });
  assert.equal(reject.status, 200, reject.text);
  const again = await api(server, 'POST', '/api/spaces/alice/open/ask-access', { token: carol, body: {} });
  assert.equal(again.status, 409, 'a rejected visitor cannot ask again');
  const carolVisit = await hostRequest(server.port, gatedHost, '/', { headers: { Authorization: `Bearer ${carol}` } });
  assert.equal(carolVisit.status, 403);

  // Ungating opens the app to everyone again.
  await api(server, 'PUT', '/api/spaces/alice/open/settings', { token: alice, body: { gated: false } });
  assert.equal((await hostRequest(server.port, gatedHost, '/')).status, 200);
});

test("the owner's hub session opens the private app at its path-based URL; others get 404", async () => {
  const aliceSession = await signIn('alice');
  const bobSession = await signIn('bob');
  const app = '/spaces/alice/vault/app/';

  const owner = await api(server, 'GET', app, { headers: { Cookie: `theme=dark; spaceport_session=${aliceSession}` } });
  assert.equal(owner.status, 200, owner.text);
  const seen = JSON.parse(owner.text);
  assert.deepEqual(seen.verified, { user: 'alice' });
  assert.equal(seen.headerUser, 'alice');
  assert.equal(seen.cookie, 'theme=dark', 'the hub session cookie reached the app');

  const anonymous = await api(server, 'GET', app);
  const stranger = await api(server, 'GET', app, { headers: { Cookie: `spaceport_session=${bobSession}` } });
  const missing = await api(server, 'GET', '/spaces/alice/nothing/app/');
  assert.equal(anonymous.status, 404);
  assert.equal(stranger.status, 404);
  assert.equal(stranger.text.replace('vault', 'X'), missing.text.replace('nothing', 'X'), 'exactly like a missing Space');

  // A state-changing request sent from a sibling site does not ride on the session.
  const sibling = await api(server, 'POST', app, {
    headers: { Cookie: `spaceport_session=${aliceSession}`, 'Sec-Fetch-Site': 'same-site', Origin: 'http://bob-x.localhost' },
  });
  assert.equal(sibling.status, 404);
  const sameOrigin = await api(server, 'POST', app, {
    headers: { Cookie: `spaceport_session=${aliceSession}`, 'Sec-Fetch-Site': 'same-origin' },
  });
  assert.equal(sameOrigin.status, 200, sameOrigin.text);
});

test('a private Space stays private at its app host after a move', async () => {
  const moved = await api(server, 'POST', '/api/repos/move', { token: alice, body: { fromRepo: 'alice/vault', toRepo: 'alice/safe', type: 'space' } });
  assert.equal(moved.status, 200, moved.text);
  await waitStage(server, 'alice/safe', 'RUNNING', { token: alice });
  assert.equal((await hostRequest(server.port, 'alice-safe.localhost', '/')).status, 404);
  const owner = await hostRequest(server.port, 'alice-safe.localhost', '/', { headers: { Authorization: `Bearer ${alice}` } });
  assert.equal(owner.status, 200, owner.text);
  assert.equal((await hostRequest(server.port, host, '/', { headers: { Authorization: `Bearer ${alice}` } })).status, 404, 'the old host is gone');
});

test('disable_embedding: only the hub may frame the app (CSP frame-ancestors); others may embed freely', async () => {
  const files = [{ path: 'index.html', content: '<h1>no frames</h1>', encoding: 'utf-8' },
    { path: 'README.md', content: '---\nsdk: static\ndisable_embedding: true\n---\n', encoding: 'utf-8' }];
  await createSpace(server, alice, 'alice', 'noframe', 'static', { files });
  await waitStage(server, 'alice/noframe', 'RUNNING', { token: alice });
  const framed = await hostRequest(server.port, 'alice-noframe.localhost', '/');
  assert.equal(framed.status, 200, framed.text);
  assert.equal(framed.headers['content-security-policy'], `frame-ancestors 'self' ${server.url}`);
  const proxied = await hostRequest(server.port, 'alice-safe.localhost', '/', { headers: { Authorization: `Bearer ${alice}` } });
  assert.equal(proxied.status, 200, proxied.text);
  assert.equal(proxied.headers['content-security-policy'], undefined, 'embedding is allowed by default');
});

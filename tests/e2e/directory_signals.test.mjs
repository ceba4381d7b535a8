// The directory's signals on the real server: the health probe goes through
// the edge to a real sandboxed app after its deploy (the card's
// spaceport.probe), sets the verified badge, and a crash takes it away at the
// next probe; the edge's record of the app's answers reaches the store; an
// archived Space leaves default results (docs/directory.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, pythonApp, sleep, PY_REPLY_AND_SERVE } from './lib.mjs';

// GET /health answers "healthy" until GET /break, which leaves a mark in
// /data and exits: every later start finds the mark and exits at once.
const BREAKABLE_APP = String.raw`
import os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
if os.path.exists("/data/broken"):
    print("broken for good", flush=True)
    sys.exit(1)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.endswith("/break"):
            open("/data/broken", "w").close()
            os._exit(1)
        body = b"healthy" if self.path.endswith("/health") else b"home"
${PY_REPLY_AND_SERVE}`;

let server, token;

async function waitFor(what, fn, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last.ok) return last.value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(last.value)}`);
}

const info = async (id) => (await api(server, 'GET', `/api/spaces/${id}`, { token })).json;

before(async () => {
  server = await startServer({ args: ['--probe-interval', '10'] });
  token = addUser(server.dataDir, 'vera');
});
after(async () => { await server?.stop(); });

test('a probe after the deploy verifies the app; a crash loses the badge at the next probe', async () => {
  await createSpace(server, token, 'vera', 'breakable', 'process');
  const dir = gitRepo(pythonApp(BREAKABLE_APP, { extraCard: 'spaceport:\n  probe:\n    path: /health\n    expect_text: healthy\n' }));
  assert.equal(gitPush(server, dir, 'vera/breakable', 'vera', token).code, 0);
  await waitStage(server, 'vera/breakable', 'RUNNING', { token, sha: headSha(dir) });
  const verified = await waitFor('the verified badge', async () => {
    const i = await info('vera/breakable');
    return { ok: i.health?.verified === true, value: i.health };
  });
  assert.equal(verified.lastProbeOk, true);
  assert.equal(verified.uptime30d, 1);
  assert.ok(Date.parse(verified.lastProbeAt) > Date.now() - 60000);
  assert.equal((await info('vera/breakable')).verified, true);
  const found = await api(server, 'GET', '/api/spaces/search?search=test%20app&verified=true', { token });
  assert.deepEqual(found.json.spaces.map((s) => s.id), ['vera/breakable']);

  // Visitors' requests: the edge's record of the app's answers reaches the store.
  for (let i = 0; i < 3; i++) assert.equal((await hostRequest(server.port, 'vera-breakable.localhost', '/')).status, 200);
  await waitFor('the edge record', async () => {
    const h = (await api(server, 'GET', '/api/spaces/vera/breakable/health', { token })).json;
    return { ok: h.answers48h >= 3, value: h };
  }, 30000);

  await hostRequest(server.port, 'vera-breakable.localhost', '/break').catch(() => {});
  const lost = await waitFor('the badge to go', async () => {
    const h = (await api(server, 'GET', '/api/spaces/vera/breakable/health', { token })).json;
    return { ok: h.verified === false, value: h };
  });
  assert.equal(lost.lastProbeOk, false);
  assert.ok(lost.lastProbeDetail.length > 0, JSON.stringify(lost));
  assert.ok(lost.uptime30d < 1);
  const gone = await api(server, 'GET', '/api/spaces/search?search=test%20app&verified=true', { token });
  assert.deepEqual(gone.json.spaces, []);
});

test('archiving takes a Space out of default results and the owner brings it back', async () => {
  await createSpace(server, token, 'vera', 'old-notes', 'static');
  const dir = gitRepo({ 'README.md': '---\ntitle: Old notes\nsdk: static\n---\n', 'index.html': '<p>notes</p>' });
  assert.equal(gitPush(server, dir, 'vera/old-notes', 'vera', token).code, 0);
  const search = async () => (await api(server, 'GET', '/api/spaces?search=notes%20', { token })).json.map((s) => s.id);
  assert.deepEqual(await search(), ['vera/old-notes']);
  assert.equal((await api(server, 'POST', '/api/spaces/vera/old-notes/archive', { token })).status, 200);
  assert.deepEqual(await search(), []);
  assert.equal((await info('vera/old-notes')).archived, true);
  assert.equal((await api(server, 'DELETE', '/api/spaces/vera/old-notes/archive', { token })).status, 200);
  assert.deepEqual(await search(), ['vera/old-notes']);
});

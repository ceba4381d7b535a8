// Acceptance 5: bad input gets a clear error with the right status, and
// nothing already stored is lost or corrupted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  startServer, addUser, createSpace, gitRepo, gitPush, headSha, remoteHead, waitStage, hostRequest, api, pythonApp,
} from './lib.mjs';

let server, alice, bob, goodSha;
before(async () => {
  server = await startServer();
  alice = addUser(server.dataDir, 'alice');
  bob = addUser(server.dataDir, 'bob');
  await createSpace(server, alice, 'alice', 'good', 'process');
  const dir = gitRepo(pythonApp());
  assert.equal(gitPush(server, dir, 'alice/good', 'alice', alice).code, 0);
  goodSha = headSha(dir);
  await waitStage(server, 'alice/good', 'RUNNING', { token: alice, sha: goodSha });
});
after(async () => { await server?.stop(); });

async function goodStillServes() {
  const r = await hostRequest(server.port, 'alice-good.localhost', '/');
  assert.equal(r.status, 200, `alice/good stopped serving: ${r.status} ${r.text}`);
  assert.equal(remoteHead(server, 'alice/good', 'alice', alice), goodSha);
}

test('a malformed card gives CONFIG_ERROR naming the key and the line', async () => {
  await createSpace(server, alice, 'alice', 'badcard', 'process');
  const dir = gitRepo({
    'README.md': '---\ntitle: Bad\nsdk: process\napp_port: not-a-port\napp_command: /usr/bin/python3 app.py\n---\n',
    'app.py': 'print(1)\n',
  });
  assert.equal(gitPush(server, dir, 'alice/badcard', 'alice', alice).code, 0);
  const { runtime } = await waitStage(server, 'alice/badcard', 'CONFIG_ERROR', { token: alice, sha: headSha(dir) });
  assert.match(runtime.errorMessage, /app_port/);
  assert.match(runtime.errorMessage, /line 4/);
  const app = await hostRequest(server.port, 'alice-badcard.localhost', '/', { headers: { Accept: 'application/json' } });
  assert.equal(app.status, 503);
  assert.match(app.text, /CONFIG_ERROR/);
  await goodStillServes();
});

test('a bad card pushed over a running Space: CONFIG_ERROR and its message, the old version still serving', async () => {
  await createSpace(server, alice, 'alice', 'turn', 'process');
  const dir = gitRepo(pythonApp());
  assert.equal(gitPush(server, dir, 'alice/turn', 'alice', alice).code, 0);
  const goodTurn = headSha(dir);
  await waitStage(server, 'alice/turn', 'RUNNING', { token: alice, sha: goodTurn });
  gitRepo({ 'README.md': '---\ntitle: Turn\nsdk: process\napp_port: not-a-port\napp_command: /usr/bin/python3 app.py\n---\n' }, dir);
  assert.equal(gitPush(server, dir, 'alice/turn', 'alice', alice).code, 0);
  const { runtime } = await waitStage(server, 'alice/turn', 'CONFIG_ERROR', { token: alice });
  assert.match(runtime.errorMessage, /app_port/);
  assert.match(runtime.errorMessage, /previous version keeps serving/);
  assert.equal(runtime.serving, true);
  assert.equal(runtime.sha, goodTurn);
  const app = await hostRequest(server.port, 'alice-turn.localhost', '/');
  assert.equal(app.status, 200, app.text);
  // The Space's page shows the error and the app.
  const page = await api(server, 'GET', '/spaces/alice/turn', { token: alice });
  assert.match(page.text, /CONFIG_ERROR/);
  assert.match(page.text, /previous one keeps serving/);
  assert.match(page.text, /<iframe class="app"/);
});

test('a missing app file gives NO_APP_FILE', async () => {
  await createSpace(server, alice, 'alice', 'noapp', 'gradio');
  const dir = gitRepo({ 'README.md': '---\nsdk: gradio\n---\n', 'other.py': '' });
  assert.equal(gitPush(server, dir, 'alice/noapp', 'alice', alice).code, 0);
  const { runtime } = await waitStage(server, 'alice/noapp', 'NO_APP_FILE', { token: alice, sha: headSha(dir) });
  assert.match(runtime.errorMessage || '', /app\.py/);
});

test('an app that exits at once gives RUNTIME_ERROR with its last log lines', async () => {
  await createSpace(server, alice, 'alice', 'crashy', 'process');
  const dir = gitRepo(pythonApp('import sys\nprint("loading model weights", flush=True)\nsys.exit("boom: weights file missing")\n'));
  assert.equal(gitPush(server, dir, 'alice/crashy', 'alice', alice).code, 0);
  const { runtime } = await waitStage(server, 'alice/crashy', 'RUNTIME_ERROR', { token: alice, sha: headSha(dir), timeoutMs: 60000 });
  assert.match(runtime.errorMessage, /boom: weights file missing/);
  assert.match(runtime.errorMessage, /exit/i);
  await goodStillServes();
});

test('a wrong token gets 401 from the API and from git, and changes nothing', async () => {
  const who = await api(server, 'GET', '/api/whoami-v2', { token: 'sp_0000000000000000000000000000000000000000' });
  assert.equal(who.status, 401);
  assert.ok(who.json?.error, 'JSON error body expected');
  const create = await api(server, 'POST', '/api/repos/create', { token: 'garbage', body: { type: 'space', name: 'x', sdk: 'static' } });
  assert.equal(create.status, 401);
  const dir = gitRepo(pythonApp(undefined, { version: 'evil' }));
  const push = gitPush(server, dir, 'alice/good', 'alice', 'sp_wrongwrongwrongwrongwrongwrongwrongwrong');
  assert.notEqual(push.code, 0);
  assert.match(push.output, /401|Authentication failed|could not read/i);
  await goodStillServes();
});

test("a push to someone else's Space gets 403 and leaves the repository unchanged", async () => {
  const dir = gitRepo(pythonApp(undefined, { version: 'bob-was-here' }));
  const push = gitPush(server, dir, 'alice/good', 'bob', bob);
  assert.notEqual(push.code, 0);
  assert.match(push.output, /403/);
  await goodStillServes();
  const r = await api(server, 'POST', '/api/spaces/alice/good/restart', { token: bob });
  assert.equal(r.status, 403);
});

test('a push without credentials is asked for them (401)', async () => {
  const dir = gitRepo(pythonApp());
  const push = gitPush(server, dir, 'alice/good', '', '');
  assert.notEqual(push.code, 0);
  await goodStillServes();
});

test("paths with '..' are refused with 400", async () => {
  for (const target of ['/spaces/alice/good/app/../../../etc/passwd', '/spaces/alice/good/app/%2e%2e/%2e%2e/x', '/../../etc/passwd']) {
    const status = await rawStatus(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(status, 400, target);
  }
  const host = await rawStatus('GET /a/../../b HTTP/1.1\r\nHost: alice-good.localhost\r\nConnection: close\r\n\r\n');
  assert.equal(host, 400);
  await goodStillServes();
});

test('oversized and malformed requests get 431/400, and the server keeps serving', async () => {
  const huge = 'x'.repeat(100 * 1024);
  assert.equal(await rawStatus(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\n\r\n`), 431);
  assert.equal(await rawStatus('GARBAGE\r\n\r\n'), 400);
  assert.equal(await rawStatus('POST / HTTP/1.1\r\nHost: alice-good.localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), 400);
  await goodStillServes();
});

test('creating a Space with a bad name or a taken one is refused', async () => {
  let r = await api(server, 'POST', '/api/repos/create', { token: alice, body: { type: 'space', name: '../etc', sdk: 'static' } });
  assert.equal(r.status, 400, r.text);
  r = await api(server, 'POST', '/api/repos/create', { token: alice, body: { type: 'space', name: 'good', sdk: 'static' } });
  assert.equal(r.status, 409, r.text);
  r = await api(server, 'POST', '/api/repos/create', { token: alice, body: { type: 'space', name: 'other', organization: 'bob', sdk: 'static' } });
  assert.equal(r.status, 403, r.text);
  r = await api(server, 'POST', '/api/repos/create', { token: alice, body: '{not json' });
  assert.equal(r.status, 400, r.text);
  await goodStillServes();
});

function rawStatus(request) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1', () => sock.write(request));
    let data = '';
    sock.on('data', (d) => {
      data += d.toString();
      const m = data.match(/^HTTP\/1\.[01] (\d{3})/);
      if (m) { resolve(Number(m[1])); sock.destroy(); }
    });
    sock.on('error', (e) => (data ? resolve(Number((data.match(/^HTTP\/1\.[01] (\d{3})/) || [])[1])) : reject(e)));
    sock.on('end', () => resolve(Number((data.match(/^HTTP\/1\.[01] (\d{3})/) || [])[1] || 0)));
    setTimeout(() => { sock.destroy(); resolve(0); }, 5000);
  });
}

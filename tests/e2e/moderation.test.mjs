// Reports and moderation on the real server (docs/directory.md,
// "Moderation"): a visitor reports a Space, an admin finds it in the queue
// and disables it, and the edge answers its app with 451 and the notice on
// the very next request, also after a restart; suspending the owner stops
// their token; every action is in the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest } from './lib.mjs';

let server;
const tokens = {};

before(async () => {
  server = await startServer();
  tokens.mia = addUser(server.dataDir, 'mia');
  tokens.rex = addUser(server.dataDir, 'rex');
  tokens.ops = addUser(server.dataDir, 'ops', ['--admin']);
});
after(async () => { await server?.stop(); });

const app = () => hostRequest(server.port, 'mia-pages.localhost', '/');

test('a report reaches the queue; disabling answers 451 at once and survives a restart; enabling restores', async () => {
  await createSpace(server, tokens.mia, 'mia', 'pages', 'static');
  const dir = gitRepo({ 'README.md': '---\ntitle: Pages\nsdk: static\n---\n', 'index.html': '<p>pages</p>' });
  assert.equal(gitPush(server, dir, 'mia/pages', 'mia', tokens.mia).code, 0);
  await waitStage(server, 'mia/pages', 'RUNNING', { token: tokens.mia, sha: headSha(dir) });
  assert.equal((await app()).status, 200);

  const report = await api(server, 'POST', '/api/spaces/mia/pages/report', {
    token: tokens.rex, body: { reason: 'copyright', details: 'my photos' },
  });
  assert.equal(report.status, 200, report.text);
  assert.equal((await api(server, 'GET', '/api/moderation/reports', { token: tokens.rex })).status, 403);
  const queue = await api(server, 'GET', '/api/moderation/reports', { token: tokens.ops });
  assert.deepEqual(queue.json.map((r) => [r.space, r.reporter, r.reason]), [['mia/pages', 'rex', 'copyright']]);

  const act = await api(server, 'POST', '/api/moderation/spaces/mia/pages', {
    token: tokens.ops, body: { action: 'disable', note: 'Removed after a copyright claim.', report: queue.json[0].id },
  });
  assert.equal(act.status, 200, act.text);
  const off = await app();
  assert.equal(off.status, 451);
  assert.match(off.text, /Removed after a copyright claim\./);
  const page = await hostRequest(server.port, 'mia-pages.localhost', '/', { headers: { Accept: 'text/html' } });
  assert.equal(page.status, 451);
  assert.match(page.headers['content-type'], /text\/html/);
  assert.equal((await api(server, 'GET', '/api/spaces/mia/pages', { token: tokens.rex })).json.disabled, true);
  assert.deepEqual((await api(server, 'GET', '/api/moderation/reports', { token: tokens.ops })).json, []);

  await server.stop();
  server = await startServer({ dataDir: server.dataDir });
  assert.equal((await app()).status, 451, 'the notice is in the store, not only in memory');

  assert.equal((await api(server, 'POST', '/api/moderation/spaces/mia/pages', { token: tokens.ops, body: { action: 'enable' } })).status, 200);
  assert.equal((await app()).status, 200);

  const log = await api(server, 'GET', '/api/moderation/log', { token: tokens.ops });
  assert.deepEqual(log.json.map((e) => [e.action, e.actor, e.space]), [['enable', 'ops', 'mia/pages'], ['disable', 'ops', 'mia/pages']]);
});

test('suspending the owner stops their token and disables their Spaces until unsuspended', async () => {
  assert.equal((await api(server, 'GET', '/api/whoami-v2', { token: tokens.mia })).status, 200);
  const suspend = await api(server, 'POST', '/api/moderation/users/mia', { token: tokens.ops, body: { action: 'suspend', note: 'spam' } });
  assert.equal(suspend.status, 200, suspend.text);
  const me = await api(server, 'GET', '/api/whoami-v2', { token: tokens.mia });
  assert.equal(me.status, 401);
  assert.match(me.text, /suspended/);
  assert.equal((await app()).status, 451);

  assert.equal((await api(server, 'POST', '/api/moderation/users/mia', { token: tokens.ops, body: { action: 'unsuspend' } })).status, 200);
  assert.equal((await api(server, 'GET', '/api/whoami-v2', { token: tokens.mia })).status, 200);
  assert.equal((await app()).status, 200);
  const log = await api(server, 'GET', '/api/moderation/log?limit=2', { token: tokens.ops });
  assert.deepEqual(log.json.map((e) => [e.action, e.user]), [['unsuspend', 'mia'], ['suspend', 'mia']]);
});

// A server restart on the same data dir brings every Space back: users,
// tokens, repositories, settings, and the apps themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp } from './lib.mjs';

test('Spaces survive a server restart', async () => {
  let server = await startServer();
  const token = addUser(server.dataDir, 'dora');
  await createSpace(server, token, 'dora', 'keeper', 'process');
  await api(server, 'POST', '/api/spaces/dora/keeper/secrets', { token, body: { key: 'MY_SECRET', value: 'kept' } });
  const dir = gitRepo(pythonApp());
  assert.equal(gitPush(server, dir, 'dora/keeper', 'dora', token).code, 0);
  const sha = headSha(dir);
  await waitStage(server, 'dora/keeper', 'RUNNING', { token, sha });
  await createSpace(server, token, 'dora', 'paused', 'process');
  assert.equal(gitPush(server, gitRepo(pythonApp()), 'dora/paused', 'dora', token).code, 0);
  await waitStage(server, 'dora/paused', 'RUNNING', { token });
  assert.equal((await api(server, 'POST', '/api/spaces/dora/paused/pause', { token })).status, 200);
  await waitStage(server, 'dora/paused', 'PAUSED', { token });
  await server.stop();

  server = await startServer({ dataDir: server.dataDir });
  try {
    const who = await api(server, 'GET', '/api/whoami-v2', { token });
    assert.equal(who.json?.name, 'dora');
    await waitStage(server, 'dora/keeper', 'RUNNING', { token, sha });
    const app = JSON.parse((await hostRequest(server.port, 'dora-keeper.localhost', '/')).text);
    assert.equal(app.secret, 'kept');
    const paused = await api(server, 'GET', '/api/spaces/dora/paused/runtime', { token });
    assert.equal(paused.json?.stage, 'PAUSED');
  } finally {
    await server.stop();
  }
});

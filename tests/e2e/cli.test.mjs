// The `spaceport` CLI against a running server: create, push with progress,
// status, secrets/vars, logs, restart, pause, delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, addUser, cli, gitRepo, pythonApp, hostRequest, waitStage } from './lib.mjs';

let server, token;
before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'carol');
});
after(async () => { await server?.stop(); });

test('create, push (waits until RUNNING), status', async () => {
  let r = cli(server, token, ['create', 'carol/app', '--sdk', 'process']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /spaces\/carol\/app/);
  const dir = gitRepo(pythonApp());
  r = cli(server, token, ['push', dir, '--space', 'carol/app']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /RUNNING/);
  assert.match(r.stdout, /carol-app\.localhost/);
  r = cli(server, token, ['status', 'carol/app', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).stage, 'RUNNING');
  const app = await hostRequest(server.port, 'carol-app.localhost', '/');
  assert.equal(app.status, 200);
});

test('push of a broken app exits non-zero and shows the error', async () => {
  assert.equal(cli(server, token, ['create', 'carol/broken', '--sdk', 'process']).code, 0);
  const dir = gitRepo({ 'README.md': '---\nsdk: process\n---\n' });
  const r = cli(server, token, ['push', dir, '--space', 'carol/broken']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /CONFIG_ERROR/);
  assert.match(r.stdout + r.stderr, /app_command/);
});

test('secrets from stdin and vars: listed without secret values, given to the app', async () => {
  let r = cli(server, token, ['secrets', 'set', 'carol/app', 'MY_SECRET'], { input: 'from-stdin\n' });
  assert.equal(r.code, 0, r.stderr);
  r = cli(server, token, ['vars', 'set', 'carol/app', 'MY_VAR', 'v1']);
  assert.equal(r.code, 0, r.stderr);
  r = cli(server, token, ['secrets', 'list', 'carol/app']);
  assert.match(r.stdout, /MY_SECRET/);
  assert.doesNotMatch(r.stdout, /from-stdin/);
  r = cli(server, token, ['vars', 'list', 'carol/app']);
  assert.match(r.stdout, /MY_VAR.*v1/);
  // Changing them restarts the app with the new environment.
  const deadline = Date.now() + 30000;
  let seen;
  while (Date.now() < deadline) {
    const res = await hostRequest(server.port, 'carol-app.localhost', '/');
    if (res.status === 200) { seen = JSON.parse(res.text); if (seen.secret === 'from-stdin' && seen.variable === 'v1') break; }
    await new Promise((x) => setTimeout(x, 200));
  }
  assert.equal(seen?.secret, 'from-stdin');
  assert.equal(seen?.variable, 'v1');
  r = cli(server, token, ['secrets', 'rm', 'carol/app', 'MY_SECRET']);
  assert.equal(r.code, 0, r.stderr);
  r = cli(server, token, ['secrets', 'list', 'carol/app', '--json']);
  assert.doesNotMatch(r.stdout, /MY_SECRET/);
});

test('logs, restart, pause, delete', async () => {
  let r = cli(server, token, ['logs', 'carol/app', '--build']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.trim().length > 0, 'build log is empty');
  r = cli(server, token, ['logs', 'carol/app']);
  assert.match(r.stdout, /echo app starting/);
  r = cli(server, token, ['restart', 'carol/app']);
  assert.equal(r.code, 0, r.stderr);
  await waitStage(server, 'carol/app', 'RUNNING', { token });
  r = cli(server, token, ['pause', 'carol/app']);
  assert.equal(r.code, 0, r.stderr);
  await waitStage(server, 'carol/app', 'PAUSED', { token });
  const paused = await hostRequest(server.port, 'carol-app.localhost', '/');
  assert.equal(paused.status, 503);
  r = cli(server, token, ['delete', 'carol/app', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  r = cli(server, token, ['status', 'carol/app']);
  assert.equal(r.code, 1);
  const gone = await hostRequest(server.port, 'carol-app.localhost', '/');
  assert.equal(gone.status, 404);
});

test('errors: bad token, unknown space, usage', async () => {
  let r = cli(server, 'sp_bad', ['status', 'carol/none']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error/);
  r = cli(server, token, ['status', 'carol/none']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not found|404/i);
  r = cli(server, token, ['create']);
  assert.equal(r.code, 2);
});

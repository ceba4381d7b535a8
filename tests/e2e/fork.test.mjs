// Duplicating (forking) a running Space against the real server: the fork
// builds and runs on its own, its secrets start empty (the answer names the
// ones to set), its variables are copied, the request's options apply, and
// the original's commit, secrets and serving are untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, pythonApp } from './lib.mjs';

let server;
let alice;
let bob;

before(async () => {
  server = await startServer();
  alice = addUser(server.dataDir, 'alice');
  bob = addUser(server.dataDir, 'bob');
});
after(async () => { await server?.stop(); });

async function appAnswer(host, token) {
  const res = await hostRequest(server.port, host, '/', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  assert.equal(res.status, 200, `${host}: ${res.text}`);
  return JSON.parse(res.text);
}

test('a fork of a running Space runs on its own, without the secrets, and leaves the original alone', async () => {
  await createSpace(server, alice, 'alice', 'orig', 'process');
  for (const [kind, key, value] of [['secrets', 'MY_SECRET', 'hunter2'], ['variables', 'MY_VAR', 'shared']]) {
    const r = await api(server, 'POST', `/api/spaces/alice/orig/${kind}`, { token: alice, body: { key, value } });
    assert.equal(r.status, 200, r.text);
  }
  const dir = gitRepo(pythonApp(null, { version: 'orig' }));
  const pushed = gitPush(server, dir, 'alice/orig', 'alice', alice);
  assert.equal(pushed.code, 0, pushed.output);
  const sha = headSha(dir);
  await waitStage(server, 'alice/orig', 'RUNNING', { token: alice, sha });
  const original = await appAnswer('alice-orig.localhost');
  assert.equal(original.secret, 'hunter2');
  assert.equal(original.variable, 'shared');

  // HF's request shape, with its options.
  const dup = await api(server, 'POST', '/api/spaces/alice/orig/duplicate', {
    token: bob, body: { repository: 'bob/fork', private: true, hardware: 'cpu-upgrade', sleepTimeSeconds: 600 },
  });
  assert.equal(dup.status, 200, dup.text);
  assert.equal(dup.json.id, 'bob/fork');
  assert.equal(dup.json.url, `${server.url}/spaces/bob/fork`);
  assert.deepEqual(dup.json.missingSecrets, ['MY_SECRET']);

  const { runtime } = await waitStage(server, 'bob/fork', 'RUNNING', { token: bob, sha });
  assert.equal(runtime.hardware.requested, 'cpu-upgrade');
  assert.equal(runtime.gcTimeout, 600);
  // The fork is private: its app host is 404 to strangers, served to its owner.
  assert.equal((await hostRequest(server.port, 'bob-fork.localhost', '/')).status, 404);
  const fork = await appAnswer('bob-fork.localhost', bob);
  assert.equal(fork.space, 'bob/fork');
  assert.equal(fork.version, 'orig');
  assert.equal(fork.secret, null, 'the fork must not see the original secret');
  assert.equal(fork.variable, 'shared');
  const info = await api(server, 'GET', '/api/spaces/bob/fork', { token: bob });
  assert.equal(info.json.private, true);
  assert.equal(info.json.sha, sha);
  assert.equal((await api(server, 'GET', '/api/spaces/bob/fork')).status, 404, 'a private fork is hidden from others');
  const forkSecrets = await api(server, 'GET', '/api/spaces/bob/fork/secrets', { token: bob });
  assert.deepEqual(Object.keys(forkSecrets.json), []);
  const forkVars = await api(server, 'GET', '/api/spaces/bob/fork/variables', { token: bob });
  assert.equal(forkVars.json.MY_VAR.value, 'shared');

  // Setting the missing secret reaches the fork's app only.
  const set = await api(server, 'POST', '/api/spaces/bob/fork/secrets', { token: bob, body: { key: 'MY_SECRET', value: 'bobs' } });
  assert.equal(set.status, 200, set.text);
  let answer;
  for (let i = 0; i < 200; i++) {
    answer = await hostRequest(server.port, 'bob-fork.localhost', '/', { headers: { Authorization: `Bearer ${bob}` } });
    if (answer.status === 200 && JSON.parse(answer.text).secret === 'bobs') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(JSON.parse(answer.text).secret, 'bobs');

  // A second fork with the defaults (public, the source's hardware) and a secret given up front.
  const dup2 = await api(server, 'POST', '/api/spaces/alice/orig/duplicate', {
    token: alice, body: { repository: 'alice/copy', secrets: [{ key: 'MY_SECRET', value: 'given' }] },
  });
  assert.equal(dup2.status, 200, dup2.text);
  assert.deepEqual(dup2.json.missingSecrets, []);
  await waitStage(server, 'alice/copy', 'RUNNING', { token: alice, sha });
  assert.equal((await appAnswer('alice-copy.localhost')).secret, 'given');
  assert.equal((await api(server, 'GET', '/api/spaces/alice/copy')).json.private, false);

  // The original: same commit, same secrets, still serving the same answer.
  const after = await api(server, 'GET', '/api/spaces/alice/orig', { token: alice });
  assert.equal(after.json.sha, sha);
  assert.equal(after.json.private, false);
  assert.equal(after.json.runtime.stage, 'RUNNING');
  const secrets = await api(server, 'GET', '/api/spaces/alice/orig/secrets', { token: alice });
  assert.deepEqual(Object.keys(secrets.json), ['MY_SECRET']);
  const still = await appAnswer('alice-orig.localhost');
  assert.equal(still.secret, 'hunter2');
  assert.equal(still.space, 'alice/orig');

  // Lineage: forks listed on the source, private ones only to their owner.
  const asBob = await api(server, 'GET', '/api/spaces/alice/orig/forks', { token: bob });
  assert.deepEqual(asBob.json.map((s) => s.id).sort(), ['alice/copy', 'bob/fork']);
  const anonymous = await api(server, 'GET', '/api/spaces/alice/orig/forks');
  assert.deepEqual(anonymous.json.map((s) => s.id), ['alice/copy']);
});

test('duplicate refusals change nothing', async () => {
  const before = await api(server, 'GET', '/api/spaces?author=bob', { token: bob });
  const cases = [
    [bob, { repository: 'alice/steal' }, 403],
    [bob, { repository: 'bob/fork' }, 409],
    [bob, { repository: 'bob/x', hardware: 'a100-large' }, 400],
    [bob, { repository: 'bob/x', sleepTimeSeconds: -5 }, 400],
    [bob, { repository: 'bob/../x' }, 400],
    [undefined, { repository: 'bob/x' }, 401],
  ];
  for (const [token, body, status] of cases) {
    const r = await api(server, 'POST', '/api/spaces/alice/orig/duplicate', { token, body });
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.ok(r.json?.error, 'a clear error');
  }
  const after = await api(server, 'GET', '/api/spaces?author=bob', { token: bob });
  assert.deepEqual(after.json.map((s) => s.id), before.json.map((s) => s.id));
});

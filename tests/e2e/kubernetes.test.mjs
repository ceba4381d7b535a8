// `spaceport serve --runtime kubernetes` end to end, against fake_kube_api:
// a TEST DOUBLE of the Kubernetes API server (no cluster can run here; see
// src/runtime/kubernetes/testing/fake_kube_api.h), which runs each pod as a
// local process. What this proves: the serve flags and the kubeconfig, the
// supervisor driving the Kubernetes driver (push, health check, sleep to 0
// replicas, a wake holding requests, a rollout, delete) and the edge in
// front of it. What it cannot: a real cluster's scheduling and networking.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, pythonApp,
  writeFiles, sleep, tempDir,
} from './lib.mjs';

const FAKE = path.join(ROOT, process.env.BUILD_DIR || 'build', 'src/runtime/fake_kube_api');
const KUBE_TOKEN = 'e2e-cluster-token';
let fake, fakeUrl, server, token;

async function startFake() {
  assert.ok(fs.existsSync(FAKE), `${FAKE} is missing: build first`);
  const child = spawn(FAKE, ['--token', KUBE_TOKEN, '--pod-log-dir', tempDir('sp-kube-pods-')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fake_kube_api did not start: ${out}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`fake_kube_api exited ${code}`)); });
  });
  return { child, url };
}

// The object at the fake API server, or null.
async function kubeObject(collection, name) {
  const group = collection === 'deployments' ? '/apis/apps/v1' : '/api/v1';
  const res = await fetch(`${fakeUrl}${group}/namespaces/spaces/${collection}/${name}`,
    { headers: { Authorization: `Bearer ${KUBE_TOKEN}` } });
  if (res.status === 404) return null;
  assert.equal(res.status, 200);
  return res.json();
}

async function kubeName(id) {
  const res = await fetch(`${fakeUrl}/apis/apps/v1/namespaces/spaces/deployments?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dspaceport`,
    { headers: { Authorization: `Bearer ${KUBE_TOKEN}` } });
  const list = await res.json();
  const d = list.items.find((i) => i.metadata.annotations['spaceport.dev/space'] === id);
  assert.ok(d, `no Deployment for ${id}: ${JSON.stringify(list.items.map((i) => i.metadata.name))}`);
  return d.metadata.name;
}

const app = async (name) => {
  const r = await hostRequest(server.port, `sam-${name}.localhost`, '/');
  return { status: r.status, body: r.status === 200 ? JSON.parse(r.text) : r.text };
};

before(async () => {
  ({ child: fake, url: fakeUrl } = await startFake());
  const dir = tempDir('sp-kubeconfig-');
  writeFiles(dir, {
    config: `apiVersion: v1
kind: Config
current-context: e2e
clusters:
- name: fake
  cluster: {server: "${fakeUrl}"}
contexts:
- name: e2e
  context: {cluster: fake, user: spaceport, namespace: spaces}
users:
- name: spaceport
  user: {token: ${KUBE_TOKEN}}
`,
  });
  server = await startServer({
    args: ['--runtime', 'kubernetes', '--kubeconfig', path.join(dir, 'config'), '--kube-image',
      'registry.example/spaceport/runner:1', '--kube-volume-claim', 'spaceport-data'],
  });
  token = addUser(server.dataDir, 'sam');
});

after(async () => {
  await server?.stop();
  fake?.kill('SIGTERM');
});

test('a pushed Space runs as a Deployment, sleeps to 0 replicas and wakes on requests held by the edge', async () => {
  await createSpace(server, token, 'sam', 'kapp', 'process', { sleepTimeSeconds: 2 });
  const dir = gitRepo(pythonApp(undefined, { version: '1' }));
  assert.equal(gitPush(server, dir, 'sam/kapp', 'sam', token).code, 0);
  await waitStage(server, 'sam/kapp', 'RUNNING', { token, sha: headSha(dir) });
  const first = await app('kapp');
  assert.equal(first.status, 200);
  assert.equal(first.body.version, '1');
  assert.equal(first.body.space, 'sam/kapp');

  const name = await kubeName('sam/kapp');
  const deployment = await kubeObject('deployments', name);
  assert.equal(deployment.spec.replicas, 1);
  assert.equal(deployment.metadata.managedFields[0].manager, 'spaceport');
  assert.ok(await kubeObject('services', name));
  assert.ok(await kubeObject('secrets', name));

  // Idle past its sleep time: scaled to 0, the Service and Secret stay.
  const deadline = Date.now() + 30000;
  let rt;
  while (Date.now() < deadline) {
    rt = (await api(server, 'GET', '/api/spaces/sam/kapp/runtime', { token })).json;
    if (rt.stage === 'SLEEPING') break;
    await sleep(200);
  }
  assert.equal(rt.stage, 'SLEEPING', JSON.stringify(rt));
  assert.equal((await kubeObject('deployments', name)).spec.replicas, 0);
  assert.ok(await kubeObject('services', name));

  // Twenty requests at once: all held while the Deployment goes 0 -> 1, all
  // answered by one new start.
  const answers = await Promise.all(Array.from({ length: 20 }, () => app('kapp')));
  for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a));
  const boots = new Set(answers.map((a) => a.body.boot));
  assert.equal(boots.size, 1, `one start for all the held requests, got ${[...boots]}`);
  assert.notEqual([...boots][0], first.body.boot, 'the app did not restart after sleeping');
  assert.equal((await kubeObject('deployments', name)).spec.replicas, 1);
});

test('a second push rolls out with zero failed requests, and deleting the Space deletes its objects', async () => {
  const dir = gitRepo(pythonApp(undefined, { version: '1' }));
  await createSpace(server, token, 'sam', 'roll', 'process');
  assert.equal(gitPush(server, dir, 'sam/roll', 'sam', token).code, 0);
  await waitStage(server, 'sam/roll', 'RUNNING', { token, sha: headSha(dir) });
  const name = await kubeName('sam/roll');
  const revision = (await kubeObject('deployments', name)).spec.template.metadata.annotations['spaceport.dev/revision'];

  let done = false;
  const seen = { failures: [], versions: new Set() };
  const load = (async () => {
    while (!done) {
      const a = await app('roll').catch((e) => ({ status: 0, body: e.message }));
      if (a.status !== 200) seen.failures.push(a); else seen.versions.add(a.body.version);
      await sleep(10);
    }
  })();
  gitRepo(pythonApp(undefined, { version: '2' }), dir);
  assert.equal(gitPush(server, dir, 'sam/roll', 'sam', token).code, 0);
  await waitStage(server, 'sam/roll', 'RUNNING', { token, sha: headSha(dir) });
  const until = Date.now() + 20000;
  while (Date.now() < until && (await app('roll')).body.version !== '2') await sleep(100);
  await sleep(500);
  done = true;
  await load;
  assert.deepEqual(seen.failures, [], 'requests failed during the rollout');
  assert.ok(seen.versions.has('2'), [...seen.versions].join());
  const rolled = await kubeObject('deployments', name);
  assert.notEqual(rolled.spec.template.metadata.annotations['spaceport.dev/revision'], revision);
  assert.equal(rolled.spec.replicas, 1);

  const del = await api(server, 'DELETE', '/api/repos/delete', { token, body: { type: 'space', name: 'sam/roll' } });
  assert.equal(del.status, 200, del.text);
  const gone = Date.now() + 10000;
  while (Date.now() < gone && (await kubeObject('deployments', name))) await sleep(100);
  assert.equal(await kubeObject('deployments', name), null);
  assert.equal(await kubeObject('services', name), null);
  assert.equal(await kubeObject('secrets', name), null);
});

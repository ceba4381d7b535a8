// A server restart on the same data dir brings every Space back: users,
// tokens, repositories, settings, and the apps themselves; after kill -9 the
// apps the dead server left are swept and nothing is built again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp, sleep, PY_REPLY_AND_SERVE } from './lib.mjs';

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

// Appends a line to /data/starts at every start of the app.
const COUNTING_APP = String.raw`
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
with open("/data/starts", "a") as f:
    f.write("start\n")
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"awake"
${PY_REPLY_AND_SERVE}`;

// Host pids of live (not zombie) processes whose environment names the Space.
function appPids(spaceId) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/State:\s+Z/.test(fs.readFileSync(`/proc/${name}/status`, 'utf8'))) continue;
      const env = fs.readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.includes(`SPACE_ID=${spaceId}`)) out.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

const alive = (pid) => fs.existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));

test('after kill -9 the same Spaces run, sleepers stay asleep, nothing is built again, no old app is left', async () => {
  let server = await startServer({ args: ['--freeze-after', '2'] });
  const token = addUser(server.dataDir, 'kim');
  const runtime = async (name) => (await api(server, 'GET', `/api/spaces/kim/${name}/runtime`, { token })).json;
  // The app's /data/starts: read in place while its volume is mounted (the
  // app runs), else out of the volume's image (a stopped app's is unmounted).
  const starts = (name) => {
    const dir = path.join(server.dataDir, 'spaces', 'kim', name, 'data');
    let text;
    if (fs.existsSync(path.join(dir, 'starts'))) text = fs.readFileSync(path.join(dir, 'starts'), 'utf8');
    else if (fs.existsSync(`${dir}.img`)) text = execFileSync('/usr/sbin/debugfs', ['-R', 'cat /starts', `${dir}.img`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    else throw new Error(`kim/${name} has no /data/starts`);
    return text.split('\n').filter(Boolean).length;
  };
  const builds = (name) => fs.readdirSync(path.join(server.dataDir, 'builds', 'kim', name)).sort();
  async function waitRung(name, rung, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await runtime(name);
      if (last?.rung === rung) return last;
      await sleep(100);
    }
    throw new Error(`kim/${name}: wanted rung ${rung}, last runtime ${JSON.stringify(last)}`);
  }
  const spaces = {
    up: { sleep: 3600, card: 'spaceport:\n  sleep:\n    freeze: false\n' },  // keeps running
    icy: { sleep: 3600, card: '' },                                        // frozen after 2 s
    nap: { sleep: 2, card: '' },                                           // stopped: SLEEPING
  };
  try {
    for (const [name, s] of Object.entries(spaces)) {
      await createSpace(server, token, 'kim', name, 'process', { sleepTimeSeconds: s.sleep });
      const dir = gitRepo(pythonApp(COUNTING_APP, { extraCard: s.card }));
      assert.equal(gitPush(server, dir, `kim/${name}`, 'kim', token).code, 0);
      await waitStage(server, `kim/${name}`, 'RUNNING', { token, sha: headSha(dir) });
    }
    assert.doesNotMatch(server.output(), /WITHOUT a sandbox/, 'this test needs the native sandbox (frozen apps)');
    await waitRung('icy', 'frozen');
    const nap = await waitRung('nap', 'stopped');
    assert.equal(nap.stage, 'SLEEPING');
    // A stopped Space's /data volume is out of the host's mount table.
    const napData = path.join(server.dataDir, 'spaces', 'kim', 'nap', 'data');
    assert.ok(fs.existsSync(`${napData}.img`), 'nap/data should be a volume');
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${napData} `), 'nap/data is still mounted');
    assert.equal((await runtime('up')).rung, 'running');
    const before = {};
    for (const name of Object.keys(spaces)) before[name] = { builds: builds(name), starts: starts(name), pids: appPids(`kim/${name}`) };
    assert.ok(before.up.pids.length > 0 && before.icy.pids.length > 0, JSON.stringify(before));
    assert.equal(before.nap.pids.length, 0);

    server.child.kill('SIGKILL');
    await new Promise((r) => (server.child.exitCode !== null || server.child.signalCode !== null ? r() : server.child.once('exit', r)));
    // A frozen app cannot die with its server: it is still there until the next start sweeps it.
    assert.ok(before.icy.pids.some(alive), 'the frozen app should outlive the killed server');

    const t0 = Date.now();
    server = await startServer({ dataDir: server.dataDir, args: ['--freeze-after', '2'] });
    const ready = Date.now() - t0;
    assert.match(server.output(), /recovered 2 running, 1 asleep, 0 idle or paused Spaces; 0 to build/);
    assert.match(server.output(), /swept cgroup .* left by an earlier server/);
    for (const name of ['up', 'icy']) {
      await waitStage(server, `kim/${name}`, 'RUNNING', { token, timeoutMs: 30000 });
      assert.equal((await hostRequest(server.port, `kim-${name}.localhost`, '/')).text, 'awake');
    }
    const napNow = await runtime('nap');
    assert.equal(napNow.stage, 'SLEEPING', JSON.stringify(napNow));
    assert.equal(napNow.rung, 'stopped');
    assert.equal(starts('nap'), before.nap.starts, 'a sleeping Space must not start until requested');
    assert.equal((await hostRequest(server.port, 'kim-nap.localhost', '/')).text, 'awake');
    assert.equal(starts('nap'), before.nap.starts + 1);
    for (const name of Object.keys(spaces)) {
      assert.deepEqual(builds(name), before[name].builds, `kim/${name} was built again`);
      for (const pid of before[name].pids) assert.ok(!alive(pid), `kim/${name}: process ${pid} of the killed server still runs`);
      assert.equal(appPids(`kim/${name}`).length > 0, true, `kim/${name} should run now`);
    }
    assert.equal(starts('up'), before.up.starts + 1, 'one new start of the running app, not two');
    assert.equal(starts('icy'), before.icy.starts + 1);
    console.log(`# restart to listening: ${ready} ms`);
  } finally {
    await server.stop();
  }
});

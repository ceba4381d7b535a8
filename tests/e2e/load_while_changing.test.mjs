// Under steady load through the edge, nothing a Space goes through loses a
// request: a redeploy (new version switched in when healthy), a restart of
// the Space, changes of its access rules (gated on and off; the load is the
// owner's, admitted either way), a wake from frozen and a wake from stopped
// (the load pauses so the app can go to sleep, then resumes at once with
// several requests in flight, which the edge holds through the wake).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp, sleep,
} from './lib.mjs';

const HOST = 'lena-steady.localhost';
let server, token;
before(async () => {
  server = await startServer({ args: ['--freeze-after', '1'] });
  token = addUser(server.dataDir, 'lena');
});
after(async () => { await server?.stop(); });

// LOOPS concurrent request loops; pause() lets the app go idle, resume() starts them again.
function steadyLoad(loops = 3) {
  const stats = { ok: 0, failed: [], boots: new Set(), versions: new Set(), phase: 'start' };
  let stop = false, paused = false;
  const one = async () => {
    while (!stop) {
      if (paused) { await sleep(20); continue; }
      const phase = stats.phase;
      try {
        const r = await hostRequest(server.port, HOST, '/', { headers: { Authorization: `Bearer ${token}` } });
        if (r.status !== 200) { stats.failed.push(`${phase}: ${r.status} ${r.text.slice(0, 120)}`); continue; }
        const body = JSON.parse(r.text);
        stats.ok++;
        stats.boots.add(body.boot);
        stats.versions.add(body.version);
      } catch (e) { stats.failed.push(`${phase}: ${e}`); }
    }
  };
  const running = Promise.all(Array.from({ length: loops }, one));
  return {
    stats,
    pause: () => { paused = true; },
    resume: () => { paused = false; },
    async end() { stop = true; await running; },
  };
}

const runtime = async () => (await api(server, 'GET', '/api/spaces/lena/steady/runtime', { token })).json;
async function until(what, pred, ms = 60000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await runtime())}`);
    await sleep(50);
  }
}

test('a redeploy, a restart, access changes and wakes under load fail no request', async () => {
  await createSpace(server, token, 'lena', 'steady', 'process');
  const dir = gitRepo(pythonApp(undefined, { version: '1' }));
  assert.equal(gitPush(server, dir, 'lena/steady', 'lena', token).code, 0);
  await waitStage(server, 'lena/steady', 'RUNNING', { token, sha: headSha(dir) });
  const load = steadyLoad();
  try {
    await sleep(300);

    load.stats.phase = 'redeploy';
    gitRepo(pythonApp(undefined, { version: '2' }), dir);
    assert.equal(gitPush(server, dir, 'lena/steady', 'lena', token).code, 0);
    await until('version 2 serving', () => load.stats.versions.has('2'));

    load.stats.phase = 'restart';
    const bootsBefore = load.stats.boots.size;
    assert.equal((await api(server, 'POST', '/api/spaces/lena/steady/restart', { token })).status, 200);
    await until('the restarted app serving', () => load.stats.boots.size > bootsBefore);
    await sleep(300);

    load.stats.phase = 'access';
    for (const gated of ['auto', false, 'manual', false]) {
      const r = await api(server, 'PUT', '/api/spaces/lena/steady/settings', { token, body: { gated } });
      assert.equal(r.status, 200, r.text);
      await sleep(150);
    }

    for (const rung of ['frozen', 'stopped']) {
      if (rung === 'stopped') {
        assert.equal((await api(server, 'POST', '/api/spaces/lena/steady/sleeptime', { token, body: { seconds: 1 } })).status, 200);
      }
      load.pause();
      await until(`the app ${rung}`, async () => (await runtime()).rung === rung);
      const okBefore = load.stats.ok;
      load.stats.phase = `wake from ${rung}`;
      load.resume();
      await until(`answers after the wake from ${rung}`, () => load.stats.ok > okBefore + 10);
    }
  } finally {
    await load.end();
  }
  const { ok, failed, boots } = load.stats;
  assert.deepEqual(failed, [], `failed requests: ${failed.slice(0, 5).join('; ')}`);
  assert.ok(ok > 100, `too few requests went through (${ok})`);
  assert.ok(boots.size >= 4, `expected a start per redeploy, restart and cold wake; saw ${boots.size}`);
});

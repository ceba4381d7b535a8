// The sleep ladder on the real server with the native sandbox: idle apps are
// frozen after --freeze-after, stopped after their sleep time, and woken by
// the next request (a thaw, or one cold start however many requests wait).
// If the host cannot sandbox, this test fails and says so: freezing needs the
// native runtime's cgroup freezer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, pythonApp, sleep,
  PY_REPLY_AND_SERVE, launchChromium, waitRung as waitSpaceRung,
} from './lib.mjs';

// Appends a line to /data/starts at every start; GET /starts counts them.
const COUNTING_APP = String.raw`
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
with open("/data/starts", "a") as f:
    f.write("start\n")
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.endswith("/starts"):
            body = str(sum(1 for _ in open("/data/starts"))).encode()
        else:
            body = b"awake"
${PY_REPLY_AND_SERVE}`;

let server, token;

async function deploy(name, sleepTimeSeconds, extraCard = '', body = COUNTING_APP) {
  await createSpace(server, token, 'sam', name, 'process', { sleepTimeSeconds });
  const dir = gitRepo(pythonApp(body, { extraCard }));
  assert.equal(gitPush(server, dir, `sam/${name}`, 'sam', token).code, 0);
  await waitStage(server, `sam/${name}`, 'RUNNING', { token, sha: headSha(dir) });
}

const runtime = async (name) => (await api(server, 'GET', `/api/spaces/sam/${name}/runtime`, { token })).json;
const app = (name, p = '/') => hostRequest(server.port, `sam-${name}.localhost`, p);
const starts = async (name) => Number((await app(name, '/starts')).text);

const waitRung = (name, rung, timeoutMs = 20000) => waitSpaceRung(server, `sam/${name}`, rung, { token, timeoutMs });

before(async () => {
  server = await startServer({ args: ['--freeze-after', '1'] });
  token = addUser(server.dataDir, 'sam');
});
after(async () => { await server?.stop(); });

test('the native sandbox is active (freezing needs it)', () => {
  assert.doesNotMatch(server.output(), /WITHOUT a sandbox/,
    `the server fell back to unsandboxed apps, so nothing can be frozen:\n${server.output()}`);
  // The checkpoint probe says once why sleeping apps are stopped rather than checkpointed.
  assert.match(server.output(), /sleeping apps are stopped/);
});

test('a frozen app answers its next request, thawed in place', async () => {
  await deploy('icy', 3600);
  assert.equal((await app('icy')).status, 200);
  const frozen = await waitRung('icy', 'frozen');
  assert.equal(frozen.stage, 'RUNNING');
  const r = await app('icy');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text, 'awake');
  const rt = await runtime('icy');
  assert.equal(rt.rung, 'running');
  assert.equal(typeof rt.lastWakeMs, 'number');
  assert.equal(await starts('icy'), 1, 'a thaw must not restart the app');
});

test('a stopped app answers its next request; 50 concurrent requests cause exactly one start', async () => {
  await deploy('nap', 2);
  const asleep = await waitRung('nap', 'stopped');
  assert.equal(asleep.stage, 'SLEEPING');
  assert.equal(asleep.replicas.current, 0);
  const r = await app('nap');
  assert.equal(r.status, 200, r.text);
  assert.equal(await starts('nap'), 2);

  await waitRung('nap', 'stopped');
  // Host-based and path-based app URLs go through the same wake.
  const requests = [];
  for (let i = 0; i < 50; i++) {
    requests.push(i % 2 === 0
      ? app('nap', `/?n=${i}`)
      : api(server, 'GET', `/spaces/sam/nap/app/?n=${i}`));
  }
  const answers = await Promise.all(requests);
  for (const a of answers) assert.equal(a.status, 200, a.text);
  assert.equal(await starts('nap'), 3, '50 requests to a sleeping app must start it once');
  const rt = await runtime('nap');
  assert.equal(rt.rung, 'running');
  assert.ok(rt.lastWakeMs > 0, `lastWakeMs ${rt.lastWakeMs}`);
});

test('a Space that opts out of freezing is never frozen', async () => {
  await deploy('busy', 3600, 'spaceport:\n  sleep:\n    freeze: false\n');
  assert.equal((await app('busy')).status, 200);
  const deadline = Date.now() + 3500;  // three and a half times --freeze-after
  while (Date.now() < deadline) {
    const rt = await runtime('busy');
    assert.equal(rt.rung, 'running', JSON.stringify(rt));
    await sleep(150);
  }
  assert.equal(await starts('busy'), 1);
});

test('a browser sees the waiting page during a slow wake, and the app once it runs', async () => {
  // Takes 2.5 s to listen: longer than the 1 s --wake-page-after default.
  await deploy('slow', 2, '', COUNTING_APP.replace('import os\n', 'import os, time\ntime.sleep(2.5)\n'));
  await waitRung('slow', 'stopped');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const first = await page.goto(server.url + '/spaces/sam/slow/app/');
    assert.equal(first.status(), 503);
    await page.getByText('sam/slow is waking up').waitFor({ timeout: 5000 });
    // The page polls /.spaceport/status under the app's prefix and reloads when the app runs.
    await page.getByText('awake', { exact: true }).waitFor({ timeout: 30000 });
  } finally {
    await browser.close();
  }
  assert.equal(await starts('slow'), 2);
});

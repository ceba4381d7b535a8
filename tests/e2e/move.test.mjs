// Renaming a running Space (POST /api/repos/move, through `spaceport move`)
// against the real server: the app comes back at its new host with its
// /data, settings and git history; the old id and host are gone. Also the
// other Hub CLI commands (duplicate, like, hardware, sleeptime) for real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, addUser, api, cli, createSpace, gitRepo, gitPush, headSha, remoteHead, waitStage, hostRequest, PY_REPLY_AND_SERVE } from './lib.mjs';

let server;
let token;
let bob;

// GET /count bumps a counter file in /data, so /data surviving the move shows
// (GET /, which health checks use, only reads it).
const APP = `
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
DATA = os.environ.get("SPACEPORT_DATA_DIR") or "/data"
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.join(DATA, "count")
        n = int(open(path).read()) if os.path.exists(path) else 0
        if self.path == "/count":
            n += 1
            open(path, "w").write(str(n))
        body = json.dumps({"space": os.environ.get("SPACE_ID"), "count": n, "var": os.environ.get("MY_VAR")}).encode()
${PY_REPLY_AND_SERVE}`;

before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'alice');
  bob = addUser(server.dataDir, 'bob');
});
after(async () => { await server?.stop(); });

async function get(host, p = '/count', as) {
  const res = await hostRequest(server.port, host, p, { headers: as ? { Authorization: `Bearer ${as}` } : {} });
  return res.status === 200 ? JSON.parse(res.text) : { status: res.status };
}

test('spaceport move: a running Space comes back under its new name with its data', async () => {
  await createSpace(server, token, 'alice', 'before', 'process');
  await api(server, 'POST', '/api/spaces/alice/before/variables', { token, body: { key: 'MY_VAR', value: 'v' } });
  const dir = gitRepo({ 'README.md': '---\nsdk: process\napp_command: /usr/bin/python3 app.py\n---\n', 'app.py': APP });
  assert.equal(gitPush(server, dir, 'alice/before', 'alice', token).code, 0);
  const sha = headSha(dir);
  await waitStage(server, 'alice/before', 'RUNNING', { token, sha });
  assert.equal((await get('alice-before.localhost')).count, 1);
  const second = await get('alice-before.localhost');
  assert.equal(second.count, 2, `the app keeps state in /data: ${JSON.stringify(second)}`);

  const r = cli(server, token, ['move', 'alice/before', 'alice/after']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Moved alice\/before to alice\/after/);

  await waitStage(server, 'alice/after', 'RUNNING', { token, sha });
  const moved = await get('alice-after.localhost');
  assert.equal(moved.space, 'alice/after');
  assert.equal(moved.count, 3, '/data moved with the Space');
  assert.equal(moved.var, 'v');
  assert.equal((await api(server, 'GET', '/api/spaces/alice/before', { token })).status, 404);
  assert.equal((await api(server, 'GET', '/api/spaces/alice/before/runtime', { token })).status, 404);
  assert.notEqual((await hostRequest(server.port, 'alice-before.localhost', '/')).status, 200);
  assert.equal(remoteHead(server, 'alice/after', 'alice', token), sha);
  const info = await api(server, 'GET', '/api/spaces/alice/after', { token });
  assert.equal(info.json.subdomain, 'alice-after');
  assert.equal(info.json.sha, sha);

  // Refusals through the CLI: a taken name, someone else's Space.
  await createSpace(server, token, 'alice', 'taken', 'static');
  let bad = cli(server, token, ['move', 'alice/after', 'alice/taken']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /HTTP 409/);
  bad = cli(server, bob, ['move', 'alice/after', 'bob/mine']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /HTTP 403/);
  assert.equal((await get('alice-after.localhost', '/')).space, 'alice/after');
});

test('spaceport duplicate, like, hardware and sleeptime against the server', async () => {
  let r = cli(server, bob, ['duplicate', 'alice/after', 'bob/copy', '--private', '--hardware', 'cpu-upgrade',
    '--sleep-time', '900', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).missingSecrets, []);
  await waitStage(server, 'bob/copy', 'RUNNING', { token: bob });
  assert.equal((await get('bob-copy.localhost')).status, 404, 'a private fork is hidden from strangers');
  const copy = await get('bob-copy.localhost', '/count', bob);
  assert.equal(copy.space, 'bob/copy');
  assert.equal(copy.count, 1, 'a fork starts with its own empty /data');
  const rt = await api(server, 'GET', '/api/spaces/bob/copy/runtime', { token: bob });
  assert.equal(rt.json.hardware.requested, 'cpu-upgrade');
  assert.equal(rt.json.gcTimeout, 900);

  r = cli(server, bob, ['like', 'alice/after']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Liked alice/after (1 likes)\n');
  r = cli(server, bob, ['unlike', 'alice/after', '--json']);
  assert.deepEqual(JSON.parse(r.stdout), { likes: 0 });

  r = cli(server, bob, ['hardware', 'bob/copy', 'cpu-basic']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hardware cpu-basic/);
  r = cli(server, bob, ['sleeptime', 'bob/copy', 'never', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).gcTimeout, null);
  r = cli(server, bob, ['hardware', 'bob/copy']);
  assert.match(r.stdout, /sleeps after never idle\noffered: cpu-basic cpu-upgrade/);
});

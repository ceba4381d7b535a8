// POST .../restart?factory=true rebuilds without caches: the Python venv
// (shared, keyed by the requirements) is built afresh, while a plain restart
// and a second Space with the same requirements reuse it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, sleep, PY_REPLY_AND_SERVE } from './lib.mjs';

let server;
let token;

const APP = `
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"prefix": sys.prefix,
                           "marker": os.path.exists(os.path.join(sys.prefix, "MARKER"))}).encode()
${PY_REPLY_AND_SERVE}`;
const FILES = {
  'README.md': '---\ntitle: Venv\nsdk: process\napp_command: python app.py\n---\n',
  'requirements.txt': '# nothing to install: the venv itself is what is cached\n',
  'app.py': APP,
};

before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'alice');
});
after(async () => { await server?.stop(); });

async function deploy(name) {
  await createSpace(server, token, 'alice', name, 'process');
  const dir = gitRepo(FILES);
  const pushed = gitPush(server, dir, `alice/${name}`, 'alice', token);
  assert.equal(pushed.code, 0, pushed.output);
  await waitStage(server, `alice/${name}`, 'RUNNING', { token, sha: headSha(dir) });
}

async function answer(name) {
  const res = await hostRequest(server.port, `alice-${name}.localhost`, '/');
  return res.status === 200 ? JSON.parse(res.text) : { status: res.status };
}

// The venvs on disk (not the temporary or replaced ones).
function venvDirs() {
  const root = path.join(server.dataDir, 'cache', 'venvs');
  return fs.readdirSync(root).filter((n) => !n.startsWith('.') && !n.endsWith('.lock')).map((n) => path.join(root, n));
}

// Reads the build log stream until `pattern` shows up (or the time is out).
async function buildLogMatches(id, pattern, timeoutMs = 120000) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let text = '';
  try {
    const res = await fetch(`${server.url}/api/spaces/${id}/logs/build`, {
      headers: { Authorization: `Bearer ${token}` }, signal: abort.signal,
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      text += decoder.decode(chunk, { stream: true });
      if (pattern.test(text)) return true;
    }
  } catch { /* aborted: not found in time */ } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return false;
}

test('factory restart rebuilds the shared venv; plain restarts and other Spaces reuse it', async () => {
  await deploy('one');
  const venvs = venvDirs();
  assert.equal(venvs.length, 1, `one venv expected, found ${venvs}`);
  const venv = venvs[0];
  fs.writeFileSync(path.join(venv, 'MARKER'), 'left by the test');
  assert.equal((await answer('one')).marker, true);

  // Same requirements: the cached venv, marker and all.
  await deploy('two');
  assert.equal((await answer('two')).marker, true);
  assert.deepEqual(venvDirs(), [venv]);
  assert.ok(await buildLogMatches('alice/two', /cached venv/), 'second Space should use the cached venv');

  // A plain restart keeps the build.
  assert.equal((await api(server, 'POST', '/api/spaces/alice/one/restart', { token })).status, 200);
  await waitStage(server, 'alice/one', 'RUNNING', { token });
  let got = await answer('one');
  assert.equal(got.marker, true);

  // factory=true: a new venv in the same place, without the marker.
  const r = await api(server, 'POST', '/api/spaces/alice/one/restart?factory=true', { token });
  assert.equal(r.status, 200, r.text);
  assert.ok(await buildLogMatches('alice/one', /new venv [0-9a-f]+, no caches/), 'factory build log');
  for (let i = 0; i < 600; i++) {
    got = await answer('one');
    if (got.marker === false) break;
    await sleep(100);
  }
  assert.equal(got.marker, false, 'the factory rebuild should replace the venv');
  await waitStage(server, 'alice/one', 'RUNNING', { token });
  assert.ok(!fs.existsSync(path.join(venv, 'MARKER')));
  assert.ok(fs.existsSync(path.join(venv, 'bin', 'python')));
});

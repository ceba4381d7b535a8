// git push with git-lfs against Spaceport's LFS endpoints: a file above
// 10 MB tracked with `git lfs track` is uploaded by the real git-lfs client
// (batch, basic transfer, verify), resolves back byte-exact, clones back
// with its content, and the built app sees the content, not the pointer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, addUser, createSpace, tempDir, waitStage, hostRequest, headSha, PY_REPLY_AND_SERVE } from './lib.mjs';

let server;
let token;

function requireGitLfs() {
  try {
    execFileSync('git', ['lfs', 'version'], { stdio: 'pipe' });
  } catch {
    throw new Error('git-lfs is not installed: run `scripts/setup --test` (Debian package git-lfs)');
  }
}

const env = () => ({ ...process.env, GIT_TERMINAL_PROMPT: '0', HOME: tempDir('sp-home-') });
function git(dir, ...args) {
  return execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe', env: env() }).toString();
}

const APP = `
import hashlib, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
data = open("weights/model.bin", "rb").read()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}).encode()
${PY_REPLY_AND_SERVE}`;

before(async () => {
  requireGitLfs();
  server = await startServer();
  token = addUser(server.dataDir, 'alice');
});
after(async () => { await server?.stop(); });

test('git push with git-lfs: above 10 MB, byte-exact back, materialized for the build', async () => {
  await createSpace(server, token, 'alice', 'lfs', 'process');
  const dir = tempDir('sp-lfs-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'lfs', 'install', '--local');
  git(dir, 'lfs', 'track', '*.bin');
  const big = crypto.randomBytes(11 * 1000 * 1000 + 123);
  const bigSha = crypto.createHash('sha256').update(big).digest('hex');
  fs.mkdirSync(path.join(dir, 'weights'));
  fs.writeFileSync(path.join(dir, 'weights/model.bin'), big);
  fs.writeFileSync(path.join(dir, 'app.py'), APP);
  fs.writeFileSync(path.join(dir, 'README.md'), '---\ntitle: LFS\nsdk: process\napp_command: /usr/bin/python3 app.py\n---\n');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=T', '-c', 'user.email=t@spaceport.local', 'commit', '-qm', 'weights');
  const pointer = git(dir, 'cat-file', '-p', 'HEAD:weights/model.bin');
  assert.match(pointer, /^version https:\/\/git-lfs.github.com\/spec\/v1\noid sha256:/, 'the commit holds a pointer');

  const remote = `http://alice:${token}@127.0.0.1:${server.port}/spaces/alice/lfs`;
  const out = spawnSync('git', ['-C', dir, 'push', remote, 'main'], { env: env(), encoding: 'utf8' });
  assert.equal(out.status, 0, `git push failed:\n${out.stdout}\n${out.stderr}`);
  const sha = headSha(dir);

  // Stored where the LFS endpoints find it, and resolved to the content.
  const res = await fetch(`${server.url}/spaces/alice/lfs/resolve/main/weights/model.bin`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-linked-etag')?.replaceAll('"', ''), bigSha);
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(got.length, big.length);
  assert.ok(got.equals(big), 'resolved bytes differ from the pushed ones');

  // A clone with git-lfs downloads the object through the batch API.
  const clone = tempDir('sp-lfs-clone-');
  execFileSync('git', ['clone', '-q', remote, clone], { stdio: 'pipe', env: { ...env(), GIT_LFS_SKIP_SMUDGE: '1' } });
  git(clone, 'lfs', 'install', '--local');
  git(clone, 'lfs', 'pull');
  assert.ok(fs.readFileSync(path.join(clone, 'weights/model.bin')).equals(big), 'cloned bytes differ');

  // The build checkout holds the content, not the pointer.
  await waitStage(server, 'alice/lfs', 'RUNNING', { token, sha, timeoutMs: 180000 });
  const app = await hostRequest(server.port, 'alice-lfs.localhost', '/');
  assert.equal(app.status, 200, app.text);
  assert.deepEqual(JSON.parse(app.text), { size: big.length, sha256: bigSha });
  // The push used the LFS endpoints without complaint (the locking API
  // answers 501, which git-lfs takes as "not supported" and continues).
  assert.doesNotMatch(out.stderr, /error|fatal/i, out.stderr);
});

test('git-lfs push with a wrong token is refused and stores nothing', async () => {
  await createSpace(server, token, 'alice', 'lfs2', 'process');
  const dir = tempDir('sp-lfs-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'lfs', 'install', '--local');
  git(dir, 'lfs', 'track', '*.bin');
  fs.writeFileSync(path.join(dir, 'a.bin'), crypto.randomBytes(1000));
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=T', '-c', 'user.email=t@spaceport.local', 'commit', '-qm', 'x');
  const remote = `http://alice:sp_wrong@127.0.0.1:${server.port}/spaces/alice/lfs2`;
  assert.throws(() => execFileSync('git', ['-C', dir, 'push', remote, 'main'], { stdio: 'pipe', env: env() }));
  const res = await fetch(`${server.url}/api/spaces/alice/lfs2`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal((await res.json()).sha, null);
  assert.ok(!fs.existsSync(path.join(server.dataDir, 'repos/alice/lfs2.git/lfs/objects')) ||
    fs.readdirSync(path.join(server.dataDir, 'repos/alice/lfs2.git/lfs/objects')).length === 0);
});

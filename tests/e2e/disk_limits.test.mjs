// Disk limits. A Space's /data has a size (serve --data-size, or its storage
// tier): an app writing past it gets ENOSPC, the host pays at most that size,
// a bigger tier keeps the data, and deleting the storage empties it. Needs
// root and loop devices (the server says "NOT enforced" otherwise, and this
// test fails). A repo has a size (serve --max-repo-size): a git push past it
// is refused with 413 and leaves main where it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, pythonApp, api, remoteHead } from './lib.mjs';

const DISK_APP = String.raw`
import errno, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        out = {}
        if self.path == "/fill":
            chunk, mb = b"x" * (1 << 20), 0
            try:
                with open("/data/fill", "wb") as f:
                    for _ in range(256):
                        f.write(chunk); f.flush(); os.fsync(f.fileno()); mb += 1
                out["error"] = None
            except OSError as e:
                out["error"] = errno.errorcode.get(e.errno)
            out["mb"] = mb
            os.remove("/data/fill")
        elif self.path == "/keep":
            open("/data/keep.txt", "w").write("kept")
        st = os.statvfs("/data")
        out["total_mb"] = st.f_blocks * st.f_frsize >> 20
        out["files"] = sorted(os.listdir("/data"))
        body = json.dumps(out).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

const LIMIT_MB = 16;
let server, token;
before(async () => {
  server = await startServer({ args: ['--data-size', String(LIMIT_MB)] });
  token = addUser(server.dataDir, 'dora');
  await createSpace(server, token, 'dora', 'disk', 'process');
  const dir = gitRepo(pythonApp(DISK_APP));
  assert.equal(gitPush(server, dir, 'dora/disk', 'dora', token).code, 0);
  await waitStage(server, 'dora/disk', 'RUNNING', { token, sha: headSha(dir) });
});
after(async () => { await server?.stop(); });

const get = async (p) => {
  const r = await hostRequest(server.port, 'dora-disk.localhost', p);
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
};

// Restarts on a storage change stop the app first: wait until it answers again.
async function untilServing() {
  const deadline = Date.now() + 60000;
  for (;;) {
    const r = await hostRequest(server.port, 'dora-disk.localhost', '/').catch(() => ({ status: 0 }));
    if (r.status === 200) return JSON.parse(r.text);
    if (Date.now() > deadline) throw new Error(`not serving again: ${r.status} ${r.text}\n${server.output()}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

test('writing past /data ends in ENOSPC and costs the host at most the limit', async () => {
  assert.doesNotMatch(server.output(), /NOT enforced/, server.output());
  const hw = (await api(server, 'GET', '/api/spaces/hardware')).json;
  assert.equal(hw[0].enforced.disk, true);

  const fill = await get('/fill');
  assert.equal(fill.error, 'ENOSPC', JSON.stringify(fill));
  assert.ok(fill.mb >= LIMIT_MB / 2 && fill.mb <= LIMIT_MB, `wrote ${fill.mb} MB into a ${LIMIT_MB} MB /data`);
  const image = path.join(server.dataDir, 'spaces', 'dora', 'disk', 'data.img');
  const st = fs.statSync(image);
  assert.equal(st.size, LIMIT_MB << 20);
  assert.ok(st.blocks * 512 <= LIMIT_MB << 20, `the image holds ${st.blocks * 512} bytes on the host`);
  // The server and the app go on: the next write after the fill is freed works.
  assert.deepEqual((await get('/keep')).files, ['keep.txt']);
});

test('a storage tier grows /data and keeps it; deleting the storage empties it', async () => {
  let r = await api(server, 'POST', '/api/spaces/dora/disk/storage', { token, body: { tier: 'small' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.storage, 'small');
  let seen = await untilServing();
  assert.ok(seen.total_mb > 15000, `small is 20 GB, /data has ${seen.total_mb} MB`);
  assert.deepEqual(seen.files, ['keep.txt']);
  const runtime = (await api(server, 'GET', '/api/spaces/dora/disk/runtime', { token })).json;
  assert.equal(runtime.storage, 'small');

  r = await api(server, 'POST', '/api/spaces/dora/disk/storage', { token, body: { tier: 'huge' } });
  assert.equal(r.status, 400);
  r = await api(server, 'DELETE', '/api/spaces/dora/disk/storage', { token });
  assert.equal(r.status, 200, r.text);
  seen = await untilServing();
  assert.deepEqual(seen.files, []);
  assert.ok(seen.total_mb <= LIMIT_MB, `back to the default size, /data has ${seen.total_mb} MB`);
});

test('a push past --max-repo-size is refused with 413 and main stays', async () => {
  const small = await startServer({ args: ['--max-repo-size', '1'] });
  try {
    const t = addUser(small.dataDir, 'rita');
    await createSpace(small, t, 'rita', 'repo', 'static');
    const dir = gitRepo({ 'index.html': '<p>hi</p>' });
    assert.equal(gitPush(small, dir, 'rita/repo', 'rita', t).code, 0);
    const before = remoteHead(small, 'rita/repo', 'rita', t);
    assert.equal(before, headSha(dir));
    // 3 MB git cannot compress, in a repo allowed 1 MB.
    gitRepo({ 'weights.bin': crypto.randomBytes(3 << 20) }, dir);
    // Sent chunked (git's default past 1 MB), then with a Content-Length (a post buffer big enough).
    for (const postBuffer of [null, '16000000']) {
      if (postBuffer) Object.assign(process.env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.postBuffer', GIT_CONFIG_VALUE_0: postBuffer });
      try {
        const pushed = gitPush(small, dir, 'rita/repo', 'rita', t);
        assert.notEqual(pushed.code, 0, pushed.output);
        assert.match(pushed.output, /413/, pushed.output);
      } finally {
        for (const k of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0']) delete process.env[k];
      }
      assert.equal(remoteHead(small, 'rita/repo', 'rita', t), before);
    }
  } finally {
    await small.stop();
  }
});

// Large bodies stream through the edge both ways without being held in
// memory: a 200 MB upload and a 200 MB download via host-based routing, each
// checked byte for byte (count and sha256), while the server's peak RSS
// (VmHWM) grows by less than 64 MB. Node generates and consumes the bytes
// on the fly, so nothing here buffers the body either.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage } from './lib.mjs';

const TOTAL = 200 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MAX_RSS_GROWTH = 64 * 1024 * 1024;
const HOST = 'erin-bulk.localhost';

// Reads the body in 64 KiB chunks and answers with its size and sha256;
// /download?n=N streams N bytes of the same pattern the test generates.
const BULK_APP = String.raw`
import hashlib, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
CHUNK = 64 * 1024
def block(i):
    return bytes([i % 251]) * CHUNK
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        left = int(self.headers["Content-Length"])
        h, count = hashlib.sha256(), 0
        while left > 0:
            data = self.rfile.read(min(CHUNK, left))
            if not data: break
            h.update(data); count += len(data); left -= len(data)
        body = json.dumps({"bytes": count, "sha256": h.hexdigest()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if not self.path.startswith("/download"):
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
            return
        n = int(self.path.split("n=")[1])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        i = 0
        while n > 0:
            data = block(i)[:n]
            self.wfile.write(data)
            n -= len(data); i += 1
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

// The chunk the app's block(i) makes, generated fresh for each call.
const block = (i) => Buffer.alloc(CHUNK, i % 251);

function expectedSha() {
  const h = crypto.createHash('sha256');
  for (let i = 0, left = TOTAL; left > 0; i++, left -= CHUNK) h.update(block(i).subarray(0, Math.min(CHUNK, left)));
  return h.digest('hex');
}

function peakRss(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
  assert.ok(m, 'VmHWM missing');
  return Number(m[1]) * 1024;
}

let server, token, want;
before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'erin');
  await createSpace(server, token, 'erin', 'bulk', 'process');
  const dir = gitRepo({ 'README.md': '---\nsdk: process\napp_command: /usr/bin/python3 app.py\n---\n', 'app.py': BULK_APP });
  assert.equal(gitPush(server, dir, 'erin/bulk', 'erin', token).code, 0);
  await waitStage(server, 'erin/bulk', 'RUNNING', { token, sha: headSha(dir) });
  want = expectedSha();
});
after(async () => { await server?.stop(); });

test('a 200 MB upload streams through the edge with bounded memory', async (t) => {
  const before = peakRss(server.child.pid);
  const sent = crypto.createHash('sha256');
  const reply = await new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, path: '/upload', method: 'POST',
      headers: { Host: HOST, 'Content-Length': TOTAL, 'Content-Type': 'application/octet-stream' },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    (async () => {
      for (let i = 0, left = TOTAL; left > 0; i++, left -= CHUNK) {
        const chunk = block(i).subarray(0, Math.min(CHUNK, left));
        sent.update(chunk);
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
  assert.equal(reply.status, 200, reply.text);
  const body = JSON.parse(reply.text);
  assert.equal(body.bytes, TOTAL);
  assert.equal(sent.digest('hex'), want);
  assert.equal(body.sha256, want);
  const growth = peakRss(server.child.pid) - before;
  t.diagnostic(`peak RSS ${(before / 2 ** 20).toFixed(1)} MB -> +${(growth / 2 ** 20).toFixed(1)} MB`);
  assert.ok(growth < MAX_RSS_GROWTH, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB`);
});

test('a 200 MB download streams through the edge with bounded memory', async (t) => {
  const before = peakRss(server.child.pid);
  const got = crypto.createHash('sha256');
  let count = 0;
  const status = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: `/download?n=${TOTAL}`, headers: { Host: HOST } }, (res) => {
      res.on('data', (c) => { count += c.length; got.update(c); });
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 200);
  assert.equal(count, TOTAL);
  assert.equal(got.digest('hex'), want);
  const growth = peakRss(server.child.pid) - before;
  t.diagnostic(`peak RSS ${(before / 2 ** 20).toFixed(1)} MB -> +${(growth / 2 ** 20).toFixed(1)} MB`);
  assert.ok(growth < MAX_RSS_GROWTH, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB`);
});

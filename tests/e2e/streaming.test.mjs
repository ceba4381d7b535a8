// Acceptance 3: a WebSocket echo and an SSE stream pass through the edge
// unbuffered: events arrive as they are sent, not when the response ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage } from './lib.mjs';

// A dependency-free app: WebSocket echo at /ws (RFC 6455 by hand) and SSE at /events.
const STREAM_APP = String.raw`
import base64, hashlib, json, os, socket, struct, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
def read_exact(f, n):
    b = f.read(n)
    if len(b) < n: raise EOFError
    return b
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.startswith("/ws"): return self.ws()
        if self.path.startswith("/events"): return self.sse()
        body = b"ok"
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(body)
    def sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(5):
            ev = ("data: " + json.dumps({"n": i, "t": time.time()}) + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev)); self.wfile.flush()
            time.sleep(0.4)
        self.wfile.write(b"0\r\n\r\n"); self.wfile.flush()
    def ws(self):
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket"); self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept); self.end_headers(); self.wfile.flush()
        try:
            while True:
                b1, b2 = read_exact(self.rfile, 2)
                op, n = b1 & 0x0F, b2 & 0x7F
                if n == 126: n = struct.unpack(">H", read_exact(self.rfile, 2))[0]
                elif n == 127: n = struct.unpack(">Q", read_exact(self.rfile, 8))[0]
                mask = read_exact(self.rfile, 4) if b2 & 0x80 else b"\0\0\0\0"
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(read_exact(self.rfile, n)))
                if op == 8:
                    self.wfile.write(b"\x88\x00"); self.wfile.flush(); return
                out = b"echo:" + data
                hdr = bytes([0x81, len(out)]) if len(out) < 126 else bytes([0x81, 126]) + struct.pack(">H", len(out))
                self.wfile.write(hdr + out); self.wfile.flush()
        except EOFError:
            return
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

let server, token;
before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'bob');
  await createSpace(server, token, 'bob', 'stream', 'process');
  const dir = gitRepo({ 'README.md': '---\nsdk: process\napp_command: /usr/bin/python3 app.py\n---\n', 'app.py': STREAM_APP });
  assert.equal(gitPush(server, dir, 'bob/stream', 'bob', token).code, 0);
  await waitStage(server, 'bob/stream', 'RUNNING', { token, sha: headSha(dir) });
});
after(async () => { await server?.stop(); });

for (const [label, urlOf, headers] of [
  ['host-based', (s) => `ws://127.0.0.1:${s.port}/ws`, { Host: 'bob-stream.localhost' }],
  ['path-based', (s) => `ws://127.0.0.1:${s.port}/spaces/bob/stream/app/ws`, {}],
]) {
  test(`WebSocket echo through the edge (${label})`, async () => {
    const ws = new WebSocket(urlOf(server), { headers });
    await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
    const replies = [];
    ws.on('message', (m) => replies.push(m.toString()));
    for (const msg of ['one', 'two', 'x'.repeat(300)]) {
      ws.send(msg);
      const deadline = Date.now() + 5000;
      while (!replies.includes(`echo:${msg}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(replies.includes(`echo:${msg}`), `no echo for ${msg.slice(0, 10)}; got ${replies}`);
    }
    ws.close();
  });
}

test('SSE events arrive one by one, before the response ends', async () => {
  const arrivals = [];
  await new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path: '/events', headers: { Host: 'bob-stream.localhost', Accept: 'text/event-stream' } }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'], /text\/event-stream/);
      let buf = '';
      res.on('data', (chunk) => {
        buf += chunk.toString();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, i); buf = buf.slice(i + 2);
          if (ev.startsWith('data: ')) arrivals.push({ at: Date.now(), ev: JSON.parse(ev.slice(6)) });
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  assert.equal(arrivals.length, 5);
  // The app sends one event every 400 ms; buffered delivery would bunch them at the end.
  const gaps = arrivals.slice(1).map((a, i) => a.at - arrivals[i].at);
  assert.ok(gaps.every((g) => g > 200), `events bunched together: gaps ${gaps}`);
  for (const a of arrivals) {
    const lagMs = a.at - a.ev.t * 1000;
    assert.ok(lagMs < 250, `event ${a.ev.n} arrived ${lagMs} ms after it was sent`);
  }
});

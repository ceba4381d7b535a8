// The default runtime sandboxes apps: an app cannot read the server's data,
// reach services on the host or another app (it reaches the edge's public
// port, as any visitor does, and nothing else), and runs without privileges. If the
// host cannot sandbox (not root, no bubblewrap, no writable cgroups) this
// test fails and says so: `make test` expects the sandbox to be active.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, pythonApp } from './lib.mjs';

const PROBE_APP = String.raw`
import json, os, resource, socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse
def can_read(p):
    try:
        open(p, "rb").read(1); return True
    except OSError:
        return False
def edge_health(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        line = s.recv(100).decode(errors="replace").split("\r\n")[0]
        s.close()
        return line
    except OSError as e:
        return str(e)
def can_list(p):
    try:
        os.listdir(p); return True
    except OSError:
        return False
def can_raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard + 1, hard + 1)); return True
    except (OSError, ValueError):
        return False
def can_raise_memory():
    for p in ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"):
        try:
            with open(p, "w") as f:
                f.write("-1")
            return True
        except OSError:
            pass
    return False
def can_connect(port):
    s = socket.socket(); s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        q = dict(parse_qsl(urlparse(self.path).query))
        cap = [l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1]
        body = json.dumps({
            "uid": os.getuid(), "capeff": cap,
            "read_secrets_key": can_read(q.get("key", "/nonexistent")),
            "read_db": can_read(q.get("db", "/nonexistent")),
            "read_own_app": can_read("app.py"),
            "read_neighbour": can_read(q.get("neighbour_file", "/nonexistent")),
            "list_neighbour": can_list(q.get("neighbour_dir", "/nonexistent")),
            "raise_nofile": can_raise_nofile(),
            "raise_memory": can_raise_memory(),
            "reach_host_service": can_connect(int(q.get("service", "1"))),
            "edge": edge_health(int(q.get("edge", "1"))),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())[:5],
            "data_writable": os.access("/data", os.W_OK),
        }).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

let server, token;
before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'eve');
  for (const name of ['probe', 'neighbour']) {
    await createSpace(server, token, 'eve', name, 'process');
    const dir = gitRepo(name === 'probe' ? { ...pythonApp(PROBE_APP) } : pythonApp());
    assert.equal(gitPush(server, dir, `eve/${name}`, 'eve', token).code, 0);
    await waitStage(server, `eve/${name}`, 'RUNNING', { token, sha: headSha(dir) });
  }
});
after(async () => { await server?.stop(); });

test('apps run sandboxed: no privileges, no server data, no host services, no neighbours', async () => {
  const log = server.output();
  assert.doesNotMatch(log, /WITHOUT a sandbox/, `the server fell back to unsandboxed apps:\n${log}`);
  const neighbour = await hostRequest(server.port, 'eve-neighbour.localhost', '/');
  assert.equal(neighbour.status, 200);
  // Other apps are reached only through forwarders on the host's loopback, like any host service: an
  // app whose network namespace cannot reach a service on the host's loopback reaches no neighbour either.
  const service = net.createServer((c) => c.end('hello'));
  await new Promise((r) => service.listen(0, '127.0.0.1', r));
  // Another Space's files, found from the host side (the test runs as root).
  const neighbourDir = path.join(server.dataDir, 'builds', 'eve', 'neighbour');
  const neighbourFile = path.join(neighbourDir, fs.readdirSync(neighbourDir)[0], 'app.py');
  assert.ok(fs.existsSync(neighbourFile), neighbourFile);
  const q = new URLSearchParams({
    neighbour_file: neighbourFile,
    neighbour_dir: neighbourDir,
    key: path.join(server.dataDir, 'secrets.key'),
    db: path.join(server.dataDir, 'spaceport.db'),
    service: String(service.address().port),
    edge: String(server.port),
  });
  const r = await hostRequest(server.port, 'eve-probe.localhost', `/?${q}`);
  assert.equal(r.status, 200, r.text);
  const p = JSON.parse(r.text);
  assert.notEqual(p.uid, 0, 'app runs as root');
  assert.equal(p.capeff, '0000000000000000', 'app has capabilities');
  assert.equal(p.read_secrets_key, false, 'app can read the secrets key');
  assert.equal(p.read_db, false, 'app can read the database');
  assert.equal(p.read_own_app, true, 'the probe cannot even read its own app (the checks above prove nothing)');
  assert.equal(p.read_neighbour, false, "app can read another Space's files");
  assert.equal(p.list_neighbour, false, "app can list another Space's build dir");
  assert.equal(p.raise_nofile, false, 'app can raise its hard file limit');
  assert.equal(p.raise_memory, false, 'app can raise its memory limit');
  service.close();
  assert.equal(p.reach_host_service, false, 'app can connect to a service on the host');
  assert.equal(p.edge, 'HTTP/1.1 200 OK', "app cannot reach the edge's public port");
  assert.ok(p.pids.length <= 3, `app sees host processes: ${p.pids}`);
  assert.equal(p.data_writable, true, '/data is not writable');
});

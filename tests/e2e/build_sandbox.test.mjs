// Builds run sandboxed (issue 10, acceptance 1 and 2): a package's build hook
// cannot read the server's files or another Space's tree, nor reach the hub's
// port, and proves it tried (with positive controls); a fork bomb, a memory
// hog, endless output, a build that never ends and files written without end
// (many, or one) each end in BUILD_ERROR naming the limit, while another Space
// keeps answering throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, tempDir, sleep } from './lib.mjs';

let server;
let token;

// A PEP 517 build backend in the package itself: pip runs it in the build
// sandbox. It tries what a hostile package would and records every outcome
// in the wheel it makes, so the app can show them.
const BACKEND = String.raw`
import base64, hashlib, json, os, socket, zipfile

def _try(fn):
    try:
        return "ok: " + str(fn())[:80]
    except Exception as e:
        return "refused: %s" % type(e).__name__

def _read(p):
    with open(p, "rb") as f:
        return len(f.read())

def _connect(port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=3)
    s.close()
    return "connected"

def _via_proxy(port):
    proxy = os.environ.get("https_proxy", "")
    host, pport = proxy.rsplit("/", 1)[-1].split(":")
    s = socket.create_connection((host, int(pport)), timeout=3)
    s.sendall(("CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % port).encode())
    reply = s.recv(200).decode(errors="replace").split("\r\n")[0]
    s.close()
    if " 200 " in reply:
        return "tunnel open"
    raise PermissionError(reply)

def _write_system():
    with open("/usr/spaceport-probe", "w") as f:
        f.write("x")
    return "written"

def probe():
    data = os.environ["PROBE_DATA_DIR"]
    port = os.environ["PROBE_HUB_PORT"]
    return {
        "uid": os.getuid(),
        "secrets_key": _try(lambda: _read(os.path.join(data, "secrets.key"))),
        "database": _try(lambda: _read(os.path.join(data, "spaceport.db"))),
        "other_space": _try(lambda: os.listdir(os.environ["PROBE_OTHER_TREE"])),
        "hub_port": _try(lambda: _connect(port)),
        "hub_via_proxy": _try(lambda: _via_proxy(port)),
        "system_write": _try(_write_system),
        "own_file": _try(lambda: _read("backend.py")),
        "proxy_reached": _try(lambda: _via_proxy(port)).startswith("refused: PermissionError"),
    }

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "probe_results-1.0-py3-none-any.whl"
    files = {
        "probe_results.py": "RESULTS = %r\n" % json.dumps(probe()),
        "probe_results-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: probe-results\nVersion: 1.0\n",
        "probe_results-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: probe\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, text in files.items():
            data = text.encode()
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
        record.append("probe_results-1.0.dist-info/RECORD,,")
        z.writestr("probe_results-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return name
`;

const PROBE_APP = `
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from probe_results import RESULTS
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = RESULTS.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

before(async () => {
  server = await startServer({
    // An index that needs the network (the proxy) though nothing is fetched from it.
    args: ['--pip-find-links', tempDir('sp-wheels-'), '--pip-index-url', 'https://pypi.invalid/simple', '--build-timeout', '25', '--build-memory', '192',
      '--build-pids', '64', '--build-log-limit', '1', '--ephemeral-disk', '64'],
  });
  token = addUser(server.dataDir, 'alice');
});
after(async () => { await server?.stop(); });

async function deploy(name, files, { want = 'RUNNING', vars = {} } = {}) {
  await createSpace(server, token, 'alice', name, 'process');
  for (const [key, value] of Object.entries(vars)) {
    const r = await api(server, 'POST', `/api/spaces/alice/${name}/variables`, { token, body: { key, value } });
    assert.equal(r.status, 200, r.text);
  }
  const dir = gitRepo(files);
  const pushed = gitPush(server, dir, `alice/${name}`, 'alice', token);
  assert.equal(pushed.code, 0, pushed.output);
  return waitStage(server, `alice/${name}`, want, { token, sha: headSha(dir), timeoutMs: 180000 });
}

const staticSpace = {
  'README.md': '---\ntitle: Steady\nsdk: static\n---\n',
  'index.html': '<p>steady</p>\n',
};

test('a package build hook runs sandboxed: every attempt on the host fails, the controls succeed', async () => {
  await deploy('victim', staticSpace);
  const victimBuilds = path.join(server.dataDir, 'builds', 'alice', 'victim');
  assert.ok(fs.readdirSync(victimBuilds).length > 0, 'the other Space has a build tree to aim at');
  await deploy('prober', {
    'README.md': '---\ntitle: Prober\nsdk: process\napp_command: python app.py\n---\n',
    'requirements.txt': './probe\n',
    'probe/pyproject.toml': '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
    'probe/backend.py': BACKEND,
    'app.py': PROBE_APP,
  }, { vars: { PROBE_DATA_DIR: server.dataDir, PROBE_HUB_PORT: String(server.port), PROBE_OTHER_TREE: victimBuilds } });
  const res = await hostRequest(server.port, 'alice-prober.localhost', '/');
  assert.equal(res.status, 200, res.text);
  const r = JSON.parse(res.text);
  // Positive controls: the hook ran, read its own tree, and reached the proxy.
  assert.match(r.own_file, /^ok: \d+/, JSON.stringify(r));
  assert.equal(r.proxy_reached, true, JSON.stringify(r));
  assert.ok(r.uid >= 190000 && r.uid < 200000, `build uid ${r.uid}`);
  for (const key of ['secrets_key', 'database', 'other_space', 'hub_port', 'hub_via_proxy', 'system_write']) {
    assert.match(r[key], /^refused: /, `${key}: ${r[key]}`);
  }
  // The hub itself was never reached through the proxy: it said 403.
  assert.match(server.output(), /refused a connection to 127\.0\.0\.1:\d+ \(not a package source\)/);
  // The venv the hook built belongs to root and nobody else may write it.
  const venvs = path.join(server.dataDir, 'cache', 'venvs');
  const venv = fs.readdirSync(venvs).find((n) => !n.startsWith('.') && !n.endsWith('.lock'));
  const st = fs.statSync(path.join(venvs, venv, 'bin', 'python'), { throwIfNoEntry: false }) ?? fs.lstatSync(path.join(venvs, venv, 'bin', 'python'));
  assert.equal(st.uid, 0);
  assert.equal(fs.statSync(path.join(venvs, venv)).mode & 0o022, 0);
});

test('fork bomb, memory hog, endless output, a hung build and files without end each end in BUILD_ERROR naming the limit', async () => {
  await deploy('steady', staticSpace);
  let polls = 0;
  const failures = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await hostRequest(server.port, 'alice-steady.localhost', '/').catch((e) => ({ status: String(e) }));
      polls += 1;
      if (res.status !== 200) failures.push(res.status);
      await sleep(100);
    }
  })();
  const cases = [
    ['bomb', 'bomb() { bomb | bomb & }; bomb; sleep 60', /process limit \(64 processes/],
    ['hog', `/usr/bin/python3 -c "x = b'a' * (1 << 30)"`, /memory limit \(192 MiB/],
    ['chatty', 'yes spaceport-build-output', /log passed its size limit of 1 MiB/],
    ['hung', 'sleep 99999', /time limit of 25 s \(--build-timeout\)/],
    ['filler', 'i=0; while :; do i=$((i+1)); head -c 1048576 /dev/zero > f$i; done', /files passed its disk limit of 64 MiB/],
    ['bigfile', 'head -c 200000000 /dev/zero > big; echo the command went on', /files passed its disk limit of 64 MiB/],
  ];
  const started = Date.now();
  const results = await Promise.all(cases.map(async ([name, command, message]) => {
    const { runtime } = await deploy(name, {
      'README.md': `---\ntitle: ${name}\nsdk: static\napp_build_command: ${JSON.stringify(command)}\n---\n`,
      'index.html': '<p>never served</p>\n',
    }, { want: (stage) => stage === 'BUILD_ERROR' || stage === 'RUNNING' });
    return { name, runtime, message };
  }));
  polling = false;
  await poller;
  for (const { name, runtime, message } of results) {
    assert.equal(runtime.stage, 'BUILD_ERROR', `${name}: ${JSON.stringify(runtime)}`);
    assert.match(runtime.errorMessage ?? '', message, `${name}: ${runtime.errorMessage}`);
  }
  assert.ok(Date.now() - started < 120000, 'the limits ended the builds');
  assert.ok(polls > 20, `the steady Space was polled ${polls} times`);
  assert.deepEqual(failures, [], 'the steady Space answered every request');
  const health = await api(server, 'GET', '/healthz');
  assert.equal(health.status, 200);
});

test('the hardware list says builds and apps are sandboxed on this host', async () => {
  const r = await api(server, 'GET', '/api/spaces/hardware');
  assert.equal(r.status, 200);
  for (const flavor of r.json) assert.deepEqual(flavor.enforced, { sandbox: true, limits: true, buildSandbox: true, disk: true }, flavor.name);
  assert.match(server.output(), /builds run sandboxed; package sources they may reach: .*pypi\.invalid:443/);
});

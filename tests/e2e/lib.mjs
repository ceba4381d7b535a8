// Shared helpers for the end-to-end tests: start the real `spaceport` binary
// on a temp data dir, make users, git repos and pushes, and talk HTTP to it.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, process.env.BUILD_DIR || 'build', 'spaceport');

export function tempDir(prefix = 'sp-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `spaceport serve` on a free port; resolves when it prints its URL.
export async function startServer({ dataDir = tempDir('sp-data-'), args = [], env = {} } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`spaceport binary missing at ${BIN}: build first`);
  const child = spawn(BIN, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, SPACEPORT_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 15000);
    const onData = (d) => {
      output += d.toString();
      const m = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${output}`)); });
  });
  child.stdout.on('data', (d) => { output += d.toString(); });
  child.stderr.on('data', (d) => { output += d.toString(); });
  const port = Number(new URL(url).port);
  return {
    url, port, dataDir, child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(() => { child.kill('SIGKILL'); r(); }, 10000); });
    },
  };
}

// A fresh database on the PostgreSQL test server scripts/test starts
// (scripts/pg-test-server); its URL. Without the server the test fails and says why.
export function pgDatabase(prefix = 'e2e') {
  const server = process.env.SPACEPORT_TEST_PG;
  if (!server) {
    throw new Error('no PostgreSQL test server: SPACEPORT_TEST_PG is unset (scripts/test starts one: scripts/pg-test-server start)');
  }
  const name = `${prefix}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  execFileSync('psql', [`${server}/postgres`, '-q', '-c', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return `${server}/${name}`;
}

// `spaceport user add NAME`: the token is the last line of its output.
export function addUser(dataDir, name, extra = []) {
  const out = execFileSync(BIN, ['user', 'add', name, '--data-dir', dataDir, ...extra]).toString().trim();
  return out.split('\n').pop().trim();
}

export function cli(server, token, args, { input, env = {} } = {}) {
  try {
    const stdout = execFileSync(BIN, args, {
      input,
      env: { ...process.env, SPACEPORT_URL: server.url, SPACEPORT_TOKEN: token, HOME: tempDir('sp-home-'), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString();
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    return { code: e.status, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '' };
  }
}

export async function api(server, method, p, { token, body, headers = {}, redirect = 'follow' } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(server.url + p, { method, headers: h, redirect, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export async function createSpace(server, token, owner, name, sdk, extra = {}) {
  const r = await api(server, 'POST', '/api/repos/create', { token, body: { type: 'space', name, organization: owner, sdk, ...extra } });
  if (r.status !== 200) throw new Error(`create ${owner}/${name}: ${r.status} ${r.text}`);
  return r.json;
}

// A git work tree with `files` ({path: content}) committed on main.
export function gitRepo(files, dir = tempDir('sp-repo-')) {
  const git = (...a) => execFileSync('git', ['-C', dir, ...a], { stdio: 'pipe' });
  if (!fs.existsSync(path.join(dir, '.git'))) git('init', '-q', '-b', 'main');
  writeFiles(dir, files);
  git('add', '-A');
  git('-c', 'user.name=Test', '-c', 'user.email=test@spaceport.local', 'commit', '-qm', 'update', '--allow-empty');
  return dir;
}

export function writeFiles(dir, files) {
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), content);
  }
}

export function headSha(dir) {
  return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD']).toString().trim();
}

// git push over smart HTTP with the token as the Basic password. Returns {code, output}.
export function gitPush(server, dir, id, user, token, ref = 'HEAD:refs/heads/main') {
  const remote = `http://${encodeURIComponent(user)}:${encodeURIComponent(token)}@127.0.0.1:${server.port}/spaces/${id}`;
  try {
    const out = execFileSync('git', ['-C', dir, 'push', '--porcelain', remote, ref], {
      stdio: 'pipe', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return { code: 0, output: out.toString() };
  } catch (e) {
    return { code: e.status, output: (e.stdout?.toString() ?? '') + (e.stderr?.toString() ?? '') };
  }
}

export function remoteHead(server, id, user, token) {
  const auth = token ? `${encodeURIComponent(user)}:${encodeURIComponent(token)}@` : '';
  try {
    const out = execFileSync('git', ['ls-remote', `http://${auth}127.0.0.1:${server.port}/spaces/${id}`, 'refs/heads/main'], {
      stdio: 'pipe', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    }).toString();
    return out.split(/\s/)[0] || '';
  } catch (e) {
    return `error: ${e.stderr?.toString()}`;
  }
}

// Polls the runtime API until `want` (a stage or a predicate); returns {runtime, seen}.
export async function waitStage(server, id, want, { token, timeoutMs = 120000, sha } = {}) {
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const r = await api(server, 'GET', `/api/spaces/${id}/runtime`, { token });
    last = r.json;
    const stage = last?.stage;
    if (stage && seen[seen.length - 1] !== stage) seen.push(stage);
    const shaOk = !sha || last?.sha === sha;
    if (shaOk && (typeof want === 'function' ? want(stage, last) : stage === want)) return { runtime: last, seen };
    await sleep(50);
  }
  throw new Error(`${id}: wanted ${want}, stages seen ${seen.join(' -> ')}, last ${JSON.stringify(last)}`);
}

// Polls the runtime API until the Space's sleep ladder is at `rung`
// (running, frozen, stopped); returns that runtime.
export async function waitRung(server, id, rung, { token, timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = (await api(server, 'GET', `/api/spaces/${id}/runtime`, { token })).json;
    if (last?.rung === rung) return last;
    await sleep(100);
  }
  throw new Error(`${id}: wanted rung ${rung}, last runtime ${JSON.stringify(last)}`);
}

// A raw HTTP request with an arbitrary Host header (host-based routing).
export function hostRequest(port, host, p, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const h = { Host: host, ...headers };
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

export function pythonApp(body, { version = '1', extraCard = '' } = {}) {
  return {
    'README.md': `---\ntitle: Test App\nsdk: process\napp_command: /usr/bin/python3 app.py\n${extraCard}---\n# test\n`,
    'app.py': body ?? ECHO_APP.replace('__VERSION__', version),
  };
}

export const ECHO_APP = `
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BOOT = os.urandom(4).hex()  # tells one start of the app from the next
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({"version": "__VERSION__", "boot": BOOT, "path": self.path,
                           "headers": dict(self.headers.items()),
                           "space": os.environ.get("SPACE_ID"),
                           "secret": os.environ.get("MY_SECRET"),
                           "variable": os.environ.get("MY_VAR")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
print("echo app starting", flush=True)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

// An hf_oauth app signing in with Spaceport the way HF apps do: /login starts
// the authorization code flow with PKCE (S256); /login/callback redeems the
// code with the client secret (through the sandbox's egress to the edge) and
// shows userinfo, or the error the provider sent back; /userinfo asks again
// with the last access token it was given (revocation ends it); "/" shows
// what the platform gave it. Needs the Space variable EDGE_PORT.
export const OAUTH_APP = String.raw`
const http = require('http');
const crypto = require('crypto');
const pending = new Map();
const env = process.env;
const callback = 'http://' + env.SPACE_HOST + ':' + env.EDGE_PORT + '/login/callback';
let lastAccessToken = null;
http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  try {
    const meta = await (await fetch(env.OPENID_PROVIDER_URL + '/.well-known/openid-configuration')).json();
    if (url.pathname === '/login') {
      const verifier = crypto.randomBytes(32).toString('base64url');
      const state = crypto.randomBytes(8).toString('hex');
      pending.set(state, verifier);
      const q = new URLSearchParams({ client_id: env.OAUTH_CLIENT_ID, redirect_uri: callback, response_type: 'code',
        scope: env.OAUTH_SCOPES, state, code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256' });
      return send(302, {}, { Location: meta.authorization_endpoint + '?' + q });
    }
    if (url.pathname === '/login/callback') {
      const verifier = pending.get(url.searchParams.get('state'));
      if (!verifier) return send(400, { error: 'unknown state' });
      if (url.searchParams.get('error')) return send(200, { error: url.searchParams.get('error'), stateOk: true });
      const basic = Buffer.from(env.OAUTH_CLIENT_ID + ':' + env.OAUTH_CLIENT_SECRET).toString('base64');
      const tokenRes = await fetch(meta.token_endpoint, { method: 'POST', headers: { Authorization: 'Basic ' + basic,
        'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code',
        code: url.searchParams.get('code'), redirect_uri: callback, code_verifier: verifier }) });
      const tokens = await tokenRes.json();
      if (!tokens.access_token) return send(401, tokens);
      lastAccessToken = tokens.access_token;
      const info = await (await fetch(meta.userinfo_endpoint, { headers: { Authorization: 'Bearer ' + tokens.access_token } })).json();
      return send(200, { userinfo: info, scope: tokens.scope, idToken: Boolean(tokens.id_token) });
    }
    if (url.pathname === '/userinfo') {
      if (!lastAccessToken) return send(409, { error: 'no token yet' });
      const again = await fetch(meta.userinfo_endpoint, { headers: { Authorization: 'Bearer ' + lastAccessToken } });
      return send(200, { status: again.status, body: await again.json() });
    }
    send(200, { scopes: env.OAUTH_SCOPES, provider: env.OPENID_PROVIDER_URL });
  } catch (e) { send(500, { error: String(e) }); }
}).listen(Number(env.PORT), '127.0.0.1');
`;


// Headless Debian Chromium driven by playwright-core; fails loudly when missing.
export async function launchChromium() {
  const chromium = '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) throw new Error('Chromium is missing: run scripts/setup --test (installs Debian chromium)');
  const { chromium: pw } = await import('playwright-core');
  return pw.launch({
    executablePath: chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// The end of a test app's do_GET: sends \`body\` (bytes) with 200, quiet logs,
// then serves on $PORT. Test apps differ only in how they make \`body\`.
export const PY_REPLY_AND_SERVE = `        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

// Billing: a Standard Webhooks key, the serve flag that hands its secret to
// the server, and a signed delivery (as a payment provider signs it).
export function standardWebhookKey() {
  const key = crypto.randomBytes(24);
  const dir = tempDir('sp-secrets-');
  fs.writeFileSync(`${dir}/standard`, `whsec_${key.toString('base64')}\n`);
  return { key, args: ['--webhook-secret-file', `${dir}/standard`] };
}

export async function sendStandardWebhook(server, key, id, body, { t = Math.floor(Date.now() / 1000) } = {}) {
  const sig = crypto.createHmac('sha256', key).update(`${id}.${t}.${body}`).digest('base64');
  const res = await fetch(`${server.url}/api/billing/webhooks/standard`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': `v1,${sig}` },
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json };
}

// Credits `amount` micro-units to `user` through a signed webhook, or fails the test.
export async function fundWallet(server, key, user, amount, id) {
  const r = await sendStandardWebhook(server, key, id, JSON.stringify({ type: 'wallet.credit', data: { user, amount } }));
  if (r.status !== 200) throw new Error(`funding ${user}: ${r.status} ${r.text}`);
}

// A Python app that counts each request it starts to answer in /data/answered
// (a byte each) before answering; GET /count reads the count. With
// countingCard(title, price) every request but /count costs `price`.
export const METERED_COUNTING_APP = `
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
COUNT = "/data/answered"
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path == "/count":
            body = str(os.path.getsize(COUNT) if os.path.exists(COUNT) else 0).encode()
        else:
            with open(COUNT, "ab") as f:
                f.write(b".")
            body = b"ok"
${PY_REPLY_AND_SERVE}`;

export function countingCard(title, price) {
  return `---
title: ${title}
sdk: process
app_command: /usr/bin/python3 app.py
spaceport:
  pricing:
    per_request: ${price}
    routes:
      - match: "/count"
        price: 0
---
`;
}

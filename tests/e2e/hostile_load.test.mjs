// Hostile load against the real binary: a server out of file descriptors
// sheds connections with clean refusals and serves again once they go; one
// client address past its connection cap is told 429.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';
import path from 'node:path';
import { BIN, tempDir, sleep, startServer, addUser, createSpace } from './lib.mjs';

// `spaceport serve` under a descriptor limit of `fds` (soft and hard).
async function serveWithFds(fds, extra = []) {
  const dataDir = tempDir('sp-data-');
  const child = spawn('prlimit', [`--nofile=${fds}:${fds}`, '--', BIN, 'serve', '--data-dir', dataDir,
    '--listen', '127.0.0.1:0', '--runtime', 'process', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 15000);
    const on = (d) => {
      output += d;
      const m = output.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${output}`)); });
  });
  return {
    port,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 10000); });
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Opens `n` connections; each records the first bytes it got, if any.
async function openMany(port, n) {
  const conns = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.got = '';
    s.on('data', (d) => { s.got += d.toString(); });
    s.on('error', () => {});
    conns.push(s);
  }
  await Promise.all(conns.map((s) => new Promise((r) => (s.connecting ? s.once('connect', r).once('error', r) : r()))));
  await sleep(1500);
  return conns;
}

async function healthz(port) {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
  return r.status;
}

test('out of descriptors: waiting connections get 503 and close; the server serves again once they go', async () => {
  const server = await serveWithFds(128, ['--max-connections-per-ip', '0']);
  try {
    assert.match(server.output(), /open files limit: 128/);
    assert.equal(await healthz(server.port), 200);
    const conns = await openMany(server.port, 200);
    const refused = conns.filter((s) => s.got.startsWith('HTTP/1.1 503 '));
    const garbage = conns.filter((s) => s.got !== '' && !s.got.startsWith('HTTP/1.1 503 '));
    assert.ok(refused.length > 0, 'nobody was refused: the limit was not reached');
    assert.equal(garbage.length, 0, garbage.map((s) => s.got.slice(0, 80)).join('\n'));
    assert.match(refused[0].got, /out of file descriptors/);
    for (const s of conns) s.destroy();
    await sleep(500);
    assert.equal(await healthz(server.port), 200);
  } finally {
    await server.stop();
  }
});

test('one address past --max-connections-per-ip is told 429, the others keep their connections', async () => {
  const server = await serveWithFds(4096, ['--max-connections-per-ip', '20']);
  try {
    const conns = await openMany(server.port, 30);
    const refused = conns.filter((s) => s.got.startsWith('HTTP/1.1 429 '));
    assert.equal(refused.length, 10, conns.map((s) => s.got.slice(0, 20)).join('|'));
    assert.match(refused[0].got, /too many connections/);
    for (const s of conns) s.destroy();
    await sleep(300);
    assert.equal(await healthz(server.port), 200);
  } finally {
    await server.stop();
  }
});

test('a big commit is read as it streams: stored whole, nothing left beside the repository', async () => {
  const server = await startServer({ args: ['--runtime', 'process'] });
  try {
    const token = addUser(server.dataDir, 'ann');
    await createSpace(server, token, 'ann', 'big', 'static');
    const bytes = crypto.randomBytes(5 << 20);
    const text = 'caf\u00e9 "quoted" \u{1F600}\n'.repeat(100000);  // a long utf-8 line with escapes
    const body = [
      JSON.stringify({ key: 'header', value: { summary: 'big' } }),
      JSON.stringify({ key: 'file', value: { path: 'big.bin', content: bytes.toString('base64'), encoding: 'base64' } }),
      JSON.stringify({ key: 'file', value: { path: 'text.txt', content: text } }),
    ].join('\n');
    const r = await fetch(`${server.url}/api/spaces/ann/big/commit/main`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' }, body,
    });
    assert.equal(r.status, 200, await r.text());
    const got = Buffer.from(await (await fetch(`${server.url}/spaces/ann/big/resolve/main/big.bin`)).arrayBuffer());
    assert.ok(got.equals(bytes), `big.bin came back with ${got.length} bytes`);
    assert.equal(await (await fetch(`${server.url}/spaces/ann/big/resolve/main/text.txt`)).text(), text);
    const spill = path.join(server.dataDir, 'repos', '.commit-spill');
    assert.ok(fs.existsSync(spill), 'the big contents did not go through the spill directory');
    assert.deepEqual(fs.readdirSync(spill), []);
    assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'repos', 'ann', 'big.git')).filter((f) => f.startsWith('spaceport-commit-')), []);
  } finally {
    await server.stop();
  }
});

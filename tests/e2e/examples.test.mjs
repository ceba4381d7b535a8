// Acceptance 1: the example Spaces that `make run` seeds reach RUNNING and
// work through the edge; the hub's web UI shows them in a real browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, addUser, hostRequest, api, ROOT, BIN, tempDir, launchChromium } from './lib.mjs';

let server, token;
before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'demo', ['--admin']);
  execFileSync(path.join(ROOT, 'scripts/seed-examples'), ['--wait'], {
    env: { ...process.env, SPACEPORT_URL: server.url, SPACEPORT_TOKEN: token, SPACEPORT_BIN: BIN, HOME: tempDir('sp-home-') },
    stdio: 'inherit',
    timeout: 300000,
  });
});
after(async () => { await server?.stop(); });

test('all five examples are RUNNING (the Docker one needs podman, which scripts/setup installs)', async () => {
  for (const name of ['static-hello', 'python-echo', 'node-chat', 'python-sse', 'docker-hello']) {
    const r = await api(server, 'GET', `/api/spaces/demo/${name}/runtime`);
    assert.equal(r.json?.stage, 'RUNNING', `${name}: ${r.text}`);
  }
});

test('static-hello serves its page and stylesheet', async () => {
  const page = await hostRequest(server.port, 'demo-static-hello.localhost', '/');
  assert.equal(page.status, 200);
  assert.match(page.text, /Hello from a static Space/);
  const css = await hostRequest(server.port, 'demo-static-hello.localhost', '/style.css');
  assert.match(css.headers['content-type'], /text\/css/);
});

test('docker-hello serves its page and its CGI program from the container', async () => {
  const page = await hostRequest(server.port, 'demo-docker-hello.localhost', '/');
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /Hello from a Docker Space/);
  const hello = await api(server, 'GET', '/spaces/demo/docker-hello/app/cgi-bin/hello');
  assert.equal(hello.status, 200, hello.text);
  assert.match(hello.text, /Hello from demo\/docker-hello, running as uid 1000/);
  assert.match(hello.text, /Network interfaces: lo\n/);
  assert.match(hello.text, /the root file system is read-only/);
});

test('python-echo answers with the request it saw', async () => {
  const r = await hostRequest(server.port, 'demo-python-echo.localhost', '/ping', { method: 'POST', body: 'hello' });
  const j = JSON.parse(r.text);
  assert.equal(j.method, 'POST');
  assert.equal(j.body_bytes, 5);
  assert.equal(j.space_id, 'demo/python-echo');
});

test('node-chat broadcasts between two WebSocket clients', async () => {
  const open = () => new Promise((res, rej) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Host: 'demo-node-chat.localhost' } });
    ws.once('open', () => res(ws)); ws.once('error', rej);
  });
  const [a, b] = [await open(), await open()];
  const got = new Promise((res) => b.once('message', (m) => res(m.toString())));
  a.send('hi from a');
  assert.equal(await Promise.race([got, new Promise((r) => setTimeout(() => r('timeout'), 5000))]), 'hi from a');
  a.close(); b.close();
});

test('python-sse streams events through the path-based route', async () => {
  const events = await new Promise((resolve, reject) => {
    http.get(`${server.url}/spaces/demo/python-sse/app/events?count=3&interval=0.1`, (res) => {
      let buf = '';
      res.on('data', (c) => { buf += c; });
      res.on('end', () => resolve(buf.split('\n\n').filter((e) => e.includes('data:'))));
    }).on('error', reject);
  });
  assert.equal(events.length, 3);
});

test('the hub lists the examples and shows a running app in a browser', async (t) => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.url + '/');
    for (const name of ['static-hello', 'python-echo', 'node-chat', 'python-sse']) {
      await page.getByText(`demo/${name}`).first().waitFor({ timeout: 5000 });
    }
    await page.getByText('demo/static-hello').first().click();
    await page.waitForURL(/\/spaces\/demo\/static-hello$/);
    const frame = page.frameLocator('iframe');
    await frame.getByText('Hello from a static Space').waitFor({ timeout: 10000 });
    const shots = path.join(ROOT, process.env.BUILD_DIR || 'build', 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'space-page.png'), fullPage: true });
    await page.goto(server.url + '/');
    await page.screenshot({ path: path.join(shots, 'hub.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

// Acceptance 2: a user pushes a Python app with git; it builds, starts and is
// served through both routings. Acceptance 4: a new push while requests keep
// coming loses none, and the new version serves afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp, sleep,
} from './lib.mjs';

let server, token;
before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'alice');
});
after(async () => { await server?.stop(); });

test('git push of a Python app: BUILDING -> APP_STARTING -> RUNNING, served by host and by path', async () => {
  await createSpace(server, token, 'alice', 'echo', 'process');
  const dir = gitRepo(pythonApp(undefined, { version: '1' }));
  const push = gitPush(server, dir, 'alice/echo', 'alice', token);
  assert.equal(push.code, 0, push.output);
  const { seen } = await waitStage(server, 'alice/echo', 'RUNNING', { token, sha: headSha(dir) });
  // The stages must be seen in order; fast builds may skip past a stage between polls,
  // but never go backwards, and RUNNING comes last.
  const order = ['NO_APP_FILE', 'BUILDING', 'APP_STARTING', 'RUNNING'];
  const idx = seen.map((s) => order.indexOf(s));
  assert.ok(idx.every((v) => v >= 0), `unexpected stage in ${seen}`);
  assert.deepEqual([...idx].sort((a, b) => a - b), idx, `stages out of order: ${seen}`);
  assert.ok(seen.includes('BUILDING') || seen.includes('APP_STARTING'), `never saw a building stage: ${seen}`);

  const byHost = await hostRequest(server.port, `alice-echo.localhost:${server.port}`, '/hello?x=1');
  assert.equal(byHost.status, 200, byHost.text);
  const h = JSON.parse(byHost.text);
  assert.equal(h.version, '1');
  assert.equal(h.path, '/hello?x=1');
  assert.equal(h.space, 'alice/echo');
  assert.equal(h.headers['X-Forwarded-Host'], `alice-echo.localhost:${server.port}`);
  assert.equal(h.headers['X-Forwarded-Proto'], 'http');
  assert.match(h.headers['X-Forwarded-For'], /127\.0\.0\.1/);

  const byPath = await api(server, 'GET', '/spaces/alice/echo/app/hello');
  assert.equal(byPath.status, 200, byPath.text);
  const p = JSON.parse(byPath.text);
  assert.equal(p.path, '/hello');
  assert.equal(p.headers['X-Forwarded-Prefix'], '/spaces/alice/echo/app');

  const noSlash = await fetch(`${server.url}/spaces/alice/echo/app`, { redirect: 'manual' });
  assert.equal(noSlash.status, 301);
  assert.equal(noSlash.headers.get('location'), '/spaces/alice/echo/app/');

  // Client-sent identity headers never reach the app.
  const forged = await hostRequest(server.port, 'alice-echo.localhost', '/', { headers: { 'X-Spaceport-User': 'mallory' } });
  assert.equal(JSON.parse(forged.text).headers['X-Spaceport-User'], undefined);
  // Nor any spelling a WSGI server maps to it (HTTP_X_SPACEPORT_USER).
  const spelled = await hostRequest(server.port, 'alice-echo.localhost', '/', { headers: { 'X_Spaceport_User': 'mallory' } });
  assert.doesNotMatch(JSON.stringify(JSON.parse(spelled.text).headers), /mallory/);
});

test('a new push while requests keep coming: zero failures, then the new version serves', async () => {
  await createSpace(server, token, 'alice', 'rolling', 'process');
  const dir = gitRepo(pythonApp(undefined, { version: '1' }));
  assert.equal(gitPush(server, dir, 'alice/rolling', 'alice', token).code, 0);
  await waitStage(server, 'alice/rolling', 'RUNNING', { token, sha: headSha(dir) });

  let stop = false;
  const results = { ok: 0, failed: [], versions: new Set() };
  const load = (async () => {
    while (!stop) {
      try {
        const r = await hostRequest(server.port, 'alice-rolling.localhost', '/');
        if (r.status === 200) { results.ok++; results.versions.add(JSON.parse(r.text).version); } else results.failed.push(r.status);
      } catch (e) { results.failed.push(String(e)); }
    }
  })();
  await sleep(300);
  gitRepo(pythonApp(undefined, { version: '2' }), dir);
  assert.equal(gitPush(server, dir, 'alice/rolling', 'alice', token).code, 0);
  await waitStage(server, 'alice/rolling', 'RUNNING', { token, sha: headSha(dir) });
  // Keep the load going a little after the switch, so requests cross it.
  const deadline = Date.now() + 10000;
  while (!results.versions.has('2') && Date.now() < deadline) await sleep(50);
  await sleep(500);
  stop = true;
  await load;
  assert.deepEqual(results.failed, [], `failed requests during the switch: ${results.failed.slice(0, 5)}`);
  assert.ok(results.ok > 20, `too few requests went through (${results.ok})`);
  assert.ok(results.versions.has('1') && results.versions.has('2'), `versions seen: ${[...results.versions]}`);
  const after = await hostRequest(server.port, 'alice-rolling.localhost', '/');
  assert.equal(JSON.parse(after.text).version, '2');
});

test('a static Space is served by Spaceport from the pushed tree', async () => {
  await createSpace(server, token, 'alice', 'site', 'static');
  const dir = gitRepo({
    'README.md': '---\ntitle: Site\nsdk: static\n---\n',
    'index.html': '<h1>hello static</h1>',
    'sub/page.html': '<p>sub page</p>',
  });
  assert.equal(gitPush(server, dir, 'alice/site', 'alice', token).code, 0);
  await waitStage(server, 'alice/site', 'RUNNING', { token, sha: headSha(dir) });
  const index = await hostRequest(server.port, 'alice-site.localhost', '/');
  assert.equal(index.status, 200);
  assert.match(index.text, /hello static/);
  assert.match(index.headers['content-type'], /text\/html/);
  const sub = await api(server, 'GET', '/spaces/alice/site/app/sub/page.html');
  assert.equal(sub.status, 200);
  assert.match(sub.text, /sub page/);
  const missing = await hostRequest(server.port, 'alice-site.localhost', '/nope.html');
  assert.equal(missing.status, 404);
  // A directory without its slash: redirected where the browser is, the
  // path prefix kept, and never to another host ("//sub/").
  for (const [url, landing] of [
    ['/spaces/alice/site/app/sub', '/spaces/alice/site/app/sub/'],
    ['/spaces/alice/site/app//sub', '/spaces/alice/site/app//sub/'],
  ]) {
    const r = await fetch(`${server.url}${url}`, { redirect: 'manual' });
    assert.equal(r.status, 301, url);
    const location = r.headers.get('location');
    assert.equal(new URL(location, `${server.url}${url}`).href, `${server.url}${landing}`, `${url} -> ${location}`);
  }
});

test('runtime API has the HF shape, and secrets and variables reach the app', async () => {
  await createSpace(server, token, 'alice', 'envy', 'process');
  let r = await api(server, 'POST', '/api/spaces/alice/envy/secrets', { token, body: { key: 'MY_SECRET', value: 's3cret' } });
  assert.equal(r.status, 200, r.text);
  r = await api(server, 'POST', '/api/spaces/alice/envy/variables', { token, body: { key: 'MY_VAR', value: 'visible' } });
  assert.equal(r.status, 200, r.text);
  const dir = gitRepo(pythonApp());
  assert.equal(gitPush(server, dir, 'alice/envy', 'alice', token).code, 0);
  const { runtime } = await waitStage(server, 'alice/envy', 'RUNNING', { token, sha: headSha(dir) });
  assert.equal(runtime.hardware.current, 'cpu-basic');
  assert.equal(typeof runtime.gcTimeout, 'number');
  assert.equal(runtime.domains[0].domain, 'alice-envy.localhost');
  const app = JSON.parse((await hostRequest(server.port, 'alice-envy.localhost', '/')).text);
  assert.equal(app.secret, 's3cret');
  assert.equal(app.variable, 'visible');
  const secrets = await api(server, 'GET', '/api/spaces/alice/envy/secrets', { token });
  assert.equal(secrets.status, 200);
  assert.ok(!secrets.text.includes('s3cret'), 'secret value must never be returned');
  assert.ok(secrets.text.includes('MY_SECRET'));
});

// Spaceport on PostgreSQL (--store postgres://...): a Space is pushed,
// built, served, searched and made private on a server whose store is a
// real PostgreSQL 15 (the test server scripts/test starts); and `spaceport
// store migrate` copies a populated SQLite installation, after which the same
// API answers the same way from PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  BIN, startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp,
  pgDatabase,
} from './lib.mjs';

const STATIC_SITE = (title, words) => ({
  'README.md': `---\ntitle: ${title}\nsdk: static\n---\n${words}\n`,
  'index.html': `<h1>${title}</h1>`,
});

test('a server on PostgreSQL builds, serves, searches and hides a Space, and keeps it across a restart', async () => {
  const store = pgDatabase();
  let server = await startServer({ args: ['--store', store] });
  try {
    const token = addUser(server.dataDir, 'petra', ['--store', store]);
    assert.equal((await api(server, 'GET', '/api/whoami-v2', { token })).json?.name, 'petra');
    await createSpace(server, token, 'petra', 'echo', 'process');
    await api(server, 'POST', '/api/spaces/petra/echo/secrets', { token, body: { key: 'MY_SECRET', value: 'in postgres' } });
    const dir = gitRepo(pythonApp());
    assert.equal(gitPush(server, dir, 'petra/echo', 'petra', token).code, 0);
    await waitStage(server, 'petra/echo', 'RUNNING', { token, sha: headSha(dir) });
    const app = JSON.parse((await hostRequest(server.port, 'petra-echo.localhost', '/')).text);
    assert.equal(app.secret, 'in postgres');

    await createSpace(server, token, 'petra', 'atlas', 'static');
    assert.equal(gitPush(server, gitRepo(STATIC_SITE('Star atlas', 'Constellations and nebulae.')), 'petra/atlas', 'petra', token).code, 0);
    await waitStage(server, 'petra/atlas', 'RUNNING', { token });
    // The directory indexes the push on PostgreSQL's full-text search.
    let found;
    for (let i = 0; i < 50 && !found?.spaces?.length; i++) {
      found = (await api(server, 'GET', '/api/spaces/search?search=nebula')).json;
      if (!found?.spaces?.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(found.spaces.map((s) => s.id), ['petra/atlas']);
    assert.deepEqual((await api(server, 'GET', '/api/spaces/search?search=constel')).json.spaces.map((s) => s.id), ['petra/atlas']);

    // Private: strangers get 404 from the API and the app at once.
    const settings = await api(server, 'PUT', '/api/spaces/petra/atlas/settings', { token, body: { private: true } });
    assert.equal(settings.status, 200, settings.text);
    assert.equal((await api(server, 'GET', '/api/spaces/petra/atlas')).status, 404);
    assert.equal((await hostRequest(server.port, 'petra-atlas.localhost', '/')).status, 404);
    assert.equal((await api(server, 'GET', '/api/spaces/search?search=nebula')).json.spaces.length, 0);
    await server.stop();

    server = await startServer({ dataDir: server.dataDir, args: ['--store', store] });
    await waitStage(server, 'petra/echo', 'RUNNING', { token });
    assert.equal(JSON.parse((await hostRequest(server.port, 'petra-echo.localhost', '/')).text).secret, 'in postgres');
    assert.equal((await api(server, 'GET', '/api/spaces/petra/atlas')).status, 404);
    assert.equal((await api(server, 'GET', '/api/spaces/petra/atlas', { token })).json?.private, true);
  } finally {
    await server.stop();
  }
});

test('store migrate copies a SQLite installation to PostgreSQL and the same API answers', async () => {
  let server = await startServer();
  const token = addUser(server.dataDir, 'sami');
  const other = addUser(server.dataDir, 'toni');
  await createSpace(server, token, 'sami', 'keeper', 'process');
  await api(server, 'POST', '/api/spaces/sami/keeper/secrets', { token, body: { key: 'MY_SECRET', value: 'copied' } });
  const dir = gitRepo(pythonApp());
  assert.equal(gitPush(server, dir, 'sami/keeper', 'sami', token).code, 0);
  const sha = headSha(dir);
  await waitStage(server, 'sami/keeper', 'RUNNING', { token, sha });
  await createSpace(server, token, 'sami', 'lens', 'static');
  assert.equal(gitPush(server, gitRepo(STATIC_SITE('Lens maker', 'Optics for telescopes.')), 'sami/lens', 'sami', token).code, 0);
  await waitStage(server, 'sami/lens', 'RUNNING', { token });
  assert.equal((await api(server, 'POST', '/api/spaces/sami/lens/like', { token: other })).status, 200);
  const before = {
    spaces: (await api(server, 'GET', '/api/spaces?author=sami', { token })).json.map((s) => [s.id, s.likes]).sort(),
    lens: (await api(server, 'GET', '/api/spaces/sami/lens')).json,
    search: (await api(server, 'GET', '/api/spaces/search?search=telescopes')).json.spaces.map((s) => s.id),
  };
  assert.deepEqual(before.search, ['sami/lens']);
  await server.stop();
  const grant = spawnSync(BIN, ['credits', 'grant', 'toni', '2500000', '--id', 'm1', '--data-dir', server.dataDir], { encoding: 'utf8' });
  assert.equal(grant.status, 0, grant.stderr);

  const store = pgDatabase('migrated');
  const migrate = (to) => spawnSync(BIN, ['store', 'migrate', '--from', `sqlite:${server.dataDir}/spaceport.db`, '--to', to], { encoding: 'utf8' });
  const copied = migrate(store);
  assert.equal(copied.status, 0, copied.stderr);
  assert.match(copied.stdout, /spaces: 2\n/);
  assert.match(copied.stdout, /likes: 1\n/);
  assert.match(copied.stdout, /accounts balance/);
  // A second copy into the same database is refused and changes nothing.
  const again = migrate(store);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /holds data already/);

  server = await startServer({ dataDir: server.dataDir, args: ['--store', store] });
  try {
    assert.equal((await api(server, 'GET', '/api/whoami-v2', { token })).json?.name, 'sami');
    assert.deepEqual((await api(server, 'GET', '/api/spaces?author=sami', { token })).json.map((s) => [s.id, s.likes]).sort(), before.spaces);
    const lens = (await api(server, 'GET', '/api/spaces/sami/lens')).json;
    assert.equal(lens.sha, before.lens.sha);
    assert.equal(lens.likes, 1);
    assert.deepEqual((await api(server, 'GET', '/api/spaces/search?search=telescopes')).json.spaces.map((s) => s.id), before.search);
    assert.equal((await api(server, 'GET', '/api/billing/wallet', { token: other })).json?.balance, 2500000);
    await waitStage(server, 'sami/keeper', 'RUNNING', { token, sha });
    assert.equal(JSON.parse((await hostRequest(server.port, 'sami-keeper.localhost', '/')).text).secret, 'copied');
    // New ids continue after the copied ones.
    await createSpace(server, token, 'sami', 'fresh', 'static');
    assert.equal((await api(server, 'GET', '/api/spaces?author=sami', { token })).json.length, 3);
  } finally {
    await server.stop();
  }
});

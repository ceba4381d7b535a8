// The directory through the real server and the npm HF hub client: words
// from pushed READMEs and cards, the title beating a README mention,
// type-ahead prefixes, filters and sorts combined, the count and facets,
// likes re-ranking, and private Spaces invisible to strangers in results,
// counts and facets (docs/directory.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as hub from '@huggingface/hub';
import { startServer, addUser, api } from './lib.mjs';

let server;
let alice, bob;
const hf = (token) => ({ accessToken: 'hf_' + token.slice(3), hubUrl: server.url });

async function make(token, name, readme, extra = {}) {
  await hub.createRepo({
    ...hf(token), repo: { type: 'space', name }, sdk: 'static', ...extra,
    files: [{ path: 'README.md', content: new Blob([readme]) }, { path: 'index.html', content: new Blob(['<p>hi</p>']) }],
  });
}

async function search(token, query, extra = {}) {
  const out = [];
  for await (const s of hub.listSpaces({ ...hf(token), search: { query, ...extra } })) out.push(s.name);
  return out;
}

before(async () => {
  server = await startServer();
  alice = addUser(server.dataDir, 'alice');
  bob = addUser(server.dataDir, 'bob');
  await make(alice, 'alice/speech', '---\ntitle: Whisper transcriber\nsdk: static\ntags: [audio]\n---\nTurns speech into text.');
  await make(alice, 'alice/painter', '---\ntitle: Painter\nsdk: static\n---\n' + 'Brushes and colours. '.repeat(40) +
    'Inspired by the whisper demo.');
  await make(bob, 'bob/notes', '---\ntitle: Notes\nsdk: static\n---\nNothing about sound.');
  await make(alice, 'alice/hidden-whisper', '---\ntitle: Whisper private build\nsdk: static\n---\n', { private: true });
});
after(async () => { await server?.stop(); });

test('words from the pushed README and card, the title first, prefixes while typing', async () => {
  assert.deepEqual(await search(bob, 'whisper '), ['alice/speech', 'alice/painter']);
  assert.deepEqual(await search(bob, 'whisp'), ['alice/speech', 'alice/painter']);
  assert.deepEqual(await search(bob, 'speech into '), ['alice/speech']);
  assert.deepEqual(await search(bob, 'whisper -painter '), ['alice/speech']);
  assert.deepEqual((await search(bob, 'brushes OR sound ')).sort(), ['alice/painter', 'bob/notes']);
  // HF's own form still works: a substring of owner/name.
  assert.deepEqual(await search(bob, 'e/spe'), ['alice/speech']);
});

test('private Spaces: their owner finds them, strangers see no trace in results, counts or facets', async () => {
  assert.ok((await search(alice, 'whisper ')).includes('alice/hidden-whisper'));
  assert.ok(!(await search(bob, 'whisper ')).includes('alice/hidden-whisper'));
  const stranger = await api(server, 'GET', '/api/spaces/search?search=whisper', { token: bob });
  assert.equal(stranger.status, 200);
  assert.equal(stranger.json.total, 2);
  assert.equal(stranger.json.exact, true);
  const owner = await api(server, 'GET', '/api/spaces/search?search=whisper', { token: alice });
  assert.equal(owner.json.total, 3);
  const anonymous = await api(server, 'GET', '/api/spaces/search?search=private%20build');
  assert.equal(anonymous.json.total, 0);
  assert.deepEqual(anonymous.json.spaces, []);
});

test('filters and sorts combine; likes re-rank; bad parameters are 400', async () => {
  const byLikes = await api(server, 'GET', '/api/spaces?search=whisper&sort=likes', { token: bob });
  assert.deepEqual(byLikes.json.map((s) => s.id), ['alice/speech', 'alice/painter']);
  // Two likes lift the README-only Space above the title match in a likes sort...
  for (const t of [alice, bob]) assert.equal((await api(server, 'POST', '/api/spaces/alice/painter/like', { token: t })).status, 200);
  const after = await api(server, 'GET', '/api/spaces?search=whisper&sort=likes', { token: bob });
  assert.deepEqual(after.json.map((s) => s.id), ['alice/painter', 'alice/speech']);
  assert.equal(after.json[0].likes, 2);
  // ...but not in relevance, where the title still wins.
  assert.deepEqual(await search(bob, 'whisper '), ['alice/speech', 'alice/painter']);
  const tagged = await api(server, 'GET', '/api/spaces?search=whisper&filter=audio', { token: bob });
  assert.deepEqual(tagged.json.map((s) => s.id), ['alice/speech']);
  const facets = await api(server, 'GET', '/api/spaces/search?search=whisper&sdk=docker', { token: bob });
  assert.equal(facets.json.total, 0);
  assert.equal(facets.json.facets.sdk.static, 2);  // a facet counts its own dimension unfiltered
  for (const bad of ['sort=random', 'include=all', 'verified=maybe', 'search=%2D%2D%2D', 'limit=0']) {
    const r = await api(server, 'GET', `/api/spaces?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.ok(r.json.error, bad);
  }
});

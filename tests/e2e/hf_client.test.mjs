// The npm HF hub client against a real server: repos, file uploads (one
// through LFS), listing, downloads, commits, Space info and search, and the
// uploaded Space building and running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as hub from '@huggingface/hub';
import { startServer, addUser, api, waitStage, hostRequest } from './lib.mjs';

let server;
let token;     // as the server issued it ("sp_...")
let hfToken;   // the same token in the form the HF client insists on ("hf_...")
const repo = { type: 'space', name: 'alice/x' };

const APP = `
import hashlib, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
data = open("data/big.bin", "rb").read()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;
const README = '---\ntitle: HF client test\nsdk: process\napp_command: /usr/bin/python3 app.py\n---\n# x\n';

function bigFile() {
  const bytes = Buffer.alloc(12 * 1000 * 1000 + 17);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) % 251;
  return bytes;
}

before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'alice');
  hfToken = 'hf_' + token.slice(3);
});
after(async () => { await server?.stop(); });

test('whoAmI with a valid and an invalid token', async () => {
  const me = await hub.whoAmI({ accessToken: hfToken, hubUrl: server.url });
  assert.equal(me.name, 'alice');
  assert.equal(me.auth.accessToken.role, 'write');
  await assert.rejects(hub.whoAmI({ accessToken: 'hf_' + '0'.repeat(40), hubUrl: server.url }));
});

test('create, upload (with LFS), list, download, commits, info, search, build, delete', async () => {
  const opts = { accessToken: hfToken, hubUrl: server.url };
  const created = await hub.createRepo({
    ...opts, repo, sdk: 'static',
    files: [{ path: 'README.md', content: new Blob([README]) }, { path: 'app.py', content: new Blob([APP]) }],
  });
  assert.equal(created.repoUrl, `${server.url}/spaces/alice/x`);

  const big = bigFile();
  const bigSha = crypto.createHash('sha256').update(big).digest('hex');
  const out = await hub.uploadFiles({
    ...opts, repo, commitTitle: 'add data',
    files: [{ path: 'data/big.bin', content: new Blob([big]) }, { path: 'notes.txt', content: new Blob(['hello\n']) }],
  });
  const sha = out.commit.oid;
  assert.match(sha, /^[0-9a-f]{40}$/);

  const files = [];
  for await (const f of hub.listFiles({ ...opts, repo, recursive: true })) files.push(f);
  const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
  assert.deepEqual(Object.keys(byPath).sort(), ['.gitattributes', 'README.md', 'app.py', 'data', 'data/big.bin', 'notes.txt']);
  assert.equal(byPath['data'].type, 'directory');
  assert.equal(byPath['data/big.bin'].size, big.length);
  assert.equal(byPath['data/big.bin'].lfs.oid, bigSha);
  assert.equal(byPath['notes.txt'].lfs, undefined);

  const blob = await hub.downloadFile({ ...opts, repo, path: 'data/big.bin' });
  const got = Buffer.from(await blob.arrayBuffer());
  assert.equal(got.length, big.length);
  assert.ok(got.equals(big), 'downloaded bytes differ from the uploaded ones');
  const notes = await hub.downloadFile({ ...opts, repo, path: 'notes.txt' });
  assert.equal(await notes.text(), 'hello\n');
  assert.equal(await hub.downloadFile({ ...opts, repo, path: 'nope.txt' }), null);

  const commits = [];
  for await (const c of hub.listCommits({ ...opts, repo })) commits.push(c);
  assert.equal(commits.length, 2);
  assert.equal(commits[0].oid, sha);
  assert.equal(commits[0].title, 'add data');
  assert.equal(commits[0].authors[0].username, 'alice');

  const info = await hub.spaceInfo({ ...opts, name: 'alice/x', additionalFields: ['sha', 'author'] });
  assert.equal(info.name, 'alice/x');
  assert.equal(info.sha, sha);
  assert.equal(info.author, 'alice');

  const found = [];
  for await (const s of hub.listSpaces({ ...opts, search: { query: 'x', owner: 'alice' } })) found.push(s.name);
  assert.ok(found.includes('alice/x'), `search found ${found}`);

  // The Space builds from what the client uploaded, LFS content included.
  await waitStage(server, 'alice/x', 'RUNNING', { token, sha, timeoutMs: 180000 });
  const res = await hostRequest(server.port, 'alice-x.localhost', '/');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { size: big.length, sha256: bigSha });

  await hub.deleteRepo({ ...opts, repo });
  assert.equal((await api(server, 'GET', '/api/spaces/alice/x', { token })).status, 404);
});

test('refused commits leave the Space unchanged', async () => {
  const opts = { accessToken: hfToken, hubUrl: server.url };
  const r = { type: 'space', name: 'alice/refuse' };
  await hub.createRepo({ ...opts, repo: r, files: [{ path: 'index.html', content: new Blob(['<p>v1</p>']) }] });
  const head = async () => (await api(server, 'GET', '/api/spaces/alice/refuse/revision/main', { token })).json.sha;
  const before = await head();
  await assert.rejects(hub.uploadFiles({ ...opts, repo: r, files: [{ path: '../evil', content: new Blob(['x']) }] }));
  await assert.rejects(hub.uploadFiles({ ...opts, repo: r, parentCommit: '0'.repeat(40),
    files: [{ path: 'a.txt', content: new Blob(['x']) }] }));
  const bad = await fetch(`${server.url}/api/spaces/alice/refuse/commit/main`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' },
    body: '{"key":"header","value":{"summary":"s"}}\n{"key":"file","value":{"path":"a.txt","con',
  });
  assert.equal(bad.status, 400);
  assert.equal(await head(), before);
});

test('listSpaces with search, owner, tags and sort; spaceInfo and listSpaces with additional fields', async () => {
  const opts = { accessToken: hfToken, hubUrl: server.url };
  const bobToken = addUser(server.dataDir, 'bob');
  const bobOpts = { accessToken: 'hf_' + bobToken.slice(3), hubUrl: server.url };
  const card = (tags) => `---\ntitle: T\nsdk: static\ntags: [${tags.join(', ')}]\nmodels: [m/one]\n---\n`;
  const make = async (o, name, tags) => {
    await hub.createRepo({ ...o, repo: { type: 'space', name }, sdk: 'static',
      files: [{ path: 'README.md', content: new Blob([card(tags)]) }, { path: 'index.html', content: new Blob(['<p>hi</p>']) }] });
    // Tags come from the card, which the build records.
    await waitStage(server, name, 'RUNNING', { token: o === opts ? token : bobToken });
  };
  await make(opts, 'alice/vision-one', ['vision', 'demo']);
  await make(opts, 'alice/vision-two', ['vision']);
  await make(bobOpts, 'bob/vision-bob', ['vision']);
  await hub.createRepo({ ...opts, repo: { type: 'space', name: 'alice/untagged' }, sdk: 'static' });

  const names = async (params) => {
    const out = [];
    for await (const s of hub.listSpaces({ ...opts, ...params })) out.push(s);
    return out;
  };
  const ids = async (params) => (await names(params)).map((s) => s.name);
  assert.deepEqual((await ids({ search: { tags: ['vision'] } })).sort(),
    ['alice/vision-one', 'alice/vision-two', 'bob/vision-bob']);
  assert.deepEqual((await ids({ search: { owner: 'alice', tags: ['vision'] } })).sort(), ['alice/vision-one', 'alice/vision-two']);
  assert.deepEqual(await ids({ search: { tags: ['demo', 'vision'] } }), ['alice/vision-one']);
  assert.deepEqual(await ids({ search: { tags: ['static', 'demo'] } }), ['alice/vision-one']);  // the sdk is a tag
  assert.deepEqual(await ids({ search: { query: 'two' } }), ['alice/vision-two']);
  assert.deepEqual(await ids({ search: { owner: 'bob' } }), ['bob/vision-bob']);

  const liked = await api(server, 'POST', '/api/spaces/alice/vision-two/like', { token: bobToken });
  assert.equal(liked.status, 200, liked.text);
  assert.deepEqual((await ids({ search: { owner: 'alice' }, sort: 'likes' }))[0], 'alice/vision-two');
  const newest = (await ids({ search: { owner: 'alice' }, sort: 'createdAt' })).filter((n) => n !== 'alice/refuse');
  assert.deepEqual(newest, ['alice/untagged', 'alice/vision-two', 'alice/vision-one']);

  const [entry] = await names({ search: { query: 'vision-one' }, additionalFields: ['tags', 'cardData', 'runtime', 'models', 'author'] });
  assert.equal(entry.name, 'alice/vision-one');
  assert.equal(entry.sdk, 'static');
  assert.deepEqual(entry.tags, ['static', 'vision', 'demo']);
  assert.deepEqual(entry.cardData.tags, ['vision', 'demo']);
  assert.deepEqual(entry.models, ['m/one']);
  assert.equal(entry.author, 'alice');
  assert.equal(entry.runtime.stage, 'RUNNING');

  const info = await hub.spaceInfo({ ...opts, name: 'alice/vision-two',
    additionalFields: ['likes', 'cardData', 'tags', 'runtime', 'subdomain', 'createdAt', 'siblings'] });
  assert.equal(info.likes, 1);
  assert.deepEqual(info.cardData.tags, ['vision']);
  assert.equal(info.subdomain, 'alice-vision-two');
  assert.equal(info.runtime.stage, 'RUNNING');
  assert.ok(!Number.isNaN(Date.parse(info.createdAt)));
  assert.deepEqual(info.siblings.map((s) => s.rfilename).sort(), ['README.md', 'index.html']);
  await assert.rejects(hub.spaceInfo({ ...opts, name: 'alice/vision-two', additionalFields: ['gitalyUid'] }), /expand/);

  // Link-header pagination, as the client follows it, with the query kept.
  let url = `${server.url}/api/spaces?limit=1&filter=vision&expand[]=likes`;
  const pages = [];
  while (url) {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const page = await res.json();
    pages.push(...page.map((s) => s.id));
    for (const s of page) assert.deepEqual(Object.keys(s).sort(), ['_id', 'id', 'likes']);
    const link = res.headers.get('link');
    url = link ? link.match(/<([^>]+)>;\s*rel="next"/)[1] : undefined;
    assert.ok(pages.length <= 4, 'pagination does not end');
  }
  assert.deepEqual(pages.sort(), ['alice/vision-one', 'alice/vision-two', 'bob/vision-bob']);
});

test('collections: create, add Spaces, list with the owner and item filters across pages, delete', async () => {
  const opts = { accessToken: hfToken, hubUrl: server.url };
  const { slug } = await hub.createCollection({ ...opts, collection: { title: 'Vision picks', namespace: 'alice', description: 'Two demos' } });
  assert.match(slug, /^alice\/vision-picks-[0-9a-f]{24}$/);
  const second = await hub.createCollection({ ...opts, collection: { title: 'Drafts', namespace: 'alice', private: true } });
  await assert.rejects(hub.createCollection({ ...opts, collection: { title: 'vision PICKS', namespace: 'alice' } }), /already/);

  // Items through the API (this client version has no item calls).
  for (const id of ['alice/vision-one', 'alice/vision-two']) {
    const r = await api(server, 'POST', `/api/collections/${slug}/items`, { token, body: { item: { type: 'space', id }, note: `see ${id}` } });
    assert.equal(r.status, 200, r.text);
  }
  const mine = [];
  for await (const c of hub.listCollections({ ...opts, search: { owner: ['alice'] }, limit: 10 })) mine.push(c);
  assert.deepEqual(mine.map((c) => c.title).sort(), ['Drafts', 'Vision picks']);
  const picks = mine.find((c) => c.slug === slug);
  assert.equal(picks.owner.name, 'alice');
  assert.deepEqual(picks.items.map((i) => [i.type, i.id, i.position, i.note.text]),
    [['space', 'alice/vision-one', 0, 'see alice/vision-one'], ['space', 'alice/vision-two', 1, 'see alice/vision-two']]);

  // Anonymous callers see the public one only, following Link pages of one.
  const publicOnes = [];
  const onePerPage = (url, init) => fetch(url.replace('limit=100', 'limit=1'), init);
  for await (const c of hub.listCollections({ hubUrl: server.url, search: { owner: ['alice'] }, fetch: onePerPage })) publicOnes.push(c.slug);
  assert.deepEqual(publicOnes, [slug]);
  const holding = [];
  for await (const c of hub.listCollections({ hubUrl: server.url, search: { item: ['spaces/alice/vision-two'] } })) holding.push(c.slug);
  assert.deepEqual(holding, [slug]);

  await hub.deleteCollection({ ...opts, slug: second.slug });
  assert.equal((await api(server, 'GET', `/api/collections/${second.slug}`, { token })).status, 404);
  await assert.rejects(hub.deleteCollection({ ...opts, slug: second.slug }));
});

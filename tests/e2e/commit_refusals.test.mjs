// Acceptance: bad input to the HF file API against the real server. Commit
// paths with '..', absolute paths, '.git/', NUL bytes; truncated or
// malformed NDJSON; LFS objects whose size or sha256 do not match; a token
// without write scope. Each is refused with a clear error, and after each
// attempt the repository's HEAD, file list and file contents are unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { startServer, addUser, api, createSpace } from './lib.mjs';

let server;
let token;
let readToken;  // alice's, read scope only

const b64 = (s) => Buffer.from(s).toString('base64');
const line = (key, value) => JSON.stringify({ key, value });
const header = line('header', { summary: 'attempt' });
const file = (p, content) => line('file', { path: p, content: b64(content), encoding: 'base64' });

// A read-scope token for alice, written the way the store keeps tokens
// (sha256 of the token text); there is no command for extra tokens yet.
function addReadToken(dataDir, user) {
  const t = 'sp_' + crypto.randomBytes(20).toString('hex');
  const hash = crypto.createHash('sha256').update(t).digest('hex');
  const script = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
uid = db.execute("SELECT id FROM users WHERE name = ?", (sys.argv[2],)).fetchone()[0]
db.execute("INSERT INTO tokens (user_id, name, scope, token_hash, created_at) VALUES (?, 'ro', 'read', ?, ?)",
           (uid, sys.argv[3], int(time.time() * 1000)))
db.commit()
`;
  execFileSync('python3', ['-c', script, path.join(dataDir, 'spaceport.db'), user, hash]);
  return t;
}

before(async () => {
  server = await startServer();
  token = addUser(server.dataDir, 'alice');
  readToken = addReadToken(server.dataDir, 'alice');
  await createSpace(server, token, 'alice', 'r', 'static', {
    files: [{ path: 'index.html', content: '<p>v1</p>', encoding: 'utf-8' }, { path: 'dir/a.txt', content: 'a', encoding: 'utf-8' }],
  });
});
after(async () => { await server?.stop(); });

// HEAD, the recursive file list with blob ids, and one file's bytes.
async function snapshot() {
  const rev = await api(server, 'GET', '/api/spaces/alice/r/revision/main', { token });
  const tree = await api(server, 'GET', '/api/spaces/alice/r/tree/main?recursive=true', { token });
  const page = await fetch(`${server.url}/spaces/alice/r/resolve/main/index.html`);
  return {
    head: rev.json.sha,
    files: tree.json.map((e) => `${e.type} ${e.path} ${e.oid}`).sort(),
    index: await page.text(),
  };
}

async function commit(body, { tok = token } = {}) {
  const res = await fetch(`${server.url}/api/spaces/alice/r/commit/main`, {
    method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/x-ndjson' }, body,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

async function refused(what, attempt, status, pattern) {
  const before = await snapshot();
  const r = await attempt();
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  const message = r.json?.error ?? r.json?.message;
  assert.ok(typeof message === 'string' && message.length > 0, `${what}: no clear error in ${r.text}`);
  if (pattern) assert.match(message, pattern, what);
  assert.deepEqual(await snapshot(), before, `${what}: the repository changed`);
}

test('a good commit goes through (the control case)', async () => {
  const before = await snapshot();
  const r = await commit([header, file('ok.txt', 'fine')].join('\n'));
  assert.equal(r.status, 200, r.text);
  const after = await snapshot();
  assert.notEqual(after.head, before.head);
  assert.ok(after.files.some((f) => f.includes(' ok.txt ')));
});

test('hostile paths are refused', async () => {
  const paths = ['../evil', 'dir/../../evil', '/etc/passwd', '.git/config', 'dir/.git/hooks/pre-receive', '.GIT/x',
    'a\u0000b', 'dir\\x', 'a/./b', '',
    // names git itself reads as .git (and would skip, storing nothing)
    '.git /config', '.git./config', 'git~1/config', 'GIT~1/x', '.g\u200cit/config'];
  for (const p of paths) {
    await refused(`file ${JSON.stringify(p)}`, () => commit([header, file(p, 'x')].join('\n')), 400);
    await refused(`deletedFile ${JSON.stringify(p)}`, () => commit([header, line('deletedFile', { path: p })].join('\n')), 400);
  }
});

test('a file and a folder of the same name in one commit are refused, not half stored', async () => {
  await refused('q and q/r', () => commit([header, file('q', 'file'), file('q/r', 'in the folder')].join('\n')), 400, /'q'/);
  await refused('q/r and q', () => commit([header, file('q/r', 'in the folder'), file('q', 'file')].join('\n')), 400, /'q'/);
});

test('truncated and malformed NDJSON is refused', async () => {
  const full = [header, file('new.txt', 'x')].join('\n');
  const bodies = {
    truncated: full.slice(0, full.length - 10),
    'cut after the header': header.slice(0, 20),
    'not JSON': `${header}\n{this is not json}`,
    'no header': file('new.txt', 'x'),
    'header only': header,
    'unknown key': `${header}\n${line('rename', { path: 'x' })}`,
    'bad base64': `${header}\n${line('file', { path: 'new.txt', content: '***', encoding: 'base64' })}`,
    'value not an object': `${header}\n${JSON.stringify({ key: 'file', value: 'x' })}`,
    empty: '',
  };
  for (const [what, body] of Object.entries(bodies)) await refused(what, () => commit(body), 400);
});

test('LFS objects whose size or sha256 do not match are refused', async () => {
  const content = crypto.randomBytes(5000);
  const oid = crypto.createHash('sha256').update(content).digest('hex');
  const put = (id, body) => fetch(`${server.url}/spaces/alice/r.git/info/lfs/objects/${id}`, {
    method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' }, body,
  }).then(async (res) => { const text = await res.text(); return { status: res.status, text, json: JSON.parse(text) }; });

  // Bytes whose sha256 is not the oid.
  const wrongOid = crypto.createHash('sha256').update('something else').digest('hex');
  await refused('PUT with the wrong sha256', () => put(wrongOid, content), 422, /sha256|hash|match/i);
  // A link signed for one size, used for other bytes.
  const batch = await fetch(`${server.url}/spaces/alice/r.git/info/lfs/objects/batch`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.git-lfs+json' },
    body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid, size: content.length }] }),
  }).then((r) => r.json());
  const href = batch.objects[0].actions.upload.href;
  await refused('PUT with the wrong size', async () => {
    const res = await fetch(href, { method: 'PUT', body: content.subarray(0, 4000) });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) };
  }, 422);
  const got = await fetch(`${server.url}/spaces/alice/r.git/info/lfs/objects/${oid}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(got.status, 404, 'nothing kept from the refused uploads');

  // A commit naming an object that was never stored, or with another size.
  await refused('lfsFile never uploaded', () => commit([header, line('lfsFile', { path: 'w.bin', algo: 'sha256', oid, size: content.length })].join('\n')), 400);
  assert.equal((await put(oid, content)).status, 200);
  await refused('lfsFile with another size', () => commit([header, line('lfsFile', { path: 'w.bin', algo: 'sha256', oid, size: 4999 })].join('\n')), 400);
  await refused('lfsFile with a bad oid', () => commit([header, line('lfsFile', { path: 'w.bin', algo: 'sha256', oid: 'xyz', size: 1 })].join('\n')), 400);
  const verify = await fetch(`${server.url}/spaces/alice/r.git/info/lfs/verify`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.git-lfs+json' },
    body: JSON.stringify({ oid, size: 1 }),
  });
  assert.equal(verify.status, 422);
});

test('a token without write scope is refused everywhere, reading still works', async () => {
  const who = await api(server, 'GET', '/api/whoami-v2', { token: readToken });
  assert.equal(who.json.auth.accessToken.role, 'read');
  await refused('commit with a read token', () => commit([header, file('x.txt', 'x')].join('\n'), { tok: readToken }), 403, /read-only|write/);
  await refused('LFS batch upload with a read token', async () => {
    const res = await fetch(`${server.url}/spaces/alice/r.git/info/lfs/objects/batch`, {
      method: 'POST', headers: { Authorization: `Bearer ${readToken}`, 'Content-Type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'upload', objects: [{ oid: 'a'.repeat(64), size: 1 }] }),
    });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) };
  }, 403);
  await refused('move with a read token', () => api(server, 'POST', '/api/repos/move',
    { token: readToken, body: { fromRepo: 'alice/r', toRepo: 'alice/r2', type: 'space' } }), 403);
  await refused('delete with a read token', () => api(server, 'DELETE', '/api/repos/delete',
    { token: readToken, body: { type: 'space', name: 'alice/r' } }), 403);
  const tree = await api(server, 'GET', '/api/spaces/alice/r/tree/main', { token: readToken });
  assert.equal(tree.status, 200);
});

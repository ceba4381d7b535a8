// Two Spaceport nodes on one PostgreSQL store and one data dir (the shared
// file system of a real deployment): the node holding the runtime lease
// runs the apps; the other forwards app requests to it and hands it pushes.
// A Space pushed through node B is served through both; made private on A,
// strangers get 404 on B at once; a token revoked on B stops working at A's
// edge within a second; kill -9 of the runtime node moves the runtime to B
// and its Spaces serve again on their next request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  startServer, addUser, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, api, pythonApp, pgDatabase,
  sleep, standardWebhookKey, fundWallet, METERED_COUNTING_APP, countingCard,
} from './lib.mjs';

// Polls `check` until it holds; how long that took (ms), or fails after `ms`.
async function within(ms, check, what) {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

test('two nodes: one runs the apps, both serve them; changes reach the other within a second; kill -9 moves the runtime', async () => {
  const store = pgDatabase('nodes');
  const a = await startServer({ args: ['--store', store, '--node-id', 'a'] });
  const b = await startServer({ dataDir: a.dataDir, args: ['--store', store, '--node-id', 'b'] });
  try {
    const token = addUser(a.dataDir, 'nina', ['--store', store]);
    const other = addUser(a.dataDir, 'otto', ['--store', store]);
    assert.match(a.output(), /this node runs the apps/);
    await within(5000, () => /apps run on node a/.test(b.output()), 'node b routing to node a');

    // Created and pushed through the front node; built and run by node a.
    await createSpace(b, token, 'nina', 'echo', 'process');
    await api(b, 'POST', '/api/spaces/nina/echo/secrets', { token, body: { key: 'MY_SECRET', value: 'shared' } });
    const dir = gitRepo(pythonApp());
    assert.equal(gitPush(b, dir, 'nina/echo', 'nina', token).code, 0);
    await waitStage(b, 'nina/echo', 'RUNNING', { token, sha: headSha(dir) });
    for (const node of [a, b]) {
      const r = await hostRequest(node.port, 'nina-echo.localhost', '/');
      assert.equal(r.status, 200, r.text);
      assert.equal(JSON.parse(r.text).secret, 'shared');
    }

    // Private on a: a stranger on b gets 404 at once; the owner's token passes.
    assert.equal((await api(a, 'PUT', '/api/spaces/nina/echo/settings', { token, body: { private: true } })).status, 200);
    const hidden = await within(1000, async () => (await hostRequest(b.port, 'nina-echo.localhost', '/')).status === 404,
      'a stranger shut out on node b');
    const asOwner = { headers: { Authorization: `Bearer ${token}` } };
    assert.equal((await hostRequest(b.port, 'nina-echo.localhost', '/', asOwner)).status, 200);
    assert.equal((await hostRequest(a.port, 'nina-echo.localhost', '/', asOwner)).status, 200);  // a's edge remembers the token

    // The token revoked on b: a's edge forgets it within a second.
    const kept = (await api(b, 'POST', '/api/settings/tokens', { token, body: { name: 'kept', role: 'read' } })).json;
    assert.ok(kept?.token, 'a second token');
    const tokens = (await api(b, 'GET', '/api/settings/tokens', { token })).json;
    const id = tokens.find((t) => t.name !== 'kept').id;
    const revoked = Date.now();
    assert.equal((await api(b, 'DELETE', `/api/settings/tokens/${id}`, { token })).status, 200);
    await within(1000, async () => (await hostRequest(a.port, 'nina-echo.localhost', '/', asOwner)).status === 401,
      'the revoked token refused at node a');
    const tookRevoke = Date.now() - revoked;

    // kill -9 of the runtime node: b takes the lease and runs the Space again.
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    const moved = await within(20000, () => /this node runs the apps/.test(b.output()), 'the runtime lease moving to b');
    const served = await within(60000, async () => {
      const r = await hostRequest(b.port, 'nina-echo.localhost', '/', { headers: { Authorization: `Bearer ${kept.token}` } });
      return r.status === 200 && JSON.parse(r.text).secret === 'shared';
    }, 'the Space serving again on node b');
    // b's own edge decides now: a stranger still gets 404.
    const otto = await hostRequest(b.port, 'nina-echo.localhost', '/', { headers: { Authorization: `Bearer ${other}` } });
    assert.equal(otto.status, 404);
    console.log(`# private on b after ${hidden} ms; revoked token refused at a after ${tookRevoke} ms;` +
      ` lease moved after ${moved} ms, serving again on b ${served} ms later`);
  } finally {
    await b.stop();
    await a.stop();
  }
});

const PRICE = 1000;

// Requests through `port` as fast as one keep-alive connection goes, until
// `stop()`: [received, charged].
async function meteredClient(port, host, token, stop) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let received = 0, charged = 0;
  while (!stop()) {
    const r = await new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', agent,
        headers: { Host: host, Authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res));
        res.on('error', () => resolve(null));
      });
      req.on('error', () => resolve(null));
      req.end();
    });
    if (r === null) break;
    received++;
    if (r.headers['x-spaceport-charged'] !== undefined) {
      assert.equal(r.headers['x-spaceport-charged'], String(PRICE));
      charged++;
    }
  }
  agent.destroy();
  return [received, charged];
}

test('two nodes: money through both balances, and kill -9 of the runtime node loses no charge', async () => {
  const webhook = standardWebhookKey();
  const store = pgDatabase('money');
  const a = await startServer({ args: ['--store', store, '--node-id', 'a', ...webhook.args] });
  const b = await startServer({ dataDir: a.dataDir, args: ['--store', store, '--node-id', 'b', ...webhook.args] });
  try {
    const owner = addUser(a.dataDir, 'cara', ['--store', store]);
    const payer = addUser(a.dataDir, 'paul', ['--store', store]);
    const admin = addUser(a.dataDir, 'ada', ['--store', store, '--admin']);
    await within(5000, () => /apps run on node a/.test(b.output()), 'node b routing to node a');
    await createSpace(b, owner, 'cara', 'meter', 'process');
    assert.equal(gitPush(b, gitRepo({ 'README.md': countingCard('Meter', PRICE), 'app.py': METERED_COUNTING_APP }), 'cara/meter', 'cara', owner).code, 0);
    await waitStage(b, 'cara/meter', 'RUNNING', { token: owner });
    // Funded through the front node: the webhook reaches the wallets on node a.
    await fundWallet(b, webhook.key, 'paul', 50000000, 'two-nodes-1');
    assert.equal((await api(a, 'GET', '/api/billing/wallet', { token: payer })).json.balance, 50000000);
    assert.equal((await api(b, 'GET', '/api/billing/wallet', { token: payer })).json.balance, 50000000);

    // Metered requests through both nodes at once, then node a killed mid-load.
    let stopped = false;
    const host = 'cara-meter.localhost';
    const clients = [a, a, b, b].map((n) => meteredClient(n.port, host, payer, () => stopped));
    await sleep(1500);
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    await sleep(200);
    stopped = true;
    const results = await Promise.all(clients);
    const charged = results.reduce((sum, [, c]) => sum + c, 0);
    assert.ok(charged > 20, `only ${charged} charged responses before the kill`);

    // Node b takes the runtime and the wallets over: every charge a client
    // saw is in the ledger, and every account balances.
    await within(20000, () => /this node runs the apps/.test(b.output()), 'the runtime moving to node b');
    await within(20000, () => /replayed the ledger journal ledger-journal-a/.test(b.output()), 'node a\'s journal replayed');
    const audit = await api(b, 'GET', '/api/billing/audit', { token: admin });
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.json.sum, 0, JSON.stringify(audit.json));
    assert.deepEqual(audit.json.negativeWallets, []);
    assert.equal(audit.json.balancesMatchTransfers, true);
    const charges = audit.json.byKind.charge?.count ?? 0;
    assert.equal(audit.json.byKind.fee?.count ?? 0, charges);
    assert.ok(charges >= charged, `${charged} responses said charged, the ledger holds ${charges}`);
    const answered = Number((await hostRequest(b.port, host, '/count', { headers: { Authorization: `Bearer ${owner}` } })).text);
    assert.ok(charges <= answered, `${charges} charges for ${answered} answers`);
    const throughB = results[2][1] + results[3][1];
    assert.ok(throughB > 0, 'no charged answer came through the front node');
    const wallet = await api(b, 'GET', '/api/billing/wallet', { token: payer });
    assert.equal(wallet.json.balance, 50000000 - charges * PRICE);
    console.log(`# charged responses ${charged} (${throughB} through node b), ledger charges ${charges},` +
      ` app answered ${answered}`);
  } finally {
    await b.stop();
    await a.stop();
  }
});

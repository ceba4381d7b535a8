// Money under a crash (docs/billing.md): concurrent charged requests, the
// server killed with SIGKILL in the middle, restarted. Then every account
// still balances (the sum is zero, no wallet is negative, cached balances
// equal the transfers' sums), every response a client received with
// X-Spaceport-Charged is in the ledger, and the ledger never charged more
// requests than the app answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, waitStage, hostRequest, sleep, standardWebhookKey, fundWallet, METERED_COUNTING_APP, countingCard } from './lib.mjs';

const PRICE = 1000;

test('kill -9 during metered load loses no charge and invents none', async () => {
  const webhook = standardWebhookKey();
  const args = webhook.args;
  let server = await startServer({ args });
  try {
    const owner = addUser(server.dataDir, 'crasher');
    const payer = addUser(server.dataDir, 'spender');
    const admin = addUser(server.dataDir, 'auditor', ['--admin']);
    await createSpace(server, owner, 'crasher', 'meter', 'process');
    assert.equal(gitPush(server, gitRepo({ 'README.md': countingCard('Crash', PRICE), 'app.py': METERED_COUNTING_APP }), 'crasher/meter', 'crasher', owner).code, 0);
    await waitStage(server, 'crasher/meter', 'RUNNING', { token: owner });
    await fundWallet(server, webhook.key, 'spender', 100000000, 'm1');

    // Eight clients, one keep-alive connection each, as fast as they can.
    let stop = false;
    let received = 0;
    let charged = 0;
    const port = server.port;
    const client = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        const r = await new Promise((resolve) => {
          const req = http.request({ host: '127.0.0.1', port, path: '/', agent,
            headers: { Host: 'crasher-meter.localhost', Authorization: `Bearer ${payer}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res));
            res.on('error', () => resolve(null));
          });
          req.on('error', () => resolve(null));
          req.end();
        });
        if (r === null) break;  // the server is gone
        received++;
        if (r.headers['x-spaceport-charged'] !== undefined) {
          assert.equal(r.headers['x-spaceport-charged'], String(PRICE));
          charged++;
        }
      }
      agent.destroy();
    };
    const clients = Array.from({ length: 8 }, client);
    await sleep(1500);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    stop = true;
    await Promise.all(clients);
    assert.ok(charged > 20, `only ${charged} charged responses before the kill`);

    server = await startServer({ dataDir: server.dataDir, args });
    await waitStage(server, 'crasher/meter', 'RUNNING', { token: owner });
    const audit = await api(server, 'GET', '/api/billing/audit', { token: admin });
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.json.sum, 0, JSON.stringify(audit.json));
    assert.deepEqual(audit.json.negativeWallets, []);
    assert.equal(audit.json.balancesMatchTransfers, true);
    assert.equal(audit.json.openHolds, 0);
    // Each charge is one net and one fee transfer (ids are unique by the table's key).
    const charges = audit.json.byKind.charge?.count ?? 0;
    assert.equal(audit.json.byKind.fee?.count ?? 0, charges);
    assert.ok(charges >= charged, `${charged} responses said charged, the ledger holds ${charges}`);
    const answered = Number((await hostRequest(server.port, 'crasher-meter.localhost', '/count',
      { headers: { Authorization: `Bearer ${owner}` } })).text);
    assert.ok(charges <= answered, `${charges} charges for ${answered} answers`);
    const wallet = await api(server, 'GET', '/api/billing/wallet', { token: payer });
    assert.equal(wallet.json.balance, 100000000 - charges * PRICE);
    console.log(`# received ${received}, charged responses ${charged}, ledger charges ${charges}, app answered ${answered}`);
  } finally {
    await server.stop();
  }
});

// Charging at the edge (docs/billing.md), through the real server: a priced
// Space gives an anonymous visitor its free requests, then 402 with a
// sign-in link; a visitor funded by a signed webhook is charged exactly the
// price, the app's X-Spaceport-Cost capped at the route's max, nothing for a
// 5xx; the creator's earnings plus the platform's fee equal what was paid;
// the owner is never charged; a plan's route opens to its subscribers; a
// rate limit answers 429 with Retry-After and the RateLimit headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, addUser, api, createSpace, gitRepo, gitPush, waitStage, hostRequest, standardWebhookKey, fundWallet } from './lib.mjs';

const APP = `
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        if self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            import base64, hashlib
            key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
            self.end_headers()
            for _ in range(3):
                self.wfile.write(b"\\x81\\x02hi")  # three text frames on one charged upgrade
            self.wfile.flush()
            self.close_connection = True
            return
        status, extra = 200, {}
        if self.path.startswith("/run/cost/"):
            extra["X-Spaceport-Cost"] = self.path.rsplit("/", 1)[1]
        if self.path == "/fail":
            status = 500
        if self.path == "/forge":
            extra["X-Spaceport-Charged"] = "999"
            extra["X_Spaceport_Balance"] = "1"
        body = json.dumps({"path": self.path, "plan": self.headers.get("X-Spaceport-Plan"),
                           "user": self.headers.get("X-Spaceport-User"),
                           "identity": self.headers.get("X-Spaceport-Identity")}).encode()
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = answer
    do_POST = answer
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

const CARD = `---
title: Paid
sdk: process
app_command: /usr/bin/python3 app.py
spaceport:
  pricing:
    per_request: 2000
    free_requests: 2
    routes:
      - match: "/run/**"
        price: 10000
        max: 50000
      - match: "/limited"
        price: 0
      - match: "/premium/**"
        plan: pro
    plans:
      pro:
        price: 5000000
---
`;

// A WebSocket upgrade through the edge: the 101's headers and what the app
// sent on the socket until it closed.
function upgrade(port, host, p, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers: { Host: host, Connection: 'Upgrade',
      Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
    req.on('upgrade', (res, socket, head) => {
      let data = head.toString('latin1');
      socket.on('data', (d) => { data += d.toString('latin1'); });
      socket.on('close', () => resolve({ status: res.statusCode, headers: res.headers, data }));
    });
    req.on('response', (res) => resolve({ status: res.statusCode, headers: res.headers, data: '' }));
    req.on('error', reject);
    req.end();
  });
}

test('a priced Space charges at the edge, exactly, and only for answers', async () => {
  const webhook = standardWebhookKey();
  const server = await startServer({ args: [...webhook.args, '--platform-fee-percent', '10'] });
  const fund = (user, amount, id) => fundWallet(server, webhook.key, user, amount, id);
  try {
    const owner = addUser(server.dataDir, 'maker');
    const payer = addUser(server.dataDir, 'payer');
    await createSpace(server, owner, 'maker', 'paid', 'process');
    const dir = gitRepo({ 'README.md': CARD, 'app.py': APP });
    assert.equal(gitPush(server, dir, 'maker/paid', 'maker', owner).code, 0);
    await waitStage(server, 'maker/paid', 'RUNNING', { token: owner });
    const host = 'maker-paid.localhost';
    const get = (p, headers = {}, method = 'GET') => hostRequest(server.port, host, p, { method, headers });
    const auth = (token) => ({ Authorization: `Bearer ${token}` });

    const pricing = await api(server, 'GET', '/api/spaces/maker/paid/pricing');
    assert.equal(pricing.json.perRequest, 2000);

    // Anonymous: two free requests, then 402 with a way to sign in.
    assert.equal((await get('/')).status, 200);
    const second = await get('/');
    assert.equal(second.status, 200);
    assert.equal(JSON.parse(second.text).plan, 'free');
    const third = await get('/');
    assert.equal(third.status, 402);
    const refusal = JSON.parse(third.text);
    assert.match(refusal.signin_url, /\/login\?next=/);
    assert.equal(refusal.price, 2000);
    const html = await get('/', { Accept: 'text/html' });
    assert.equal(html.status, 402);
    assert.match(html.text, /Sign in/);

    // Signed in with an empty wallet: the free requests, then 402 naming the balance.
    assert.equal((await get('/', auth(payer))).status, 200);
    assert.equal((await get('/', auth(payer))).status, 200);
    const broke = await get('/', auth(payer));
    assert.equal(broke.status, 402);
    assert.equal(JSON.parse(broke.text).balance, 0);

    // Funded: charged exactly the price, told so in headers.
    await fund('payer', 1000000, 'msg_fund_1');
    const paid = await get('/', auth(payer));
    assert.equal(paid.status, 200, paid.text);
    assert.equal(paid.headers['x-spaceport-charged'], '2000');
    assert.equal(paid.headers['x-spaceport-balance'], '998000');
    // The app reports its cost: charged, capped at the route's max, never shown to the client.
    const reported = await get('/run/cost/12345', auth(payer), 'POST');
    assert.equal(reported.headers['x-spaceport-charged'], '12345');
    assert.equal(reported.headers['x-spaceport-cost'], undefined);
    const capped = await get('/run/cost/999999', auth(payer), 'POST');
    assert.equal(capped.headers['x-spaceport-charged'], '50000');
    const plain = await get('/run/x', auth(payer), 'POST');
    assert.equal(plain.headers['x-spaceport-charged'], '10000');
    // A 5xx is not charged.
    const failed = await get('/fail', auth(payer));
    assert.equal(failed.status, 500);
    assert.equal(failed.headers['x-spaceport-charged'], undefined);
    // A WebSocket is charged once, when the upgrade is answered, whatever flows after.
    const ws = await upgrade(server.port, host, '/ws', auth(payer));
    assert.equal(ws.status, 101);
    assert.equal(ws.headers['x-spaceport-charged'], '2000');
    assert.equal(ws.headers['x-spaceport-balance'], String(1000000 - 2000 - 12345 - 50000 - 10000 - 2000));
    assert.equal(ws.data, '\x81\x02hi'.repeat(3));
    const wallet = await api(server, 'GET', '/api/billing/wallet', { token: payer });
    const spent = 2000 + 12345 + 50000 + 10000 + 2000;
    assert.equal(wallet.json.balance, 1000000 - spent);
    assert.equal(wallet.json.held, 0);

    // The owner is never charged, and a plan route is for subscribers.
    const mine = await get('/run/x', auth(owner), 'POST');
    assert.equal(mine.status, 200);
    assert.equal(mine.headers['x-spaceport-charged'], undefined);
    assert.equal(JSON.parse(mine.text).plan, 'owner');
    // An app cannot tell a client it was charged: only the edge can.
    const forged = await get('/forge', auth(owner));
    assert.equal(forged.status, 200);
    assert.equal(forged.headers['x-spaceport-charged'], undefined);
    assert.equal(forged.headers['x_spaceport_balance'], undefined);
    const premium = await get('/premium/x', auth(payer));
    assert.equal(premium.status, 402);
    assert.equal(JSON.parse(premium.text).plan, 'pro');
    assert.equal((await get('/premium/x', auth(owner))).status, 200);

    // Every charge is in the ledger: the payer's transfers sum to what was spent,
    // and earnings plus the fee equal it.
    const tx = await api(server, 'GET', '/api/billing/transactions?limit=200', { token: payer });
    const out = tx.json.filter((t) => t.amount < 0).reduce((s, t) => s - t.amount, 0);
    assert.equal(out, spent);
    const fees = tx.json.filter((t) => t.kind === 'fee').reduce((s, t) => s - t.amount, 0);
    const earned = tx.json.filter((t) => t.kind === 'charge').reduce((s, t) => s - t.amount, 0);
    assert.equal(fees + earned, spent);
    assert.equal(fees, [2000, 12345, 50000, 10000, 2000].reduce((s, c) => s + Math.floor(c / 10), 0));

    // A plan bought from the wallet unlocks the plan's route; the app is told the plan.
    await fund('payer', 10000000, 'msg_fund_2');
    const bought = await api(server, 'POST', '/api/spaces/maker/paid/subscription', { token: payer, body: { plan: 'pro' } });
    assert.equal(bought.status, 200, bought.text);
    const unlocked = await get('/premium/x', auth(payer));
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.equal(JSON.parse(unlocked.text).plan, 'pro');
    const claims = JSON.parse(Buffer.from(JSON.parse(unlocked.text).identity.split('.')[1], 'base64url').toString());
    assert.equal(claims.plan, 'pro');
    assert.equal(claims.preferred_username, 'payer');
    assert.equal(unlocked.headers['x-spaceport-charged'], '2000');  // the plan includes no requests here

    // A rate limit: 429 with Retry-After and the RateLimit headers.
    await createSpace(server, owner, 'maker', 'limited', 'process');
    const limitedCard = '---\ntitle: Limited\nsdk: process\napp_command: /usr/bin/python3 app.py\nspaceport:\n' +
      '  pricing:\n    rate_limit: 3/min\n---\n';
    assert.equal(gitPush(server, gitRepo({ 'README.md': limitedCard, 'app.py': APP }), 'maker/limited', 'maker', owner).code, 0);
    await waitStage(server, 'maker/limited', 'RUNNING', { token: owner });
    const lim = () => hostRequest(server.port, 'maker-limited.localhost', '/');
    for (let i = 0; i < 3; i++) assert.equal((await lim()).status, 200);
    const limited = await lim();
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1, JSON.stringify(limited.headers));
    assert.equal(limited.headers['ratelimit-policy'], '3;w=60');
    assert.match(limited.headers.ratelimit, /^limit=3, remaining=0, reset=\d+$/);

    // A static Space is metered the same way: its files are charged before they are sent.
    await createSpace(server, owner, 'maker', 'pages', 'static');
    const staticCard = '---\ntitle: Pages\nsdk: static\nspaceport:\n  pricing:\n    per_request: 3000\n' +
      '    free_requests: 1\n---\n';
    assert.equal(gitPush(server, gitRepo({ 'README.md': staticCard, 'index.html': 'paid page' }), 'maker/pages', 'maker', owner).code, 0);
    await waitStage(server, 'maker/pages', 'RUNNING', { token: owner });
    const page = (headers = {}, p = '/') => hostRequest(server.port, 'maker-pages.localhost', p, { headers });
    const free = await page();
    assert.equal(free.status, 200);
    assert.equal(free.text, 'paid page');
    assert.equal(free.headers['x-spaceport-charged'], undefined);
    assert.equal((await page()).status, 402);  // anonymous, past the free request
    const before = (await api(server, 'GET', '/api/billing/wallet', { token: payer })).json.balance;
    await page(auth(payer));  // the payer's own free request
    const charged = await page(auth(payer));
    assert.equal(charged.status, 200);
    assert.equal(charged.text, 'paid page');
    assert.equal(charged.headers['x-spaceport-charged'], '3000');
    assert.equal(charged.headers['x-spaceport-balance'], String(before - 3000));
    const missing = await page(auth(payer), '/nope.html');  // a 404 is an answer too: charged
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-spaceport-charged'], '3000');
    assert.equal((await api(server, 'GET', '/api/billing/wallet', { token: payer })).json.balance, before - 6000);
  } finally {
    await server.stop();
  }
});

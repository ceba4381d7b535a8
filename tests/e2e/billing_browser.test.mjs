// Billing in headless Chromium (issue 11, acceptance 4), against the real
// binary: a visitor signs in, adds credits through Stripe Checkout, uses the
// priced app in the Space page's frame, sees the charges and the new balance,
// subscribes to a plan and cancels it; the creator sees the revenue chart.
// Around it, through the API and the CLI: usage per day, checkout refusals,
// payouts by a Connect transfer.
//
// TEST DOUBLE: Stripe's API and its hosted payment page cannot run here, so
// the test starts a stand-in for them (`stripeStandIn` below). It answers
// POST /v1/checkout/sessions and /v1/transfers as Stripe's API does (form
// bodies, Bearer key, Idempotency-Key), serves a payment page, and on "Pay"
// sends the signed checkout.session.completed webhook to the server and
// redirects to the success URL, as Stripe does. Everything else is real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { execFile, execFileSync } from 'node:child_process';
import { BIN, startServer, addUser, api, createSpace, gitRepo, gitPush, waitStage, tempDir,
  launchChromium } from './lib.mjs';

const STRIPE_KEY = `sk_test_${crypto.randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${crypto.randomBytes(16).toString('hex')}`;

// The app: a page whose button calls the priced route and shows what the
// edge said (same origin, so the X-Spaceport-* headers are readable).
const APP = `
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
PAGE = b"""<!doctype html><title>paid app</title><button id="run">Run</button><p id="out">idle</p>
<script>
let n = 0;
document.getElementById('run').onclick = async () => {
  const r = await fetch('/run/go', { method: 'POST' });
  n += 1;
  document.getElementById('out').textContent =
    'run ' + n + ' status=' + r.status + ' charged=' + r.headers.get('x-spaceport-charged') +
    ' balance=' + r.headers.get('x-spaceport-balance');
};
</script>"""
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply(PAGE, "text/html")
    def do_POST(self):
        self.reply(b"done", "text/plain")
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

const CARD = `---
title: Paid in the browser
sdk: process
app_command: /usr/bin/python3 app.py
spaceport:
  pricing:
    per_request: 250000
    routes:
      - match: "GET /**"
        price: 0
      - match: "POST /run/**"
        price: 1000000
    plans:
      pro:
        title: Pro
        price: 2000000
---
`;

// The Stripe stand-in (see the header): sessions, the payment page, transfers.
function stripeStandIn(getHubUrl) {
  const sessions = new Map();
  const calls = [];
  let n = 0;
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url, 'http://x');
    const json = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (req.url.startsWith('/v1/')) {
      calls.push({ path: url.pathname, form: new URLSearchParams(body), headers: req.headers });
      if (req.headers.authorization !== `Bearer ${STRIPE_KEY}`) return json(401, { error: { message: 'Invalid API Key provided' } });
      if (!req.headers['idempotency-key']) return json(400, { error: { message: 'no Idempotency-Key' } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      const form = new URLSearchParams(body);
      if (Number(form.get('line_items[0][price_data][unit_amount]')) < 50) {
        return json(400, { error: { message: 'The Checkout Session total must be at least 0.50 usd' } });
      }
      const id = `cs_test_${++n}`;
      sessions.set(id, form);
      const addr = server.address();
      return json(200, { id, object: 'checkout.session', url: `http://127.0.0.1:${addr.port}/pay/${id}` });
    }
    if (req.method === 'POST' && url.pathname === '/v1/transfers') {
      return json(200, { id: `tr_${++n}`, object: 'transfer', amount: Number(new URLSearchParams(body).get('amount')) });
    }
    const pay = url.pathname.match(/^\/pay\/(cs_test_\d+)$/);
    if (pay && sessions.has(pay[1])) {
      const form = sessions.get(pay[1]);
      const cents = Number(form.get('line_items[0][price_data][unit_amount]'));
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(`<!doctype html><title>Pay</title><p id="total">${(cents / 100).toFixed(2)} ${form.get('line_items[0][price_data][currency]')}</p>
          <form method="post"><button id="pay" type="submit">Pay</button></form>`);
      }
      // Paid: the signed webhook first (as Stripe sends it), then back to the site.
      const event = JSON.stringify({ id: `evt_${pay[1]}`, type: 'checkout.session.completed',
        data: { object: { id: pay[1], payment_status: 'paid', amount_total: cents,
          client_reference_id: form.get('client_reference_id') } } });
      const t = Math.floor(Date.now() / 1000);
      const sig = crypto.createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${event}`).digest('hex');
      const hook = await fetch(`${getHubUrl()}/api/billing/webhooks/stripe`, {
        method: 'POST', body: event, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${sig}` },
      });
      calls.push({ path: 'webhook', status: hook.status });
      res.writeHead(303, { location: form.get('success_url').replace('{CHECKOUT_SESSION_ID}', pay[1]) });
      return res.end();
    }
    res.writeHead(404);
    res.end();
  });
  return { server, calls, sessions };
}

let server, browser, stand;
const tokens = {};
const PASSWORD = 'correct horse battery staple';

function addUserWithPassword(name, extra = []) {
  const out = execFileSync(BIN, ['user', 'add', name, '--password', ...extra, '--data-dir', server.dataDir],
    { input: PASSWORD + '\n' });
  return out.toString().trim().split('\n').pop().trim();
}

async function signIn(name, next) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', name);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  assert.equal(new URL(page.url()).pathname, next);
  return { context, page };
}

// The CLI without blocking this process (the stand-in answers from it).
function cli(token, args) {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, SPACEPORT_URL: server.url, SPACEPORT_TOKEN: token,
      HOME: tempDir('sp-home-') } }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

const micros = async (page, selector) => Number(await page.getAttribute(selector, 'data-micros'));

before(async () => {
  stand = stripeStandIn(() => server.url);
  await new Promise((r) => stand.server.listen(0, '127.0.0.1', r));
  const secrets = tempDir('sp-stripe-');
  fs.writeFileSync(`${secrets}/key`, `${STRIPE_KEY}\n`);
  fs.writeFileSync(`${secrets}/webhook`, `${WEBHOOK_SECRET}\n`);
  server = await startServer({ args: ['--stripe-secret-key-file', `${secrets}/key`, '--stripe-webhook-secret-file',
    `${secrets}/webhook`, '--stripe-api-base', `http://127.0.0.1:${stand.server.address().port}`,
    '--platform-fee-percent', '10'] });
  tokens.maker = addUserWithPassword('maker');
  tokens.vera = addUserWithPassword('vera');
  tokens.ops = addUser(server.dataDir, 'ops', ['--admin']);
  await createSpace(server, tokens.maker, 'maker', 'paid', 'process');
  assert.equal(gitPush(server, gitRepo({ 'README.md': CARD, 'app.py': APP }), 'maker/paid', 'maker', tokens.maker).code, 0);
  await waitStage(server, 'maker/paid', 'RUNNING', { token: tokens.maker });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  stand?.server.close();
});

test('a visitor adds credits through Checkout, pays per request in the frame, subscribes; the creator sees revenue', async () => {
  const { page } = await signIn('vera', '/settings/billing');
  assert.equal(await micros(page, '#wallet-balance'), 0);
  assert.ok(await page.isVisible('#no-transactions'));

  // Add credits: Stripe's page (the stand-in), paid, back on the wallet page.
  await page.fill('#credit-amount', '5');
  await Promise.all([page.waitForURL(/\/pay\/cs_test_/), page.click('#add-credits')]);
  assert.equal(await page.textContent('#total'), '5.00 usd');
  await Promise.all([page.waitForURL(/\/settings\/billing\?checkout=done/), page.click('#pay')]);
  assert.ok(await page.isVisible('#checkout-done'));
  assert.equal(await micros(page, '#wallet-balance'), 5000000);
  const session = [...stand.sessions.values()][0];
  assert.match(session.get('client_reference_id'), /^\d+$/);  // the wallet the webhook credited: vera's
  assert.equal(session.get('line_items[0][price_data][unit_amount]'), '500');
  assert.equal(session.get('mode'), 'payment');

  // The Space page: prices, plans, the wallet; the app in the frame, signed in.
  await page.goto(`${server.url}/spaces/maker/paid`);
  assert.match(await page.textContent('#pricing'), /1 USD/);
  assert.ok(await page.isVisible('#subscribe-pro'));
  // The frame is anonymous until the visitor chooses to use the wallet.
  assert.doesNotMatch(await page.getAttribute('iframe.app', 'src'), /handoff/);
  await Promise.all([page.waitForURL(/use=wallet/), page.click('#use-wallet')]);
  assert.ok(await page.isVisible('#using-wallet'));
  const frame = page.frameLocator('iframe.app');
  await frame.locator('#run').click();
  await frame.getByText(/^run 1 /).waitFor({ timeout: 15000 });
  assert.equal(await frame.locator('#out').textContent(), 'run 1 status=200 charged=1000000 balance=4000000');
  await frame.locator('#run').click();
  await frame.getByText(/^run 2 /).waitFor({ timeout: 15000 });
  assert.equal(await frame.locator('#out').textContent(), 'run 2 status=200 charged=1000000 balance=3000000');

  // The wallet page shows the charges and the new balance.
  await page.goto(`${server.url}/settings/billing`);
  assert.equal(await micros(page, '#wallet-balance'), 3000000);
  const rows = await page.$$eval('#transactions tr.tx', (trs) => trs.map((tr) => [tr.dataset.kind, Number(tr.dataset.amount)]));
  assert.deepEqual(rows.filter(([k]) => k === 'topup'), [['topup', 5000000]]);
  const spent = rows.filter(([k]) => k === 'charge' || k === 'fee').reduce((s, [, a]) => s - a, 0);
  assert.equal(spent, 2000000);

  // A plan: Subscribe on the Space page, paid from the wallet, then cancelled.
  await page.goto(`${server.url}/spaces/maker/paid`);
  await Promise.all([page.waitForURL(/subscribed=pro/), page.click('#subscribe-pro')]);
  assert.match(await page.textContent('#subscribed'), /Subscribed until/);
  await page.goto(`${server.url}/settings/billing`);
  assert.equal(await micros(page, '#wallet-balance'), 1000000);
  assert.equal(await page.textContent('#subscriptions tr[data-space="maker/paid"] .state'), 'renews');
  await Promise.all([page.waitForNavigation(), page.click('#subscriptions button.cancel')]);
  assert.equal(await page.textContent('#subscriptions tr[data-space="maker/paid"] .state'), 'ends at the period\'s end');

  // The creator's Monetization panel: today's revenue bar and the totals.
  const creator = await signIn('maker', '/spaces/maker/paid/settings/monetization');
  const cp = creator.page;
  assert.equal(await micros(cp, '#total-revenue'), 4000000);  // two requests and a plan, gross
  assert.equal(await cp.textContent('#total-charged'), '2');
  assert.equal(await cp.textContent('#subscribers-now'), '1');
  const bars = await cp.$$eval('#revenue-chart rect.bar', (rs) => rs.map((r) => [r.dataset.day, Number(r.dataset.value)]));
  assert.equal(bars.length, 30);
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(bars.filter(([, v]) => v > 0), [[today, 4000000]]);
  assert.ok(Number(await cp.getAttribute(`#revenue-chart rect.bar[data-day="${today}"]`, 'height')) > 0);
  // Only the owner (and an organization's admins) see it.
  const denied = await page.goto(`${server.url}/spaces/maker/paid/settings/monetization`);
  assert.equal(denied.status(), 403);
});

test('usage, checkout refusals and payouts through the API and the CLI', async () => {
  // Usage per day: the edge's counts (flushed on read) and the ledger's money.
  const usage = await api(server, 'GET', '/api/spaces/maker/paid/usage?bucket=day', { token: tokens.maker });
  assert.equal(usage.status, 200, usage.text);
  assert.equal(usage.json.points.length, 30);
  const total = usage.json.total;
  assert.equal(total.charged, 2);
  assert.equal(total.revenue, 4000000);
  assert.ok(total.requests >= 4, JSON.stringify(total));  // the page loads and the two runs
  assert.equal(total.requests, total.free + total.charged + total.refused + total.rateLimited);
  assert.equal(usage.json.points.at(-1).subscribers, 1);
  assert.equal((await api(server, 'GET', '/api/spaces/maker/paid/usage', { token: tokens.vera })).status, 403);
  assert.equal((await api(server, 'GET', '/api/spaces/maker/paid/usage?bucket=week', { token: tokens.maker })).status, 400);
  assert.equal((await api(server, 'GET', '/api/spaces/maker/paid/usage?from=yesterday', { token: tokens.maker })).status, 400);
  const printed = await cli(tokens.maker, ['usage', 'maker/paid']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /total: \d+ requests, 2 charged, 4 usd paid by visitors/);

  // Checkout through the API: the session's URL; amounts Stripe cannot take are refused.
  const before = stand.calls.length;
  const ok = await api(server, 'POST', '/api/billing/checkout', { token: tokens.vera, body: { amount: 2000000 } });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.json.url, /\/pay\/cs_test_\d+$/);
  assert.equal(stand.calls.at(-1).form.get('line_items[0][price_data][unit_amount]'), '200');
  assert.equal((await api(server, 'POST', '/api/billing/checkout', { token: tokens.vera, body: { amount: 1234 } })).status, 400);
  const tiny = await api(server, 'POST', '/api/billing/checkout', { token: tokens.vera, body: { amount: 100000 } });
  assert.equal(tiny.status, 400);
  assert.match(tiny.json.error, /at least 0.50/);
  assert.equal((await api(server, 'POST', '/api/billing/checkout', { body: { amount: 2000000 } })).status, 401);
  assert.equal(stand.calls.length, before + 2, 'refused amounts never reach the provider');

  // Payouts: what is due, a Connect transfer, a manual one; never more than is due.
  const due = async () => (await api(server, 'GET', '/api/billing/payouts', { token: tokens.ops })).json.owners
    .find((o) => o.owner === 'maker');
  assert.equal((await due()).due, 3600000);  // 4 units paid, 10% fee
  assert.equal((await api(server, 'GET', '/api/billing/payouts', { token: tokens.maker })).status, 403);
  const sent = await cli(tokens.ops, ['payouts', 'record', 'maker', '1000000', '--destination', 'acct_123', '--id', 'p1']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /^Paid out 1 to maker \(payout:p1, stripe tr_\d+ to acct_123\)/);
  const transfer = stand.calls.filter((c) => c.path === '/v1/transfers');
  assert.equal(transfer.length, 1);
  assert.equal(transfer[0].form.get('amount'), '100');
  assert.equal(transfer[0].form.get('destination'), 'acct_123');
  assert.equal(transfer[0].headers['idempotency-key'], 'payout:p1');
  const again = await cli(tokens.ops, ['payouts', 'record', 'maker', '1000000', '--destination', 'acct_123', '--id', 'p1']);
  assert.match(again.stdout, /^Recorded before/);
  assert.equal(stand.calls.filter((c) => c.path === '/v1/transfers').length, 1, 'a retry pays nothing twice');
  const manual = await api(server, 'POST', '/api/billing/payouts',
    { token: tokens.ops, body: { owner: 'maker', amount: 600000, reference: 'SEPA 2026-12' } });
  assert.equal(manual.status, 200, manual.text);
  const over = await api(server, 'POST', '/api/billing/payouts',
    { token: tokens.ops, body: { owner: 'maker', amount: 2000001, reference: 'too much' } });
  assert.equal(over.status, 409);
  assert.deepEqual(await due(), { owner: 'maker', due: 2000000, paidOut: 1600000 });
  const earnings = await api(server, 'GET', '/api/billing/earnings', { token: tokens.maker });
  assert.equal(earnings.json.total.paidOut, 1600000);
  assert.equal(earnings.json.total.net, 3600000);
  const audit = await api(server, 'GET', '/api/billing/audit', { token: tokens.ops });
  assert.equal(audit.json.sum, 0);
  assert.equal(audit.json.balancesMatchTransfers, true);
});

// Wallets funded through the real server: Standard Webhooks and Stripe
// webhooks (signed here as the providers sign), idempotent by event id,
// refused when forged, stale or malformed; credits that survive kill -9; an
// operator's offline grant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { BIN, startServer, addUser, api, tempDir, sendStandardWebhook } from './lib.mjs';

const STANDARD_KEY = crypto.randomBytes(24);
const STANDARD_SECRET = `whsec_${STANDARD_KEY.toString('base64')}`;
const STRIPE_SECRET = `whsec_${crypto.randomBytes(16).toString('hex')}`;

function secretFiles() {
  const dir = tempDir('sp-secrets-');
  fs.writeFileSync(`${dir}/standard`, `${STANDARD_SECRET}\n`);
  fs.writeFileSync(`${dir}/stripe`, `${STRIPE_SECRET}\n`);
  return ['--webhook-secret-file', `${dir}/standard`, '--stripe-webhook-secret-file', `${dir}/stripe`];
}

const standard = (server, id, body, { t, key = STANDARD_KEY } = {}) => sendStandardWebhook(server, key, id, body, { t });

async function stripe(server, body, { t = Math.floor(Date.now() / 1000), secret = STRIPE_SECRET } = {}) {
  const sig = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${server.url}/api/billing/webhooks/stripe`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${sig}` },
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

const balance = async (server, token) => (await api(server, 'GET', '/api/billing/wallet', { token })).json.balance;

test('webhooks fund wallets once, forged ones fund nothing, credits survive kill -9', async () => {
  const args = secretFiles();
  let server = await startServer({ args });
  try {
    const token = addUser(server.dataDir, 'vera');
    assert.equal(await balance(server, token), 0);
    const credit = JSON.stringify({ type: 'wallet.credit', data: { user: 'vera', amount: 2500000 } });
    const first = await standard(server, 'msg_1', credit);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.applied, true);
    assert.equal((await standard(server, 'msg_1', credit)).json.applied, false, 'a replay credits nothing');
    assert.equal((await standard(server, 'msg_2', credit, { key: crypto.randomBytes(24) })).status, 400, 'forged');
    assert.equal((await standard(server, 'msg_3', credit, { t: Math.floor(Date.now() / 1000) - 600 })).status, 400, 'stale');
    assert.equal((await standard(server, 'msg_4', '{"type":"wallet.credit","data":{"user":"vera"}}')).status, 400, 'malformed');
    assert.equal(await balance(server, token), 2500000);

    const paid = JSON.stringify({ id: 'evt_e2e_1', type: 'checkout.session.completed',
      data: { object: { id: 'cs_1', payment_status: 'paid', client_reference_id: 'vera', amount_total: 1000 } } });
    assert.equal((await stripe(server, paid)).status, 200);
    assert.equal((await stripe(server, paid)).json.applied, false);
    assert.equal((await stripe(server, paid, { secret: 'whsec_other' })).status, 400);
    assert.equal(await balance(server, token), 12500000);

    // Acknowledged means on disk: a kill -9 right after loses nothing.
    const last = JSON.stringify({ type: 'wallet.credit', data: { user: 'vera', amount: 1 } });
    assert.equal((await standard(server, 'msg_5', last)).status, 200);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    server = await startServer({ dataDir: server.dataDir, args });
    assert.equal(await balance(server, token), 12500001);
    const tx = await api(server, 'GET', '/api/billing/transactions?limit=2', { token });
    assert.equal(tx.status, 200);
    assert.equal(tx.json.length, 2);
    assert.equal(tx.json[0].id, 'webhook:msg_5');
    assert.match(tx.headers.get('link') ?? '', /rel="next"/);
    await server.stop();

    // An operator's grant, offline, once per id.
    const grant = () => execFileSync(BIN, ['credits', 'grant', 'vera', '500000', '--id', 'welcome', '--data-dir', server.dataDir]).toString();
    assert.match(grant(), /^Granted 0.5 to vera; balance 13.000001/);
    assert.match(grant(), /^Already granted/);
    server = await startServer({ dataDir: server.dataDir, args });
    assert.equal(await balance(server, token), 13000001);
  } finally {
    await server.stop();
  }
});

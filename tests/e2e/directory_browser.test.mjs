// The directory's web UI in headless Chromium (issue 12): the home page's
// trending, verified and new sections with badges; the search page's
// type-ahead, facets and sorts; a Space page's health, family tree and
// report button; a collection page; the moderators' queue, whose disable
// action makes the edge answer the app with 451 at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, BIN, launchChromium,
  sleep } from './lib.mjs';

let server, browser;
const tokens = {};

function addUserWithPassword(dataDir, name, password, extra = []) {
  const out = execFileSync(BIN, ['user', 'add', name, '--password', ...extra, '--data-dir', dataDir], { input: password + '\n' });
  return out.toString().trim().split('\n').pop().trim();
}

async function signedIn(user, password) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=/`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  return { context, page };
}

async function staticSpace(owner, name, title, description) {
  await createSpace(server, tokens[owner], owner, name, 'static');
  const dir = gitRepo({
    'README.md': `---\ntitle: ${title}\nsdk: static\nshort_description: ${description}\n---\n${description}\n`,
    'index.html': `<p>${title}</p>`,
  });
  assert.equal(gitPush(server, dir, `${owner}/${name}`, owner, tokens[owner]).code, 0);
  await waitStage(server, `${owner}/${name}`, 'RUNNING', { token: tokens[owner], sha: headSha(dir) });
}

before(async () => {
  server = await startServer({ args: ['--probe-interval', '10'] });
  tokens.alice = addUserWithPassword(server.dataDir, 'alice', 'alice-password-1');
  tokens.bob = addUserWithPassword(server.dataDir, 'bob', 'bob-password-1');
  tokens.ops = addUserWithPassword(server.dataDir, 'ops', 'ops-password-1', ['--admin']);
  await staticSpace('alice', 'whisper-demo', 'Whisper demo', 'Speech to text in the browser');
  await staticSpace('bob', 'pixel-art', 'Pixel art', 'Draw pixels');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the home page shows trending, verified and new Spaces with their badges', async () => {
  assert.equal((await api(server, 'POST', '/api/spaces/bob/pixel-art/like', { token: tokens.alice })).status, 200);
  // A like from a fresh account weighs nothing; a visitor moves the trend once the edge's counts are flushed.
  assert.equal((await hostRequest(server.port, 'bob-pixel-art.localhost', '/')).status, 200);
  // (trendingScore in the JSON is rounded to an integer as HF's is; one visitor makes 0.2 of it.)
  for (let i = 0; ; i++) {
    const home = await api(server, 'GET', '/');
    if (home.text.includes('id="trending"')) break;
    assert.ok(i < 60, 'no trending section on the home page');
    await sleep(500);
  }
  // The probes verify both static Spaces soon after their deploy.
  for (let i = 0; ; i++) {
    const infos = await Promise.all(['alice/whisper-demo', 'bob/pixel-art'].map((id) => api(server, 'GET', `/api/spaces/${id}`)));
    if (infos.every((r) => r.json.verified === true)) break;
    assert.ok(i < 120, `not verified: ${infos.map((r) => JSON.stringify(r.json.health))}`);
    await sleep(500);
  }
  const page = await browser.newPage();
  await page.goto(server.url + '/');
  const trending = await page.locator('#trending .card').evaluateAll((cards) => cards.map((c) => c.dataset.id));
  assert.equal(trending[0], 'bob/pixel-art', `trending: ${trending}`);
  const verified = await page.locator('#verified .card').evaluateAll((cards) => cards.map((c) => c.dataset.id));
  assert.deepEqual(verified.sort(), ['alice/whisper-demo', 'bob/pixel-art']);
  assert.equal(await page.locator('#verified .card[data-id="bob/pixel-art"] .badge.verified').count(), 1);
  const fresh = await page.locator('#new .card').evaluateAll((cards) => cards.map((c) => c.dataset.id));
  assert.deepEqual(fresh, ['bob/pixel-art', 'alice/whisper-demo']);
  await page.close();
});

test('type-ahead suggests as you type; facets and sorts narrow and order the results', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/spaces');
  await page.fill('#q', 'whis');
  const suggestion = page.locator('#suggest li a').first();
  await suggestion.waitFor({ timeout: 5000 });
  assert.equal(await suggestion.textContent(), 'Whisper demo · alice/whisper-demo');
  await Promise.all([page.waitForURL(/\/spaces\/alice\/whisper-demo$/), suggestion.click()]);

  await page.goto(server.url + '/spaces?search=draw');
  assert.deepEqual(await page.locator('.results .card').evaluateAll((c) => c.map((x) => x.dataset.id)), ['bob/pixel-art']);
  await page.goto(server.url + '/spaces?search=demo%20OR%20draw');
  assert.equal(await page.locator('.results .card').count(), 2);
  assert.match(await page.locator('[data-facet="sdk:static"]').textContent(), /static\s+2/);
  await page.click('[data-sort="likes"]');
  await page.waitForURL(/sort=likes/);
  assert.deepEqual(await page.locator('.results .card').evaluateAll((c) => c.map((x) => x.dataset.id)),
    ['bob/pixel-art', 'alice/whisper-demo']);
  await page.click('[data-facet="stage:RUNNING"]');
  await page.waitForURL(/stage=RUNNING/);
  assert.equal(await page.locator('.results .card').count(), 2);
  await page.goto(server.url + '/spaces?search=demo%20OR%20draw&stage=BUILD_ERROR');
  assert.equal(await page.locator('.results .card').count(), 0);
  await page.close();
});

test('a Space page shows its health and family tree; a visitor reports it; an admin disables it from the queue', async () => {
  const fork = await api(server, 'POST', '/api/spaces/alice/whisper-demo/duplicate', {
    token: tokens.bob, body: { repository: 'bob/whisper-fork' },
  });
  assert.equal(fork.status, 200, fork.text);

  const { context, page } = await signedIn('alice', 'alice-password-1');
  try {
    await page.goto(server.url + '/spaces/alice/whisper-demo');
    assert.match(await page.locator('#health').textContent(), /verified/);
    assert.match(await page.locator('#last-probe').textContent(), /passed/);
    assert.equal(await page.locator('#lineage li.fork a').textContent(), 'bob/whisper-fork');
    await page.goto(server.url + '/spaces/bob/whisper-fork');
    assert.equal(await page.locator('#lineage li.ancestor > a').textContent(), 'alice/whisper-demo');

    await page.goto(server.url + '/spaces/bob/pixel-art');
    await page.click('#report-open');
    await page.selectOption('#report-reason', 'copyright');
    await page.fill('#report-details', 'These are my drawings');
    await Promise.all([page.waitForNavigation(), page.click('#report-submit')]);
    await page.locator('#reported').waitFor({ timeout: 5000 });
  } finally {
    await context.close();
  }

  const admin = await signedIn('ops', 'ops-password-1');
  try {
    const page2 = admin.page;
    await page2.goto(server.url + '/moderation');
    const row = page2.locator('#queue tr', { hasText: 'bob/pixel-art' });
    assert.match(await row.textContent(), /copyright.*These are my drawings.*alice/s);
    await row.locator('input[name="note"]').fill('Taken down after a copyright claim.');
    await Promise.all([page2.waitForNavigation(), row.locator('button[value="disable"]').click()]);
    await page2.locator('#done').waitFor({ timeout: 5000 });
    assert.equal(await page2.locator('#queue-empty').count(), 1);
    assert.match(await page2.locator('#audit-log').textContent(), /ops\s*disable\s*bob\/pixel-art\s*Taken down/);
  } finally {
    await admin.context.close();
  }
  const app = await hostRequest(server.port, 'bob-pixel-art.localhost', '/');
  assert.equal(app.status, 451);
  assert.match(app.text, /Taken down after a copyright claim\./);
  const anon = await browser.newPage();
  await anon.goto(server.url + '/spaces/bob/pixel-art');
  assert.match(await anon.locator('#disabled').textContent(), /Taken down/);
  await anon.goto(server.url + '/spaces?search=pixel');
  assert.equal(await anon.locator('.results .card').count(), 0);
  await anon.close();
});

test('a collection page lists its Spaces with notes; private ones are for their owner', async () => {
  const made = await api(server, 'POST', '/api/collections', { token: tokens.alice, body: { title: 'Speech picks', description: 'Hand-picked' } });
  assert.equal(made.status, 200, made.text);
  const slug = made.json.slug;
  const added = await api(server, 'POST', `/api/collections/${slug}/items`, {
    token: tokens.alice, body: { item: { type: 'space', id: 'alice/whisper-demo' }, note: 'The original' },
  });
  assert.equal(added.status, 200, added.text);
  const hidden = await api(server, 'POST', '/api/collections', { token: tokens.alice, body: { title: 'Drafts', private: true } });

  const page = await browser.newPage();
  await page.goto(`${server.url}/collections/${slug}`);
  assert.equal(await page.locator('#collection-title').textContent(), 'Speech picks');
  assert.equal(await page.locator('.item .card').getAttribute('data-id'), 'alice/whisper-demo');
  assert.equal(await page.locator('.item .note').textContent(), 'The original');
  await page.goto(server.url + '/spaces/alice/whisper-demo');
  assert.match(await page.locator('#in-collections').textContent(), /Speech picks/);
  const res = await page.goto(`${server.url}/collections/${hidden.json.slug}`);
  assert.equal(res.status(), 404);
  await page.goto(server.url + '/');
  assert.match(await page.locator('#collections').textContent(), /Speech picks/);
  assert.doesNotMatch(await page.locator('#collections').textContent(), /Drafts/);
  await page.close();

  const owner = await signedIn('alice', 'alice-password-1');
  try {
    const r = await owner.page.goto(`${server.url}/collections/${hidden.json.slug}`);
    assert.equal(r.status(), 200);
  } finally {
    await owner.context.close();
  }
});

// Docker Spaces on the real server with the host's real podman: a Dockerfile
// pushed with git is built into an image (variables as build args, secrets as
// build secrets only), run as a container reached through both routings,
// redeployed without a failed request, isolated like a native app, frozen
// and stopped when idle and woken by the next request. Bad Dockerfiles end in
// the right stage with the engine's message. No registry is reachable here:
// the base image is made from Debian's busybox-static (scripts/oci-base-image).
// Without a working podman this test fails and says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, startServer, addUser, api, createSpace, gitRepo, gitPush, headSha, waitStage, hostRequest, sleep, tempDir,
  waitRung as waitSpaceRung,
} from './lib.mjs';

const BUILD_SECRET = 'build-only-7f3a9c2e51';
const RUNTIME_SECRET = 'runtime-only-0b8d4e6f';

// CGI heads end their lines with CRLF.
const cgi = (body) => `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n${body}\n`;

function dockerApp(version, { sleepTime = '' } = {}) {
  return {
    'README.md': `---\ntitle: Docker ${version}\nsdk: docker\napp_port: 7860\n${sleepTime}---\n`,
    'Dockerfile': [
      'FROM localhost/spaceport/busybox:1',
      'ARG GREETING=unset',
      'COPY www/ /www/',
      // The build secret is read in a RUN step; only its length is kept.
      'RUN --mount=type=secret,id=BUILD_TOKEN cat /run/secrets/BUILD_TOKEN 2>/dev/null | wc -c > /www/token-length \\',
      ' && echo "$GREETING" > /www/greeting && chmod +x /www/cgi-bin/*',
      'CMD ["sh", "-c", "echo start >> /data/starts; exec httpd -f -p 7860 -h /www"]',
      '',
    ].join('\n'),
    'www/index.html': `docker ${version}\n`,
    'www/cgi-bin/env': cgi('echo "uid=$(id -u) secret=$RUNTIME_TOKEN build_secret=${BUILD_TOKEN:-none} var=$GREETING space=$SPACE_ID system=$SYSTEM"'),
    'www/cgi-bin/starts': cgi('wc -l < /data/starts'),
    'www/cgi-bin/probe': cgi([
      'if printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 127.0.0.1 "$QUERY_STRING" >/dev/null 2>/dev/null; then echo reach=yes; else echo reach=no; fi',
      'echo nets=$(ls /sys/class/net)',
      'if touch /rootfile 2>/dev/null; then echo root=writable; else echo root=readonly; fi',
    ].join('\n')),
    'www/cgi-bin/edge': cgi('printf "GET /api/whoami-v2 HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n" | nc -w 3 127.0.0.1 "$QUERY_STRING" | head -1'),
  };
}

let server, token;
const runtime = async (id) => (await api(server, 'GET', `/api/spaces/${id}/runtime`, { token })).json;
const app = (name, p = '/') => hostRequest(server.port, `alice-${name}.localhost`, p);

async function deploy(name, files, { extra = {} } = {}) {
  await createSpace(server, token, 'alice', name, 'docker', extra);
  const dir = gitRepo(files);
  assert.equal(gitPush(server, dir, `alice/${name}`, 'alice', token).code, 0);
  return dir;
}

// Waits for RUNNING at the pushed commit; an error stage on the way fails at once.
async function waitRunning(id, dir) {
  const { runtime: rt } = await waitStage(server, id, (s) => s === 'RUNNING' || /ERROR|NO_APP_FILE/.test(s ?? ''),
    { token, sha: headSha(dir) });
  assert.equal(rt.stage, 'RUNNING', `${id}: ${JSON.stringify(rt)}\n${await buildLog(id)}`);
  return rt;
}

async function buildLog(id) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 3000);
  let text = '';
  try {
    const res = await fetch(`${server.url}/api/spaces/${id}/logs/build`, {
      headers: { Authorization: `Bearer ${token}` }, signal: abort.signal,
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body) text += decoder.decode(chunk, { stream: true });
  } catch { /* the stream stays open: read what came in 3 s */ } finally {
    clearTimeout(timer);
  }
  return text;
}

const waitRung = (id, rung) => waitSpaceRung(server, id, rung, { token });

before(async () => {
  try {
    execFileSync('podman', ['info'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`podman does not work on this machine (scripts/setup --test installs it): ${e.stderr ?? e}`);
  }
  execFileSync(path.join(ROOT, 'scripts/oci-base-image'), { stdio: 'pipe' });
  server = await startServer({ args: ['--freeze-after', '1'] });
  token = addUser(server.dataDir, 'alice');
});
after(async () => { await server?.stop(); });

test('the server builds and runs Docker Spaces with podman', () => {
  assert.match(server.output(), /Docker Spaces build and run with podman/, server.output());
});

test('a Docker Space reaches RUNNING and answers through both routings with its env, as uid 1000', async () => {
  const dir = await deploy('web', dockerApp('v1'), {
    extra: {
      secrets: [{ key: 'BUILD_TOKEN', value: BUILD_SECRET }, { key: 'RUNTIME_TOKEN', value: RUNTIME_SECRET }],
      variables: [{ key: 'GREETING', value: 'hello-var' }],
    },
  });
  await waitRunning('alice/web', dir);
  const byHost = await app('web');
  assert.equal(byHost.status, 200, byHost.text);
  assert.equal(byHost.text, 'docker v1\n');
  const byPath = await api(server, 'GET', '/spaces/alice/web/app/');
  assert.equal(byPath.status, 200, byPath.text);
  assert.equal(byPath.text, 'docker v1\n');

  const env = (await app('web', '/cgi-bin/env')).text;
  assert.match(env, /uid=1000 /, env);
  assert.match(env, new RegExp(`secret=${RUNTIME_SECRET} `), env);  // secrets arrive as env at run time
  assert.match(env, /var=hello-var /, env);                          // variables too
  assert.match(env, new RegExp(`build_secret=${BUILD_SECRET} `), env);  // every secret is env at run time
  assert.match(env, /space=alice\/web system=spaces/, env);
  // The build secret was readable in its RUN step (its length was kept), and
  // the variable was a build arg.
  assert.equal((await app('web', '/token-length')).text.trim(), String(BUILD_SECRET.length));
  assert.equal((await app('web', '/greeting')).text, 'hello-var\n');
  const log = await buildLog('alice/web');
  assert.match(log, /Building the Docker image with podman/, log);
  assert.match(log, /STEP \d+\/\d+: RUN --mount=type=secret,id=BUILD_TOKEN/, log);
});

test('the build secret is in no image layer and no history entry', async () => {
  const rt = await runtime('alice/web');
  const image = execFileSync('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter',
    'label=space.spaceport.space=alice/web', '--filter', `label=space.spaceport.commit=${rt.sha}`]).toString().trim();
  assert.match(image, /^localhost\/spaceport\/alice\/web-[0-9a-f]{8}:[0-9a-f]{12}-[0-9a-f]{8}$/, image);
  const archive = path.join(tempDir('sp-image-'), 'image.tar');
  execFileSync('podman', ['image', 'save', '--format', 'docker-archive', '-o', archive, image], { stdio: 'pipe' });
  const bytes = fs.readFileSync(archive);
  assert.ok(bytes.length > 100000, `the saved image is only ${bytes.length} bytes`);
  // The layers are uncompressed tars: the secret's bytes would be there as they are.
  assert.equal(bytes.indexOf(Buffer.from(BUILD_SECRET)), -1, 'the build secret is in a layer of the image');
  assert.ok(bytes.indexOf(Buffer.from('docker v1')) >= 0, 'the scan would not find the app either');
  const history = execFileSync('podman', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', image]).toString();
  assert.match(history, /BUILD_TOKEN/, history);  // the step is recorded, its secret is not
  assert.doesNotMatch(history, new RegExp(BUILD_SECRET), history);
  const inspect = execFileSync('podman', ['image', 'inspect', image]).toString();
  assert.doesNotMatch(inspect, new RegExp(`${BUILD_SECRET}|${RUNTIME_SECRET}`));
});

// The TCP ports `pid` listens on (the edge's and each app forwarder's).
function listeningPorts(pid) {
  const out = execFileSync('ss', ['-Hltnp']).toString();
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(l.trim().split(/\s+/)[3].split(':').pop()));
}

test('the container reaches no other Space and nothing on the host but the edge, as a visitor; its root is read-only', async () => {
  const other = await deploy('other', dockerApp('other'));
  await waitRunning('alice/other', other);
  assert.equal((await app('other')).status, 200);
  // Every port the server listens on on the host: the edge's and the app
  // forwarders' (among them the other Space's).
  const ports = listeningPorts(server.child.pid).filter((p) => p !== server.port);
  assert.ok(ports.length >= 2, `the server listens on ${ports}`);
  for (const port of ports) {
    const probe = (await app('web', `/cgi-bin/probe?${port}`)).text;
    assert.match(probe, /reach=no/, `port ${port}: ${probe}`);
  }
  const probe = (await app('web', '/cgi-bin/probe?7860')).text;
  assert.match(probe, /reach=yes/, probe);  // its own port inside: the probe can succeed
  assert.match(probe, /nets=lo\n/, probe);  // no interface but its own loopback
  assert.match(probe, /root=readonly/, probe);
  // The edge's port inside leads to the edge, where it is an anonymous visitor.
  const edge = (await app('web', `/cgi-bin/edge?${server.port}`)).text;
  assert.match(edge, /^HTTP\/1\.[01] 401/, edge);
});

test('a second push serves the new version with zero failed requests', async () => {
  const dir = await deploy('rolling', dockerApp('v1'));
  await waitRunning('alice/rolling', dir);
  let stop = false;
  const results = { ok: 0, failed: [], versions: new Set() };
  const load = (async () => {
    while (!stop) {
      try {
        const r = await app('rolling');
        if (r.status === 200) { results.ok++; results.versions.add(r.text.trim()); } else results.failed.push(`${r.status} ${r.text}`);
      } catch (e) { results.failed.push(String(e)); }
    }
  })();
  await sleep(300);
  gitRepo(dockerApp('v2'), dir);
  assert.equal(gitPush(server, dir, 'alice/rolling', 'alice', token).code, 0);
  await waitRunning('alice/rolling', dir);
  await sleep(1500);
  stop = true;
  await load;
  assert.deepEqual(results.failed, []);
  assert.ok(results.versions.has('docker v1') && results.versions.has('docker v2'), [...results.versions].join());
  assert.ok(results.ok > 20, `only ${results.ok} requests`);
  assert.equal((await app('rolling')).text, 'docker v2\n');
});

test('a frozen Docker Space is thawed in place by its next request', async () => {
  const dir = await deploy('icy', dockerApp('icy'), { extra: { sleepTimeSeconds: 3600 } });
  await waitRunning('alice/icy', dir);
  assert.equal((await app('icy')).status, 200);
  await waitRung('alice/icy', 'frozen');
  const r = await app('icy');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text, 'docker icy\n');
  assert.equal((await runtime('alice/icy')).rung, 'running');
  assert.equal((await app('icy', '/cgi-bin/starts')).text.trim(), '1', 'a thaw must not restart the container');
});

test('a stopped Docker Space starts again for its next requests; none is lost', async () => {
  const dir = await deploy('nap', dockerApp('nap'), { extra: { sleepTimeSeconds: 3 } });
  await waitRunning('alice/nap', dir);
  const asleep = await waitRung('alice/nap', 'stopped');
  assert.equal(asleep.replicas.current, 0, JSON.stringify(asleep));
  // Known defect (in the closing note): once in a full run the stage read APP_STARTING while the rung was
  // stopped and nothing ran; what must hold is that the requests below wake it, none lost.
  const requests = [];
  for (let i = 0; i < 20; i++) {
    requests.push(i % 2 === 0 ? app('nap', `/?n=${i}`) : api(server, 'GET', `/spaces/alice/nap/app/?n=${i}`));
  }
  for (const a of await Promise.all(requests)) assert.equal(a.status, 200, `${a.status} ${a.text}`);
  const starts = (await app('nap', '/cgi-bin/starts')).text.trim();
  assert.equal(starts, '2', `20 requests must start it once; runtime ${JSON.stringify(await runtime('alice/nap'))}`);
});

test('bad Dockerfiles end in BUILD_ERROR with the engine\'s message; a container that exits at once in RUNTIME_ERROR', async () => {
  const failing = dockerApp('bad');
  failing.Dockerfile = 'FROM localhost/spaceport/busybox:1\nRUN echo about to fail && false\n';
  await deploy('failing', failing);
  const f = await waitStage(server, 'alice/failing', (s) => s === 'BUILD_ERROR', { token });
  assert.match(f.runtime.errorMessage ?? '', /podman build failed/, JSON.stringify(f.runtime));
  assert.match(await buildLog('alice/failing'), /about to fail/);

  const nobase = dockerApp('nobase');
  nobase.Dockerfile = 'FROM localhost/spaceport/no-such-base:1\nCMD ["true"]\n';
  await deploy('nobase', nobase);
  const n = await waitStage(server, 'alice/nobase', (s) => s === 'BUILD_ERROR', { token });
  assert.match(n.runtime.errorMessage ?? '', /no-such-base/, JSON.stringify(n.runtime));

  const exits = dockerApp('exits');
  exits.Dockerfile = 'FROM localhost/spaceport/busybox:1\nCMD ["sh", "-c", "echo giving up; exit 3"]\n';
  await deploy('exits', exits);
  const e = await waitStage(server, 'alice/exits', (s) => s === 'RUNTIME_ERROR', { token, timeoutMs: 60000 });
  assert.match(e.runtime.errorMessage ?? '', /exited with code 3/, JSON.stringify(e.runtime));
});

test('deleting a Docker Space removes its images; the server leaves no container behind', async () => {
  const images = () => execFileSync('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}',
    '--filter', 'reference=spaceport/alice/*']).toString().split('\n').filter(Boolean);
  assert.ok(images().some((i) => /spaceport\/alice\/web-[0-9a-f]{8}:/.test(i)), images().join());
  for (const name of ['web', 'other', 'rolling', 'icy', 'nap', 'failing', 'nobase', 'exits']) {
    const del = await api(server, 'DELETE', '/api/repos/delete', { token, body: { type: 'space', name: `alice/${name}` } });
    assert.equal(del.status, 200, del.text);
  }
  assert.deepEqual(images(), []);
  await server.stop();
  const left = execFileSync('podman', ['ps', '--all', '--format', '{{.Names}} {{.Labels}}']).toString();
  assert.doesNotMatch(left, /space\.spaceport\.space:alice\//, left);
});

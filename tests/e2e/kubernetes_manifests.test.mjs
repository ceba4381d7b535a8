// Every manifest the Kubernetes driver applies, checked against the
// Kubernetes schemas (the npm kubernetes-models classes, validated by
// @kubernetes-models/validate). The manifests come from the driver's own
// tests against the in-process TEST DOUBLE of the API server
// (src/runtime/kubernetes/testing/fake_kube_api.h), which records each
// applied object: create, sleep (replicas 0), wake and a rollout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import { ROOT, tempDir } from './lib.mjs';

const DRIVER_TEST = path.join(ROOT, process.env.BUILD_DIR || 'build', 'src/runtime/kube_driver_test');
const MODELS = { Deployment, Service, Secret };

function validate(manifest) {
  const Model = MODELS[manifest.kind];
  assert.ok(Model, `unexpected kind ${manifest.kind}`);
  new Model(manifest).validate();
}

test('the driver applies Deployments, Services and Secrets that the Kubernetes schemas accept', () => {
  assert.ok(fs.existsSync(DRIVER_TEST), `${DRIVER_TEST} is missing: build first`);
  const dir = tempDir('sp-kube-manifests-');
  execFileSync(DRIVER_TEST, ['--gtest_filter=KubeDriverTest.SleepScalesToZero*:KubeDriverTest.UpdateRollsOut*'], {
    env: { ...process.env, SPACEPORT_KUBE_RECORD_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  const kinds = new Map();
  const replicas = new Set();
  for (const f of files) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    try {
      validate(manifest);
    } catch (e) {
      assert.fail(`${f} does not validate: ${e.message}`);
    }
    kinds.set(manifest.kind, (kinds.get(manifest.kind) || 0) + 1);
    if (manifest.kind === 'Deployment') replicas.add(manifest.spec.replicas);
  }
  // Two tests: each applies a Secret, Service and Deployment per start, and
  // a Deployment with replicas 0 on sleep.
  assert.ok(kinds.get('Deployment') >= 5, JSON.stringify([...kinds]));
  assert.ok(kinds.get('Service') >= 4, JSON.stringify([...kinds]));
  assert.ok(kinds.get('Secret') >= 4, JSON.stringify([...kinds]));
  assert.deepEqual([...replicas].sort(), [0, 1]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the schema check refuses a broken manifest (so the check above can fail)', () => {
  const broken = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: {
      replicas: '1',
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'app', image: 'i' }] } },
    },
  };
  assert.throws(() => validate(broken), /replicas/);
  const noImageName = structuredClone(broken);
  noImageName.spec.replicas = 1;
  delete noImageName.spec.template.spec.containers[0].name;
  assert.throws(() => validate(noImageName), /name/);
});

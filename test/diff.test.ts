/** npm run diff: object-level changes between two configs, secrets redacted, exit codes. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { diffDists, summaryLine, unifiedDiff } from '../src/output/object-diff';
import { synthesize } from '../src/output/synth';
import { distAtRef } from '../src/tools/diff-cli';
import { baseConfig, runTs, SENTINELS, snapshot, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

const dir = path.join(work, 'a');
fs.mkdirSync(dir, { recursive: true });
const envA = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig(), 'a.yaml') });
const a = synthesize({ env: envA, dryRun: true });
const changedConfig = { ...baseConfig(), storage: { userCapacity: '25Gi' }, auth0: { ...baseConfig().auth0, allowedUsers: ['a@example.org', 'new@example.org'] } };
const b = synthesize({ env: { ...envA, HUB_CONFIG: writeConfig(dir, changedConfig, 'b.yaml'), AUTH0_CLIENT_SECRET: 'SENTINEL-rotated-client-secret-99' }, dryRun: true });

describe('object diff', () => {
  const d = diffDists(a.files, b.files);

  it('names each changed object and shows the config change in the values file', () => {
    assert.deepEqual(d.added, []);
    assert.deepEqual(d.removed, []);
    const ids = d.changed.map((c) => c.id);
    for (const id of ['Deployment/jupyterhub/hub', 'Secret/jupyterhub/hub', 'Secret/jupyterhub/auth0-client', 'file:values/z2jh-values.yaml', 'ConfigMap/jupyterhub/auth0-allowlist']) assert.ok(ids.includes(id), id);
    const values = d.changed.find((c) => c.id === 'file:values/z2jh-values.yaml')!.diff;
    assert.match(values, /^-      capacity: 10Gi$/m);
    assert.match(values, /^\+      capacity: 25Gi$/m);
    const allow = d.changed.find((c) => c.id === 'ConfigMap/jupyterhub/auth0-allowlist')!.diff;
    assert.match(allow, /new@example\.org/);
    assert.equal(summaryLine(d), `0 added, ${d.changed.length} changed, 0 removed`);
  });

  it('never shows a secret value, only that it changed', () => {
    const text = JSON.stringify(d);
    for (const s of [SENTINELS.auth0, 'SENTINEL-rotated-client-secret-99', Buffer.from(SENTINELS.auth0).toString('base64')]) assert.ok(!text.includes(s));
    const auth = d.changed.find((c) => c.id === 'Secret/jupyterhub/auth0-client')!.diff;
    assert.match(auth, /^\+  client-secret: \(hidden, changed\)$/m);
  });

  it('reports added and removed objects', () => {
    const c = synthesize({ env: { ...envA, HUB_CONFIG: writeConfig(dir, { ...baseConfig(), storage: { method: 'provisionerPatch' } }, 'c.yaml') }, dryRun: true });
    const d2 = diffDists(a.files, c.files);
    assert.deepEqual(d2.added, ['patch:Deployment/kube-system/hostpath-provisioner']);
    const d3 = diffDists(c.files, a.files);
    assert.deepEqual(d3.removed, ['patch:Deployment/kube-system/hostpath-provisioner']);
  });

  it('sees no change between real and placeholder secrets once Secrets and their checksums are left out (CI against git)', () => {
    const ph = synthesize({ env: { ...envA, HUB_SECRETS: 'placeholder', AUTH0_CLIENT_SECRET: undefined }, dryRun: true });
    const noSecrets = (m: ReadonlyMap<string, string>) => new Map([...m].filter(([n]) => !n.endsWith('.secret.yaml')));
    assert.notEqual(summaryLine(diffDists(noSecrets(a.files), noSecrets(ph.files))), '0 added, 0 changed, 0 removed', 'checksums differ');
    assert.equal(summaryLine(diffDists(noSecrets(a.files), noSecrets(ph.files), { ignoreSecretChecksums: true })), '0 added, 0 changed, 0 removed');
  });

  it('is empty for identical trees', () => {
    assert.equal(summaryLine(diffDists(a.files, a.files)), '0 added, 0 changed, 0 removed');
  });

  it('makes a readable unified diff', () => {
    assert.equal(unifiedDiff(['a', 'b', 'c'], ['a', 'x', 'c'], 'old', 'new'), '--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+x\n c');
  });
});

describe('npm run diff (CLI)', () => {
  it('exits 1 with a summary when something changed and 0 when nothing did; --json is machine-readable', () => {
    const cli = path.join(work, 'cli');
    fs.mkdirSync(cli, { recursive: true });
    const env = synthEnv(cli, { HUB_CONFIG: writeConfig(cli, baseConfig(), 'a.yaml') });
    synthesize({ env });
    const same = runTs('src/tools/diff-cli.ts', ['--dist', env.HUB_OUTDIR!], env);
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, /0 added, 0 changed, 0 removed/);
    const before = snapshot(env.HUB_OUTDIR!);
    const changed = runTs('src/tools/diff-cli.ts', ['--dist', env.HUB_OUTDIR!, '--json'], { ...env, HUB_CONFIG: writeConfig(cli, changedConfig, 'b.yaml') });
    assert.equal(changed.status, 1, changed.stderr);
    const report = JSON.parse(changed.stdout);
    assert.equal(report.summary.added, 0);
    assert.ok(report.summary.changed >= 3);
    assert.ok(report.changed.some((c: { id: string }) => c.id === 'file:values/z2jh-values.yaml'));
    assert.deepEqual(report.dataMoves, []);
    assert.deepEqual(snapshot(env.HUB_OUTDIR!), before, 'diff writes nothing');
    const moved = runTs('src/tools/diff-cli.ts', ['--dist', env.HUB_OUTDIR!], { ...env, HUB_CONFIG: writeConfig(cli, { ...baseConfig(), storage: { hostDirectory: '/mnt/big' } }, 'c.yaml') });
    assert.equal(moved.status, 1, moved.stderr);
    assert.match(moved.stdout, /^WARNING: data-moving change[\s\S]*hostDirectory: \/srv\/jupyterhub -> \/mnt\/big/m);
    const bad = runTs('src/tools/diff-cli.ts', ['--against', 'no-such-ref'], env);
    assert.equal(bad.status, 2);
    const badConfig = runTs('src/tools/diff-cli.ts', ['--dist', env.HUB_OUTDIR!], { ...env, HUB_CONFIG: path.join(cli, 'missing.yaml') });
    assert.equal(badConfig.status, 2, 'a config error is "could not compare", not "changes"');
  });
});

describe('dist/ at a git ref', () => {
  it('reads the committed files (Secrets are not in git)', () => {
    const repo = path.join(work, 'repo');
    fs.mkdirSync(path.join(repo, 'dist'), { recursive: true });
    for (const [name, text] of a.files) {
      fs.mkdirSync(path.dirname(path.join(repo, 'dist', name)), { recursive: true });
      fs.writeFileSync(path.join(repo, 'dist', name), text);
    }
    fs.writeFileSync(path.join(repo, '.gitignore'), 'dist/*.secret.yaml\n');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'dist');
    const files = distAtRef('HEAD', repo);
    assert.ok(files.has('10-jupyterhub.yaml'));
    assert.ok(files.has('values/z2jh-values.yaml'));
    assert.ok(!files.has('02-secrets.secret.yaml'), '.gitignore keeps Secrets out of git');
    assert.equal(files.get('10-jupyterhub.yaml'), a.files.get('10-jupyterhub.yaml'));
  });
});

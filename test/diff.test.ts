/** npm run diff: object-level changes between two configs, secrets redacted, exit codes. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { diffDists, summaryLine, unifiedDiff } from '../src/output/object-diff';
import { synthesize } from '../src/output/synth';
import { applyPatch } from 'diff';
import { distAtRef, parseDiffArgs } from '../src/tools/diff-cli';
import { UserError } from '../src/util/errors';
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
    // Two changes more than 2 x 3 context lines apart: two hunks; closer: one.
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const far = lines.map((l, i) => (i === 2 || i === 15 ? `${l}!` : l));
    assert.equal(unifiedDiff(lines, far, 'a', 'b').match(/^@@ /gm)?.length, 2);
    const near = lines.map((l, i) => (i === 2 || i === 8 ? `${l}!` : l));
    assert.equal(unifiedDiff(lines, near, 'a', 'b').match(/^@@ /gm)?.length, 1);
  });

  it('every diff it prints is a patch that turns the old version into the new one', () => {
    // A fixed seed: the same cases every run. GNU patch semantics through jsdiff's applyPatch.
    let seed = 2026;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let t = 0; t < 300; t++) {
      const a = Array.from({ length: 1 + Math.floor(rnd() * 40) }, (_, i) => (rnd() < 0.3 ? '  x: 1' : `line ${i}`));
      const b = a.filter(() => rnd() > 0.1).map((l) => (rnd() < 0.1 ? `${l} changed` : l));
      if (rnd() < 0.5) b.splice(Math.floor(rnd() * (b.length + 1)), 0, 'inserted');
      if (a.join('\n') === b.join('\n')) continue;
      const patch = unifiedDiff(a, b, 'a', 'b');
      assert.equal(applyPatch(`${a.join('\n')}\n`, `${patch}\n`), `${b.join('\n')}\n`, `case ${t}:\n${patch}`);
    }
  });

  it('a 10,000-user allowlist with one user replaced: one small hunk (linear memory, no n x m table)', () => {
    const users = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.org`);
    const cfg = (list: string[]) => ({ ...baseConfig(), auth0: { ...baseConfig().auth0, allowedUsers: list } });
    const big = synthesize({ env: { ...envA, HUB_CONFIG: writeConfig(dir, cfg(users), 'big.yaml') }, dryRun: true });
    const replaced = users.map((u, i) => (i === 5000 ? 'user5000x@example.org' : u));
    const big2 = synthesize({ env: { ...envA, HUB_CONFIG: writeConfig(dir, cfg(replaced), 'big2.yaml') }, dryRun: true });
    const d2 = diffDists(big.files, big2.files);
    const allow = d2.changed.find((c) => c.id === 'ConfigMap/jupyterhub/auth0-allowlist');
    assert.ok(allow, d2.changed.map((c) => c.id).join(', '));
    const body = allow.diff.split('\n');
    assert.equal(body.filter((l) => l.startsWith('@@ ')).length, 1, allow.diff);
    const edits = body.filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
    assert.equal(edits.length, 2, allow.diff);
    assert.match(edits[0], /^-\s+user5000@example\.org$/);
    assert.match(edits[1], /^\+\s+user5000x@example\.org$/);
    assert.ok(body.length <= 12, `a small diff: ${body.length} lines`);
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

describe('npm run diff: "could not compare" is exit 2 with a message, never "everything added" or an internal error', () => {
  const cli = path.join(work, 'cli2');
  fs.mkdirSync(cli, { recursive: true });
  const env = synthEnv(cli, { HUB_CONFIG: writeConfig(cli, baseConfig(), 'a.yaml') });
  const file = writeConfig(cli, baseConfig(), 'not-a-folder.yaml');
  const cases: [string, string[], RegExp][] = [
    // The case: this said "30 added" and exited 1.
    ['a folder that does not exist', ['--dist', path.join(cli, 'nonexistent')], /^Cannot compare: --dist .*nonexistent: no such folder\.\nFix: /],
    ['a file where the folder is expected', ['--dist', file], /^Cannot compare: --dist .*not-a-folder\.yaml is a file, not a folder\.\n/],
    ['a path through a file', ['--dist', path.join(file, 'dist')], /^Cannot compare: --dist .*not-a-folder\.yaml\/dist: no such folder\./],
    ['an unknown option', ['--bogus'], /^Unknown option '--bogus'[\s\S]*\nUsage: npm run diff -- \[--against REF \| --dist DIR\] \[--json\]\n$/],
    ['an option without its value', ['--dist'], /argument missing[\s\S]*\nUsage: npm run diff/],
    ['both --against and --dist', ['--against', 'HEAD', '--dist', cli], /^Give --against or --dist, not both\./],
    ['a positional argument', ['HEAD'], /^Unexpected argument 'HEAD'[\s\S]*\nUsage: npm run diff/],
  ];
  for (const [name, args, stderr] of cases) {
    it(name, () => {
      const r = runTs('src/tools/diff-cli.ts', args, env);
      assert.equal(r.status, 2, `exit code; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stderr, stderr);
      assert.doesNotMatch(r.stdout, /added/);
      assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
    });
  }

  it('a dist/ file that is not YAML or not an object: exit 2, the file and position named, its text (a secret) not quoted', () => {
    const bad = path.join(cli, 'bad-dist');
    fs.mkdirSync(bad, { recursive: true });
    const secretFile = path.join(bad, '02-secrets.secret.yaml');
    fs.writeFileSync(secretFile, 'data:\n  client-secret: "SENTINEL-corrupt-secret-31337\n  other: x\n');
    let r = runTs('src/tools/diff-cli.ts', ['--dist', bad], env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^Cannot compare: 02-secrets\.secret\.yaml is not valid YAML: .* at line \d+, column \d+\.\n/);
    assert.ok(!(r.stdout + r.stderr).includes('SENTINEL-corrupt'), r.stderr);
    fs.writeFileSync(secretFile, '- just\n- a list\n');
    r = runTs('src/tools/diff-cli.ts', ['--dist', bad], env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^Cannot compare: 02-secrets\.secret\.yaml holds a document that is not a Kubernetes object/);
  });

  it('--against outside a git checkout: exit 2', () => {
    assert.throws(() => distAtRef('HEAD', cli), (err: unknown) => err instanceof UserError && err.exitCode === 2 && /git ref "HEAD" not found/.test(err.message));
  });

  it('parses its arguments with node:util.parseArgs', () => {
    assert.deepEqual(parseDiffArgs([]), { against: 'HEAD', dist: undefined, json: false });
    assert.deepEqual(parseDiffArgs(['--against=main', '--json']), { against: 'main', dist: undefined, json: true });
    assert.deepEqual(parseDiffArgs(['--dist', 'x']), { against: 'HEAD', dist: 'x', json: false });
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

/** The local secret store: generated once, reused, rotated on purpose, never world-readable. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadHubSecrets, rotateSecret, storeFile } from '../src/secret-store/store';
import { synthesize } from '../src/output/synth';
import { baseConfig, find, readObjects, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('secret store', () => {
  const env = { HUB_SECRETS_DIR: path.join(work, 'store'), AUTH0_CLIENT_SECRET: 'x-client-secret' };
  const opts = { namespace: 'jupyterhub', release: 'jupyterhub', env };

  it('generates 64-hex-character secrets once, 0600 in a 0700 folder, and reuses them', () => {
    const a = loadHubSecrets(opts);
    for (const v of [a.proxySecretToken, a.cookieSecret, a.cryptKeeperKey]) assert.match(v, /^[0-9a-f]{64}$/);
    assert.notEqual(a.proxySecretToken, a.cookieSecret);
    const file = storeFile(env.HUB_SECRETS_DIR, 'jupyterhub', 'jupyterhub');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(env.HUB_SECRETS_DIR).mode & 0o777, 0o700);
    const b = loadHubSecrets(opts);
    assert.deepEqual([b.proxySecretToken, b.cookieSecret, b.cryptKeeperKey], [a.proxySecretToken, a.cookieSecret, a.cryptKeeperKey]);
    assert.deepEqual(b.placeholderReasons, []);
  });

  it('rotates exactly one secret', () => {
    const before = loadHubSecrets(opts);
    rotateSecret({ ...opts, name: 'cookieSecret' });
    const after = loadHubSecrets(opts);
    assert.notEqual(after.cookieSecret, before.cookieSecret);
    assert.equal(after.proxySecretToken, before.proxySecretToken);
    assert.equal(after.cryptKeeperKey, before.cryptKeeperKey);
  });

  it('refuses a corrupt store instead of silently logging everyone out', () => {
    const dir = path.join(work, 'corrupt');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'jupyterhub.jupyterhub.json'), '{not json');
    assert.throws(() => loadHubSecrets({ ...opts, env: { HUB_SECRETS_DIR: dir } }), /not valid JSON[\s\S]*restore it from your backup/);
  });

  it('reads the Auth0 client secret from the store folder when the env var is unset', () => {
    const dir = path.join(work, 'file');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'auth0-client-secret'), 'from-file-secret\n');
    assert.equal(loadHubSecrets({ ...opts, env: { HUB_SECRETS_DIR: dir } }).auth0ClientSecret, 'from-file-secret');
  });

  it('npm run secrets rotate changes the synthesized cookie secret and nothing else in committed files but the checksum', () => {
    const dir = path.join(work, 'cli');
    fs.mkdirSync(dir, { recursive: true });
    const env2 = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env: env2 });
    const before = readObjects(path.join(dir, 'dist'));
    const r = runTs('src/tools/secrets-cli.ts', ['rotate', 'cookieSecret'], env2);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /every user is logged out/);
    assert.ok(!r.stdout.includes(fs.readFileSync(storeFile(env2.HUB_SECRETS_DIR!, 'jupyterhub', 'jupyterhub'), 'utf8').slice(20, 60)));
    synthesize({ env: env2 });
    const after = readObjects(path.join(dir, 'dist'));
    const sum = (objs: typeof before) => (find(objs, 'Deployment', 'hub')!.object as any).spec.template.metadata.annotations['checksum/secret'];
    assert.notEqual(sum(after), sum(before), 'the hub restarts to pick up the new secret');
    const bad = runTs('src/tools/secrets-cli.ts', ['rotate', 'everything'], env2);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /one of proxySecretToken, cookieSecret, cryptKeeperKey/);
  });
});

describe('re-applying', () => {
  it('keeps every immutable selector the same when the config changes', () => {
    const dir = path.join(work, 'sel');
    fs.mkdirSync(dir, { recursive: true });
    const selectors = (cfg: unknown, name: string) => {
      const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, cfg, `${name}.yaml`), HUB_OUTDIR: path.join(dir, name) });
      synthesize({ env });
      return readObjects(path.join(dir, name))
        .filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.object.kind))
        .map((o) => [`${o.object.kind}/${o.object.metadata.name}`, JSON.stringify((o.object as any).spec.selector)]);
    };
    const a = selectors(baseConfig(), 'a');
    const b = selectors({ ...baseConfig(), resources: { cpuLimit: 4, memoryLimit: '8G' }, cull: { timeoutSeconds: 900 }, profiles: [{ preset: 'deep-learning' }] }, 'b');
    assert.deepEqual(b, a);
  });
});

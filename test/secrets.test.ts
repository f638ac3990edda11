/** The local secret store: generated once, reused, rotated on purpose, never world-readable. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadHubSecrets, rotateSecret, storeFile } from '../src/secret-store/store';
import { synthesize } from '../src/output/synth';
import { baseConfig, find, readObjects, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();

/** No 8-character piece of `secret` (nor the whole) appears in `output`. */
function assertNoPartOf(secret: string, output: string): void {
  assert.ok(secret.length >= 8);
  for (let i = 0; i + 8 <= secret.length; i++) {
    assert.ok(!output.includes(secret.slice(i, i + 8)), `output holds part of a secret (characters ${i}-${i + 7}):\n${output.replaceAll(secret.slice(i, i + 8), '(HERE)')}`);
  }
}
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
    const file = path.join(dir, 'jupyterhub.jupyterhub.json');
    const refused = (text: string, why: RegExp) => {
      fs.writeFileSync(file, text);
      assert.throws(() => loadHubSecrets({ ...opts, env: { HUB_SECRETS_DIR: dir } }), why);
      assert.equal(fs.readFileSync(file, 'utf8'), text, 'the store is left as it was');
    };
    refused('{not json', /not valid JSON: unexpected character at line 1, column 2[\s\S]*restore it from your backup/);
    // Valid JSON that is no store: overwriting it would replace every secret.
    for (const text of ['null', '[]', '"x"', '42']) refused(text, /does not hold a JSON object[\s\S]*restore it from your backup/);
    // Two values for one key: which one is "the" cookie secret is a guess; refuse like a YAML reader.
    refused(`{"cookieSecret": "${'a'.repeat(64)}",\n "cookieSecret": "${'b'.repeat(64)}"}`, /has "cookieSecret" twice \(a JSON reader would silently keep the last one\) at line 2, column 2/);
    refused(`{"cookieSecret": "${'a'.repeat(63)}"}`, /malformed "cookieSecret" \(expected 64 hex characters\)[\s\S]*rotate cookieSecret/);
  });

  it('a malformed value can be rotated away, as the message says, keeping the other secrets', () => {
    const dir = path.join(work, 'malformed');
    const env3 = { HUB_SECRETS_DIR: dir };
    const first = loadHubSecrets({ ...opts, env: env3 });
    const file = storeFile(dir, 'jupyterhub', 'jupyterhub');
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    fs.writeFileSync(file, JSON.stringify({ ...data, cryptKeeperKey: 'not-hex' }));
    assert.throws(() => loadHubSecrets({ ...opts, env: env3 }), /npm run secrets -- rotate cryptKeeperKey/);
    rotateSecret({ ...opts, env: env3, name: 'cryptKeeperKey' });
    const again = loadHubSecrets({ ...opts, env: env3 });
    assert.match(again.cryptKeeperKey, /^[0-9a-f]{64}$/);
    assert.deepEqual([again.proxySecretToken, again.cookieSecret], [first.proxySecretToken, first.cookieSecret]);
  });

  it('a store that is a folder, or a folder that is a file: refused, nothing generated', () => {
    const dir = path.join(work, 'shapes');
    fs.mkdirSync(path.join(dir, 'jupyterhub.jupyterhub.json'), { recursive: true });
    assert.throws(() => loadHubSecrets({ ...opts, env: { HUB_SECRETS_DIR: dir } }), /jupyterhub\.jupyterhub\.json is a folder, not a file/);
    const notDir = path.join(work, 'a-file');
    fs.writeFileSync(notDir, 'x');
    assert.throws(() => loadHubSecrets({ ...opts, env: { HUB_SECRETS_DIR: notDir } }), /secret store folder .*a-file is not a folder \(a file is in the way\)/);
    assert.equal(fs.readFileSync(notDir, 'utf8'), 'x');
  });

  it('npm run secrets and synth on a corrupt store: exit 1, the file and the fix named, no part of any secret shown', () => {
    const dir = path.join(work, 'corrupt-cli');
    fs.mkdirSync(dir, { recursive: true });
    const env2 = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    const file = storeFile(env2.HUB_SECRETS_DIR!, 'jupyterhub', 'jupyterhub');
    const secret = 'c0ffee5ecret'.repeat(5).slice(0, 64);
    // The case: JSON.parse's message quoted the text around the error ("...c0ffee5e"...).
    const corrupt = [
      `{"proxySecretToken": "${secret}" x}`, // an unexpected character right after a secret
      `{"proxySecretToken": "${secret}`, // cut short inside a secret
      `{"proxySecretToken": "${secret.slice(0, 30)}\n${secret.slice(30)}"}`, // a line break inside a secret
    ];
    for (const text of corrupt) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      for (const [script, args] of [['src/tools/secrets-cli.ts', ['status']], ['src/tools/secrets-cli.ts', ['rotate', 'cookieSecret']], ['src/main.ts', []]] as const) {
        const r = runTs(script, [...args], env2);
        const what = `${script} ${args.join(' ')} on ${JSON.stringify(text.slice(0, 30))}`;
        assert.equal(r.status, 1, `${what}: exit code\n${r.stderr}`);
        assert.match(r.stderr, /^The secret store .*jupyterhub\.jupyterhub\.json is not valid JSON: .* at line \d+, column \d+\.\n/, what);
        assert.match(r.stderr, /Fix: restore it from your backup .* or move it aside \(`mv .*jupyterhub\.jupyterhub\.json .*\.broken`\)/, what);
        assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, what);
        assertNoPartOf(secret, r.stdout + r.stderr);
      }
      assert.equal(fs.readFileSync(file, 'utf8'), text, 'the corrupt store is kept for recovery');
    }
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
    const store = JSON.parse(fs.readFileSync(storeFile(env2.HUB_SECRETS_DIR!, 'jupyterhub', 'jupyterhub'), 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(store).sort(), ['cookieSecret', 'cryptKeeperKey', 'proxySecretToken']);
    for (const v of Object.values(store)) assertNoPartOf(v, r.stdout + r.stderr);
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

/**
 * The leak check that guards every synth: a secret that would land in a committed file stops the
 * synth, and the message says which config value equals which kind of secret, never the secret.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { findLeaks, leakError, namedSecrets } from '../src/output/leak-check';
import { synthesize } from '../src/output/synth';
import { UserError } from '../src/util/errors';
import { baseConfig, runTs, snapshot, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-leak-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

const HEX = (c: string) => c.repeat(64);
const secrets = (auth0: string) => ({ proxySecretToken: HEX('a'), cookieSecret: HEX('b'), cryptKeeperKey: HEX('c'), auth0ClientSecret: auth0, placeholderReasons: [] });

describe('findLeaks', () => {
  it('finds a secret as written and base64-encoded, only in files meant to be committed', () => {
    const named = namedSecrets(secrets('Auth0-Secret-1234567890'));
    const files = new Map([
      ['02-secrets.secret.yaml', 'data: Auth0-Secret-1234567890'],
      ['10-jupyterhub.yaml', 'x: fine'],
      ['values/z2jh-values.yaml', `y: ${Buffer.from('Auth0-Secret-1234567890').toString('base64')}`],
    ]);
    const found = findLeaks(files, named);
    assert.deepEqual(found.map((f) => [f.secret.kind, f.files]), [['the Auth0 client secret', ['values/z2jh-values.yaml']]]);
    assert.deepEqual(findLeaks(new Map([['10-jupyterhub.yaml', 'x: fine']]), named), []);
  });

  it('a generated secret in the output with no config value to blame is a bug: exit code 70', () => {
    const named = namedSecrets(secrets('Auth0-Secret-1234567890'));
    const err = leakError(findLeaks(new Map([['10-jupyterhub.yaml', `token: ${HEX('b')}`]]), named), baseConfig());
    assert.ok(err instanceof UserError);
    assert.equal(err.exitCode, 70);
    assert.match(err.message, /the cookie secret \(it would appear in 10-jupyterhub\.yaml\), though no config value holds it\nThis is a bug/);
    assert.ok(!err.message.includes(HEX('b')));
  });
});

describe('synth refuses a secret that equals an ordinary value, saying which', () => {
  /** Synth with `auth0Secret` and `config`: must fail with exit code 1 and leave dist/ as it was. */
  function refused(name: string, auth0Secret: string, config: Record<string, any>): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    const good = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig(), 'good.yaml') });
    synthesize({ env: good });
    const before = snapshot(path.join(dir, 'dist'));
    const env = { ...good, HUB_CONFIG: writeConfig(dir, config), AUTH0_CLIENT_SECRET: auth0Secret };
    let caught: unknown;
    try {
      synthesize({ env });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
    assert.equal(caught.exitCode, 1);
    assert.doesNotMatch(caught.message, /This is a bug/);
    assert.match(caught.message, /^Refusing to write dist\/: a secret would land in files that are meant to be committed\.\n/);
    assert.match(caught.message, /\nNothing was written; dist\/ is unchanged\.$/);
    assert.deepEqual(snapshot(path.join(dir, 'dist')), before, 'dist/ unchanged');
    return caught.message;
  }

  it('the Auth0 client secret pasted as the client id (the issue\'s case)', () => {
    const pasted = 'Xq7Vb2Lm9Rt4Kp1Zs8Wd3Nf6Hc0Yg5Je';
    const cfg = baseConfig() as Record<string, any>;
    cfg.auth0.clientId = pasted;
    const msg = refused('client-id', pasted, cfg);
    assert.match(msg, /\n  auth0\.clientId equals the Auth0 client secret \(it would appear in values\/z2jh-values\.yaml\)\n/);
    assert.match(msg, /Fix: auth0\.clientId takes the application's Client ID and AUTH0_CLIENT_SECRET .* its Client Secret: two different values/);
    for (let i = 0; i + 8 <= pasted.length; i++) assert.ok(!msg.includes(pasted.slice(i, i + 8)), 'no part of the secret is shown');
  });

  it('a secret that is a common word the config uses (the namespace)', () => {
    const msg = refused('common-word', 'jupyterhub', baseConfig() as Record<string, any>);
    assert.match(msg, /\n  namespace equals the Auth0 client secret \(it would appear in 00-namespace\.yaml, /);
    assert.match(msg, /Fix: set env AUTH0_CLIENT_SECRET .* to the Client Secret shown in the Auth0 dashboard .*\(namespace is written into committed files, so no secret may equal it\.\)/);
    assert.ok(!/jupyterhub/.test(msg.replace(/\d\d-jupyterhub\.yaml/g, '')), 'the value is not shown');
  });

  it('a secret that occurs in the output by itself, in no config value', () => {
    const msg = refused('by-itself', 'kubernetes', baseConfig() as Record<string, any>);
    assert.match(msg, /\n  the Auth0 client secret is ordinary text that occurs in the output by itself \(it would appear in .*\): a name or a common word, not a real secret\n/);
    assert.match(msg, /Fix: set env AUTH0_CLIENT_SECRET/);
  });

  it('a generated secret pasted into the config', () => {
    const dir = path.join(work, 'generated');
    fs.mkdirSync(dir, { recursive: true });
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig(), 'good.yaml') });
    synthesize({ env });
    const store = JSON.parse(fs.readFileSync(path.join(env.HUB_SECRETS_DIR!, 'jupyterhub.jupyterhub.json'), 'utf8')) as Record<string, string>;
    const cfg = baseConfig() as Record<string, any>;
    cfg.profiles = [{ preset: 'data-science', displayName: `Data science ${store.cookieSecret}` }];
    const r = runTs('src/main.ts', [], { ...env, HUB_CONFIG: writeConfig(dir, cfg) });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /\n  profiles\[0\]\.displayName contains the cookie secret \(it would appear in /);
    assert.match(r.stderr, /Fix: take it out of profiles\[0\]\.displayName: that value is a secret, .* then it is generated into the secret store; replace it with `npm run secrets -- rotate cookieSecret`/);
    assert.ok(!(r.stdout + r.stderr).includes(store.cookieSecret.slice(0, 16)));
    assert.doesNotMatch(r.stderr, /internal error|This is a bug/);
  });
});

/**
 * Pods restart when a secret they read only at start changes: the Auth0 client secret and the
 * PostgreSQL password (env vars of the hub), the TLS certificate (configurable-http-proxy loads
 * it once). The pod-template annotations change with the secret and reveal nothing about it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { App, Chart } from 'cdk8s';
import { TlsSecret } from '../src/cluster/tls-secret';
import { secretFingerprint } from '../src/hub/restart-annotations';
import { synthesize } from '../src/output/synth';
import { baseConfig, synthEnv, tmpdir, writeConfig } from './helpers';
import * as yaml from 'js-yaml';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function podAnnotations(files: ReadonlyMap<string, string>, name: string): Record<string, string> {
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml')) continue;
    for (const doc of yaml.loadAll(text) as any[]) {
      if (doc?.kind === 'Deployment' && doc.metadata.name === name) return doc.spec.template.metadata.annotations ?? {};
    }
  }
  throw new Error(`no Deployment ${name}`);
}

describe('restart fingerprints', () => {
  const dir = path.join(work, 'pg');
  fs.mkdirSync(dir, { recursive: true });
  const config = writeConfig(dir, { ...baseConfig(), hubDatabase: { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' } });
  const synth = (extra: Record<string, string>) => synthesize({ env: synthEnv(dir, { HUB_CONFIG: config, HUB_DB_PASSWORD: 'pw-one', ...extra }), dryRun: true }).files;
  const a = podAnnotations(synth({}), 'hub');

  it('stay the same for the same secrets (byte-identical dist/)', () => {
    assert.deepEqual(podAnnotations(synth({}), 'hub'), a);
  });

  it('change the hub when the Auth0 client secret or the database password changes', () => {
    const rotated = podAnnotations(synth({ AUTH0_CLIENT_SECRET: 'SENTINEL-rotated-client-secret-99' }), 'hub');
    assert.notEqual(rotated['checksum/auth0-client-secret'], a['checksum/auth0-client-secret']);
    assert.equal(rotated['checksum/hub-db-password'], a['checksum/hub-db-password']);
    const newPw = podAnnotations(synth({ HUB_DB_PASSWORD: 'pw-two' }), 'hub');
    assert.notEqual(newPw['checksum/hub-db-password'], a['checksum/hub-db-password']);
    assert.equal(newPw['checksum/auth0-client-secret'], a['checksum/auth0-client-secret']);
  });

  it('are keyed: not a hash anyone could recompute from a guessed password', () => {
    const v = a['checksum/hub-db-password'];
    assert.match(v, /^[0-9a-f]{64}$/);
    for (const guess of ['pw-one', 'hub-db-password\0pw-one']) assert.notEqual(v, createHash('sha256').update(guess).digest('hex'));
    assert.equal(secretFingerprint('key-1', 'x', 'pw'), secretFingerprint('key-1', 'x', 'pw'));
    assert.notEqual(secretFingerprint('key-1', 'x', 'pw'), secretFingerprint('key-2', 'x', 'pw'), 'another key, another value');
    assert.notEqual(secretFingerprint('key-1', 'x', 'pw'), secretFingerprint('key-1', 'y', 'pw'), 'purposes do not collide');
    assert.throws(() => secretFingerprint('', 'x', 'pw'));
  });

  it('change the proxy when the certificate or key changes (configurable-http-proxy reads them once)', () => {
    const tls = (certPem: string, keyPem: string) => {
      const chart = new Chart(new App(), 'c');
      return new TlsSecret(chart, 'Tls', { name: 't', namespace: 'n', certPem, keyPem, fingerprintKey: 'cookie' }).proxyPodAnnotations['checksum/tls-certificate'];
    };
    assert.match(tls('CERT-1', 'KEY-1'), /^[0-9a-f]{64}$/);
    assert.equal(tls('CERT-1', 'KEY-1'), tls('CERT-1', 'KEY-1'));
    assert.notEqual(tls('CERT-2', 'KEY-1'), tls('CERT-1', 'KEY-1'));
    assert.notEqual(tls('CERT-1', 'KEY-2'), tls('CERT-1', 'KEY-1'));
  });

  it('are left out of the committed values file, like other secrets', () => {
    const values = synth({}).get('values/z2jh-values.yaml')!;
    assert.match(values, /checksum\/auth0-client-secret: "?\(fingerprint of a secret\)"?/);
    assert.ok(!values.includes(a['checksum/auth0-client-secret']));
  });
});

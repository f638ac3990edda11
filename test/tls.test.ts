/**
 * Certificate and key checks (tls.mode: secret), against certificates made here with the openssl
 * CLI: pairs, chains, order, hosts, expiry, encrypted keys, and that no message ever shows key
 * material.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readTlsMaterial, TlsCheckError, TlsMaterial } from '../src/cluster/tls-check';
import { ConfigError } from '../src/config/errors';
import { parseConfig } from '../src/config/load';
import { synthesize } from '../src/output/synth';
import { baseConfig, readObjects, find, synthEnv, tmpdir, writeConfig } from './helpers';

const OPENSSL = fs.existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : 'openssl';
const DOMAIN = 'hub.example.org';
const DAY = 24 * 3600 * 1000;

const work = tmpdir('mk8s-jh-tls-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

const dir = path.join(work, 'pki');
fs.mkdirSync(dir);
const f = (name: string) => path.join(dir, name);
const ssl = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

// A self-signed leaf (RSA, as `openssl req -x509` makes it: it also says CA:TRUE).
ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.crt', '-days', '365',
  '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN}`);
// Root CA -> intermediate CA -> leaf (EC: quick to make).
ssl('req', '-x509', ...EC, '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '3650', '-subj', '/CN=Test Root CA');
fs.writeFileSync(f('int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
ssl('req', ...EC, '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=Test Intermediate CA');
ssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-set_serial', '2', '-days', '3650', '-extfile', 'int.ext', '-out', 'int.crt');
fs.writeFileSync(f('leaf.ext'), `basicConstraints=CA:FALSE\nsubjectAltName=DNS:${DOMAIN}\nextendedKeyUsage=serverAuth\n`);
ssl('req', ...EC, '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${DOMAIN}`);
ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-set_serial', '3', '-days', '90', '-extfile', 'leaf.ext', '-out', 'leaf.crt');
// A key that belongs to nothing, and a certificate for another host.
ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key');
ssl('req', '-x509', ...EC, '-nodes', '-keyout', 'wronghost.key', '-out', 'wronghost.crt', '-days', '365',
  '-subj', '/CN=other.example.org', '-addext', 'subjectAltName=DNS:other.example.org');
// Encrypted keys: PKCS#8 and the traditional "Proc-Type: 4,ENCRYPTED" form.
ssl('pkey', '-in', 'leaf.key', '-aes256', '-passout', 'pass:pw', '-out', 'leaf-encrypted.key');
ssl('rsa', '-in', 'self.key', '-aes256', '-traditional', '-passout', 'pass:pw', '-out', 'self-encrypted.key');

const read = (name: string) => fs.readFileSync(f(name), 'utf8');
fs.writeFileSync(f('fullchain.crt'), read('leaf.crt') + read('int.crt'));
fs.writeFileSync(f('fullchain-root.crt'), read('leaf.crt') + read('int.crt') + read('root.crt'));
fs.writeFileSync(f('reversed.crt'), read('int.crt') + read('leaf.crt'));
fs.writeFileSync(f('no-intermediate.crt'), read('leaf.crt') + read('root.crt'));
fs.writeFileSync(f('with-key.crt'), read('leaf.crt') + read('int.crt') + read('leaf.key'));

/** Every line of every key's PEM body: none may ever reach a message. */
const KEY_LINES = fs.readdirSync(dir).filter((n) => n.endsWith('.key')).flatMap((n) =>
  read(n).split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----') && !l.includes(':')));
assert.ok(KEY_LINES.length > 20, 'key material collected');

function assertNoKeyMaterial(text: string): void {
  for (const line of KEY_LINES) assert.ok(!text.includes(line), `key material in a message: ${text}`);
  assert.doesNotMatch(text, /^\s*at /m, 'no stack trace');
}

function check(cert: string, key: string, opts: { domain?: string; now?: Date } = {}): TlsMaterial {
  const m = readTlsMaterial({ certFile: f(cert), keyFile: f(key), domain: opts.domain ?? DOMAIN, now: opts.now });
  for (const w of m.warnings) assertNoKeyMaterial(w);
  return m;
}

/** The TlsCheckError of a failing check, after asserting its messages hold no key material. */
function failure(cert: string, key: string, opts: { domain?: string; now?: Date } = {}): TlsCheckError {
  let caught: unknown;
  try {
    check(cert, key, opts);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof TlsCheckError, `expected a TlsCheckError, got ${String(caught)}`);
  assertNoKeyMaterial(caught.message);
  for (const i of caught.issues) assertNoKeyMaterial(`${i.path} ${i.value} ${i.message} ${i.fix ?? ''}`);
  return caught;
}

const validity = (name: string) => {
  const c = new X509Certificate(read(name));
  return { from: Date.parse(c.validFrom), to: Date.parse(c.validTo) };
};

describe('good pairs', () => {
  it('a self-signed leaf for the domain', () => {
    const m = check('self.crt', 'self.key');
    assert.deepEqual(m.warnings, []);
    assert.equal(m.certPem, read('self.crt'));
    assert.equal(m.keyPem, read('self.key'));
  });

  it('leaf + intermediate, in order (and with the root appended)', () => {
    assert.equal(check('fullchain.crt', 'leaf.key').certPem, read('fullchain.crt'));
    check('fullchain-root.crt', 'leaf.key');
  });
});

describe('bad pairs', () => {
  it('a key that does not match the certificate', () => {
    const e = failure('fullchain.crt', 'other.key');
    assert.deepEqual(e.issues.map((i) => i.path), ['tls.keyFile']);
    assert.equal(e.issues[0].value, JSON.stringify(f('other.key')));
    assert.match(e.issues[0].message, /does not match the certificate in ".*fullchain\.crt"/);
  });

  it('a self-signed certificate with the wrong key gets no extra "CA first" complaint', () => {
    const e = failure('self.crt', 'leaf.key');
    assert.deepEqual(e.issues.map((i) => i.path), ['tls.keyFile']);
  });

  it('a certificate for another host', () => {
    const e = failure('wronghost.crt', 'wronghost.key');
    assert.deepEqual(e.issues.map((i) => i.path), ['tls.certFile']);
    assert.match(e.issues[0].message, /does not cover the domain "hub\.example\.org" \(it covers: DNS:other\.example\.org\)/);
    assert.ok(e.issues[0].value!.includes('wronghost.crt'));
  });

  it('the right certificate for another domain setting', () => {
    const e = failure('self.crt', 'self.key', { domain: 'jupyter.example.org' });
    assert.match(e.message, /tls\.certFile: does not cover the domain "jupyter\.example\.org"/);
  });

  it('a chain written out of order (intermediate first): one clear problem', () => {
    const e = failure('reversed.crt', 'leaf.key');
    assert.equal(e.issues.length, 1, e.message);
    assert.equal(e.issues[0].path, 'tls.certFile');
    assert.match(e.issues[0].message, /the server certificate is certificate #2 in the file; it must come first/);
    assert.ok(e.issues[0].value!.includes('reversed.crt'));
  });

  it('an incomplete chain (intermediate missing)', () => {
    const e = failure('no-intermediate.crt', 'leaf.key');
    assert.deepEqual(e.issues.map((i) => i.path), ['tls.certFile']);
    assert.match(e.issues[0].message, /certificate #1 was not issued by certificate #2/);
  });

  for (const key of ['leaf-encrypted.key', 'self-encrypted.key']) {
    it(`an encrypted key (${key})`, () => {
      const e = failure(key.startsWith('leaf') ? 'fullchain.crt' : 'self.crt', key);
      assert.deepEqual(e.issues.map((i) => i.path), ['tls.keyFile'], e.message);
      assert.match(e.issues[0].message, /encrypted with a passphrase/);
      assert.ok(e.issues[0].value!.includes(key));
      assert.match(e.issues[0].fix!, /openssl pkey/);
    });
  }

  it('a certificate file that also holds the private key', () => {
    const e = failure('with-key.crt', 'leaf.key');
    assert.deepEqual(e.issues.map((i) => i.path), ['tls.certFile']);
    assert.match(e.issues[0].message, /contains a private key/);
    assert.ok(e.issues[0].value!.includes('with-key.crt'));
  });

  it('cert and key swapped', () => {
    const e = failure('leaf.key', 'leaf.crt');
    const paths = e.issues.map((i) => i.path);
    assert.ok(paths.includes('tls.certFile') && paths.includes('tls.keyFile'), paths.join(', '));
    assert.match(e.message, /tls\.keyFile: holds no PEM private key/);
  });

  it('missing files: both named', () => {
    const e = failure('nope.crt', 'nope.key');
    assert.deepEqual(e.issues.map((i) => [i.path, i.value]), [
      ['tls.certFile', JSON.stringify(f('nope.crt'))],
      ['tls.keyFile', JSON.stringify(f('nope.key'))],
    ]);
  });

  it('PEM text pasted where a file name goes is never echoed', () => {
    const pasted = read('leaf.key');
    let caught: unknown;
    try {
      readTlsMaterial({ certFile: f('fullchain.crt'), keyFile: pasted, domain: DOMAIN });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof TlsCheckError);
    assert.equal(caught.issues[0].path, 'tls.keyFile');
    assert.match(caught.issues[0].value!, /hidden/);
    assertNoKeyMaterial(JSON.stringify(caught.issues));
    // ...and the schema refuses it before any file is read.
    const c = { ...baseConfig(), tls: { mode: 'secret' as const, certFile: 'hub.crt', keyFile: pasted } };
    assert.throws(() => parseConfig(c, 'bad.yaml'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /tls\.keyFile = \(hidden[^\n]*\n    must be the path to a PEM file/);
      assertNoKeyMaterial(err.message);
      return true;
    });
  });
});

describe('validity dates (with the now option)', () => {
  const self = validity('self.crt');

  it('expired: an error naming the file', () => {
    const e = failure('self.crt', 'self.key', { now: new Date(self.to + DAY) });
    assert.deepEqual(e.issues.map((i) => i.path), ['tls.certFile']);
    assert.match(e.issues[0].message, new RegExp(`expired on ${new Date(self.to).toISOString().slice(0, 10)}`));
    assert.ok(e.issues[0].value!.includes('self.crt'));
  });

  it('expires within 30 days: a warning naming the file', () => {
    const m = check('self.crt', 'self.key', { now: new Date(self.to - 10 * DAY) });
    assert.equal(m.warnings.length, 1);
    assert.match(m.warnings[0], /tls\.certFile ".*self\.crt" expires on \d{4}-\d\d-\d\d \(in 10 days\): renew it soon\./);
  });

  it('31 days left: no warning', () => {
    assert.deepEqual(check('self.crt', 'self.key', { now: new Date(self.to - 31 * DAY) }).warnings, []);
  });

  it('not yet valid', () => {
    const e = failure('self.crt', 'self.key', { now: new Date(self.from - DAY) });
    assert.match(e.issues[0].message, /is not valid before/);
  });

  it('the leaf is dated, not the first certificate of a misordered file', () => {
    const leaf = validity('leaf.crt');
    const e = failure('reversed.crt', 'leaf.key', { now: new Date(leaf.to + DAY) });
    assert.deepEqual(e.issues.map((i) => i.message.replace(/ on .*/, '')), ['the server certificate is certificate #2 in the file; it must come first', 'expired']);
  });

  it('an expired intermediate is an error too', () => {
    const int = validity('int.crt');
    const e = failure('fullchain.crt', 'leaf.key', { now: new Date(int.to + DAY) });
    assert.ok(e.issues.some((i) => /chain certificate #2 \(CN=Test Intermediate CA\) expired/.test(i.message)), e.message);
  });
});

describe('synth with tls.mode secret', () => {
  const synthWith = (name: string, tls: Record<string, unknown>) => {
    const d = path.join(work, name);
    fs.mkdirSync(d);
    for (const file of ['fullchain.crt', 'leaf.key', 'other.key']) fs.copyFileSync(f(file), path.join(d, file));
    const env = synthEnv(d, { HUB_CONFIG: writeConfig(d, { ...baseConfig(), tls }) });
    return { d, run: () => synthesize({ env }) };
  };

  it('a mismatched pair is a ConfigError naming tls.keyFile, and nothing is written', () => {
    const { d, run } = synthWith('mismatch', { mode: 'secret', certFile: 'fullchain.crt', keyFile: 'other.key' });
    assert.throws(run, (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.deepEqual(err.issues.map((i) => i.path), ['tls.keyFile']);
      assert.match(err.message, /config\.yaml \(1 problem\)/);
      assert.match(err.message, /tls\.keyFile = ".*other\.key"\n    does not match the certificate in ".*fullchain\.crt"/);
      assertNoKeyMaterial(err.message);
      return true;
    });
    assert.equal(fs.existsSync(path.join(d, 'dist')), false);
  });

  it('a good chain becomes the kubernetes.io/tls Secret, relative paths from the config file', () => {
    const { d, run } = synthWith('good', { mode: 'secret', certFile: 'fullchain.crt', keyFile: 'leaf.key' });
    run();
    const secret = find(readObjects(path.join(d, 'dist')), 'Secret', 'jupyterhub-tls')!.object as any;
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.equal(Buffer.from(secret.data['tls.crt'], 'base64').toString(), read('fullchain.crt'));
    assert.equal(Buffer.from(secret.data['tls.key'], 'base64').toString(), read('leaf.key'));
  });
});

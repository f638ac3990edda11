/**
 * Checks a PEM certificate/key pair before it becomes a Secret: the key matches, the
 * certificate covers the domain, it is valid now and for 30 more days, and the file holds the
 * leaf first with its chain after it. Messages name files, never key material.
 */
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigIssue, show } from '../config/errors';

export interface TlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  readonly warnings: readonly string[];
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** Any PEM private key: PKCS#8, PKCS#1 (RSA), SEC1 (EC), DSA, OpenSSH, encrypted. */
// Written so that this file holds no literal PEM key header (secret scanners flag those).
const KEY_BLOCK = new RegExp(`-----BEGIN ([A-Z0-9]+ )*${'PRIVATE'} KEY-----`);
const DAY = 24 * 3600 * 1000;

export class TlsCheckError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  }
}

/** A file name for a message; a "name" that holds PEM text (a pasted key) is never printed. */
function showFile(file: string): string {
  // eslint-disable-next-line no-control-regex
  if (/-----BEGIN|PRIVATE KEY|[\u0000-\u001f\u007f-\u009f]/.test(file)) return '(hidden: not a file name)';
  return show(file);
}

function readFile(file: string, field: string, issues: ConfigIssue[]): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    if (st.size > 1024 * 1024) {
      issues.push({ path: field, value: showFile(file), message: 'is over 1 MiB: not a PEM file' });
      return undefined;
    }
    return fs.readFileSync(file, 'utf8');
  } catch {
    issues.push({ path: field, value: showFile(file), message: 'cannot be read (no such file, or no permission)', fix: 'check the path; relative paths resolve from the config file\'s folder' });
    return undefined;
  }
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether `key` belongs to `cert`; false (not a throw) for mismatched key types. */
function matches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** Reads and checks the pair; throws TlsCheckError with every problem found. */
export function readTlsMaterial(opts: {
  certFile: string;
  keyFile: string;
  domain: string;
  now?: Date;
}): TlsMaterial {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const now = (opts.now ?? new Date()).getTime();
  const certText = readFile(opts.certFile, 'tls.certFile', issues);
  const keyText = readFile(opts.keyFile, 'tls.keyFile', issues);
  const certName = showFile(opts.certFile);
  const keyName = showFile(opts.keyFile);

  let certs: X509Certificate[] = [];
  if (certText !== undefined) {
    if (KEY_BLOCK.test(certText)) {
      issues.push({ path: 'tls.certFile', value: certName, message: 'contains a private key; the certificate file must hold only certificates', fix: 'split the key into its own file and set tls.keyFile to it' });
    }
    const blocks = certText.match(CERT_BLOCK) ?? [];
    if (blocks.length === 0) {
      issues.push({ path: 'tls.certFile', value: certName, message: 'holds no PEM certificate ("-----BEGIN CERTIFICATE-----")', fix: 'point it at the PEM certificate (fullchain) file' });
    }
    try {
      certs = blocks.map((b) => new X509Certificate(b));
    } catch {
      issues.push({ path: 'tls.certFile', value: certName, message: 'holds a certificate block that does not parse', fix: 'check the file is an unmodified PEM export' });
    }
  }

  let key: KeyObject | undefined;
  if (keyText !== undefined) {
    if (/ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(keyText)) {
      issues.push({ path: 'tls.keyFile', value: keyName, message: 'is encrypted with a passphrase; the proxy cannot use it', fix: 'write a decrypted copy (openssl pkey -in encrypted.key -out hub.key) and point tls.keyFile at it' });
    } else if (!KEY_BLOCK.test(keyText)) {
      issues.push({ path: 'tls.keyFile', value: keyName, message: 'holds no PEM private key', fix: 'point it at the private key file (the PEM file that starts with a "BEGIN ... PRIVATE KEY" line)' });
    } else {
      try {
        key = createPrivateKey(keyText);
      } catch {
        issues.push({ path: 'tls.keyFile', value: keyName, message: 'holds a private key that does not parse' });
      }
    }
  }

  if (certs.length > 0) {
    // Which certificate is the server's own (the leaf)? The one the key belongs to; without a
    // usable key, the first one that is not a CA. All further checks look at that one, so a
    // misordered file gets one clear message, not a cascade about the intermediate.
    const keyMatch = key ? certs.findIndex((c) => matches(c, key!)) : -1;
    let leafIndex = 0;
    if (key && keyMatch < 0) {
      issues.push({ path: 'tls.keyFile', value: keyName, message: `does not match the certificate in ${certName}`, fix: 'use the key the certificate was issued for' });
    } else if (keyMatch > 0) {
      leafIndex = keyMatch;
      issues.push({ path: 'tls.certFile', value: certName, message: `the server certificate is certificate #${keyMatch + 1} in the file; it must come first`, fix: 'reorder the file: the server (leaf) certificate first, then intermediates' });
    } else if (!key && certs.length > 1 && certs[0].ca) {
      const firstLeaf = certs.findIndex((c) => !c.ca);
      if (firstLeaf > 0) {
        leafIndex = firstLeaf;
        issues.push({ path: 'tls.certFile', value: certName, message: `starts with a CA certificate; the server (leaf) certificate (#${firstLeaf + 1}) must come first`, fix: 'reorder the file: leaf first, then intermediates' });
      }
    }
    const leaf = certs[leafIndex];
    if (!leaf.checkHost(opts.domain)) {
      const covers = (leaf.subjectAltName ?? leaf.subject).replace(/\s*\n\s*/g, ', ');
      issues.push({ path: 'tls.certFile', value: certName, message: `does not cover the domain "${opts.domain}" (it covers: ${covers})`, fix: 'get a certificate whose subjectAltName includes the domain, or fix `domain`' });
    }
    const notAfter = Date.parse(leaf.validTo);
    const notBefore = Date.parse(leaf.validFrom);
    if (notAfter < now) {
      issues.push({ path: 'tls.certFile', value: certName, message: `expired on ${day(notAfter)}`, fix: 'renew the certificate' });
    } else if (notBefore > now) {
      issues.push({ path: 'tls.certFile', value: certName, message: `is not valid before ${day(notBefore)}`, fix: 'check the machine clock or the certificate' });
    } else if (notAfter - now < 30 * DAY) {
      warnings.push(`tls.certFile ${certName} expires on ${day(notAfter)} (in ${Math.ceil((notAfter - now) / DAY)} days): renew it soon.`);
    }
    if (leafIndex === 0) {
      for (let i = 0; i + 1 < certs.length; i++) {
        if (!certs[i].checkIssued(certs[i + 1])) {
          issues.push({ path: 'tls.certFile', value: certName, message: `certificate #${i + 1} was not issued by certificate #${i + 2}: the chain is out of order or incomplete`, fix: 'order the file leaf, intermediate(s), and leave the root out' });
          break;
        }
      }
      for (let i = 1; i < certs.length; i++) {
        const end = Date.parse(certs[i].validTo);
        if (end < now) {
          issues.push({ path: 'tls.certFile', value: certName, message: `chain certificate #${i + 1} (${certs[i].subject.replace(/\s*\n\s*/g, ', ')}) expired on ${day(end)}`, fix: 'get the current chain (fullchain) from your certificate authority' });
        }
      }
    }
  }
  if (issues.length > 0) throw new TlsCheckError(issues);
  return { certPem: certText!, keyPem: keyText!, warnings };
}

/** Resolves a config path (relative to the config file's folder). */
export function resolveConfigPath(baseDir: string, file: string): string {
  return path.resolve(baseDir, file);
}

/**
 * Pod-template annotations that restart a pod when a secret it reads only at start changes
 * (an env var from a Secret, or a certificate configurable-http-proxy loads once), without saying
 * anything about the secret.
 *
 * Why a keyed HMAC and not a plain hash: the Deployments land in dist/, which is committed and
 * readable by anyone who may `get` Deployments, while the secrets are not. A plain SHA-256 of a
 * low-entropy value (a database password someone typed) can be brute-forced offline from its hash.
 * HMAC-SHA256 keyed with the hub's cookie secret (32 random bytes from the secret store, which only
 * lives in Secrets and the gitignored store) gives a value that changes with the secret and is
 * useless without the key. Rotating the cookie secret changes every fingerprint: that restarts the
 * hub and proxy once, which a new cookie secret needs anyway.
 */
import { createHmac } from 'node:crypto';

/** Annotation keys set here; `diff` masks them like the chart's own `checksum/secret`. */
export const RESTART_ANNOTATIONS = {
  auth0ClientSecret: 'checksum/auth0-client-secret',
  hubDatabasePassword: 'checksum/hub-db-password',
  tlsCertificate: 'checksum/tls-certificate',
} as const;

/** Hub pod annotations for the PostgreSQL password (the hub reads PGPASSWORD at start); none without a key. */
export function hubDatabaseRestartAnnotations(key: string | undefined, password: string): Record<string, string> {
  return key ? { [RESTART_ANNOTATIONS.hubDatabasePassword]: secretFingerprint(key, 'hub-db-password', password) } : {};
}

/** Proxy pod annotations for the TLS certificate and key (configurable-http-proxy loads them at start); none without a key. */
export function tlsRestartAnnotations(key: string | undefined, certPem: string, keyPem: string): Record<string, string> {
  return key ? { [RESTART_ANNOTATIONS.tlsCertificate]: secretFingerprint(key, 'tls-certificate', `${certPem}\0${keyPem}`) } : {};
}

/**
 * HMAC-SHA256(key, purpose NUL value), hex. `purpose` separates the uses, so two secrets with the
 * same value do not show as equal fingerprints.
 */
export function secretFingerprint(key: string, purpose: string, value: string): string {
  if (!key) throw new Error('secretFingerprint: an empty key would make the fingerprint a plain hash');
  return createHmac('sha256', key).update(`${purpose}\0${value}`).digest('hex');
}

/**
 * The hub's own secrets (proxy token, cookie secret, crypt keeper key), generated once with a
 * cryptographic RNG and kept in a gitignored local store, so every synth renders the same ones:
 * dist/ diffs clean and an apply never logs users out. The Auth0 client secret comes from
 * env AUTH0_CLIENT_SECRET or the store's `auth0-client-secret` file.
 *
 * Where no store exists on a CI runner (CI=true), or HUB_SECRETS=placeholder, fixed and clearly
 * marked placeholders are used instead: still deterministic, never deployable.
 */
import { envFlag } from '../util/env-flag';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { formatPosition, parseStrictJson } from '../util/strict-json';
import { PROJECT_ROOT } from '../util/project-root';

export const GENERATED_SECRET_NAMES = ['proxySecretToken', 'cookieSecret', 'cryptKeeperKey'] as const;
export type GeneratedSecretName = (typeof GENERATED_SECRET_NAMES)[number];

export interface HubSecrets {
  readonly proxySecretToken: string;
  readonly cookieSecret: string;
  readonly cryptKeeperKey: string;
  readonly auth0ClientSecret: string;
  /** PostgreSQL password of the hub database (only when requested). */
  readonly hubDatabasePassword?: string;
  /** Why the output is not deployable; empty when every secret is real. */
  readonly placeholderReasons: readonly string[];
}

export const PLACEHOLDER_PREFIX = 'PLACEHOLDER-NOT-DEPLOYABLE';

export function secretsDir(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.HUB_SECRETS_DIR ?? path.join(PROJECT_ROOT, '.secrets'));
}

export function storeFile(dir: string, namespace: string, release: string): string {
  return path.join(dir, `${namespace}.${release}.json`);
}

/** 32 random bytes as hex: what JupyterHub wants for cookie secrets and crypt keys. */
export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}

/** A deterministic, obviously fake value of the right shape (64 characters). */
export function placeholderSecret(name: string): string {
  return `${PLACEHOLDER_PREFIX}-${name}-`.padEnd(64, 'x');
}


/**
 * The store's contents; undefined only when the file does not exist. Anything else (unreadable,
 * not JSON, not an object, a malformed value) is refused: silently starting over would generate
 * new secrets and log every user out. Messages name the file and the position, never its text.
 */
export function readStore(file: string, opts: { readonly replacing?: GeneratedSecretName } = {}): Partial<Record<GeneratedSecretName, string>> | undefined {
  const shown = path.relative(process.cwd(), file) || file;
  const recover = 'Fix: restore it from your backup (users stay logged in), or move it aside ' +
    `(\`mv ${shown} ${shown}.broken\`) and synth again: new secrets are generated, which logs every user out on the next deploy.`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') {
      throw new UserError(`The secret store folder ${path.relative(process.cwd(), path.dirname(file)) || path.dirname(file)} is not a folder (a file is in the way).\nFix: move that file aside, or point HUB_SECRETS_DIR at a folder.`);
    }
    const why = code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (no permission)' : `cannot be read (${code ?? 'unknown error'})`;
    throw new UserError(`The secret store ${shown} ${why}.\n${recover}`);
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) {
    const p = parsed.problems[0];
    // Only our own key names are shown: any other text of the file could be a secret.
    const key = p.path?.length === 1 && (GENERATED_SECRET_NAMES as readonly (string | number)[]).includes(p.path[0]) ? `"${p.path[0]}"` : 'a key';
    const what = p.path ? `has ${key} twice (a JSON reader would silently keep the last one)` : `is not valid JSON: ${p.reason}`;
    throw new UserError(`The secret store ${shown} ${what} at ${formatPosition(p)}.\n${recover}`);
  }
  const data = parsed.value;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`The secret store ${shown} does not hold a JSON object (of proxySecretToken, cookieSecret, cryptKeeperKey).\n${recover}`);
  }
  const out: Partial<Record<GeneratedSecretName, string>> = {};
  for (const k of GENERATED_SECRET_NAMES) {
    const v = (data as Record<string, unknown>)[k];
    if (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) out[k] = v;
    else if (v !== undefined && k !== opts.replacing) throw new UserError(`The secret store ${shown} has a malformed "${k}" (expected 64 hex characters).\nFix: rotate it with \`npm run secrets -- rotate ${k}\`.`);
  }
  return out;
}

/** Writes atomically, mode 0600, in a 0700 folder. */
export function writeStore(file: string, data: Record<GeneratedSecretName, string>): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'is a file, or lies under one, not a folder' : `cannot be created (${code ?? 'unknown error'})`;
    throw new UserError(`The secret store folder ${path.relative(process.cwd(), dir) || dir} ${why}.\nFix: move that file aside, or point HUB_SECRETS_DIR at a folder.`);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** A user-provided secret: env var first, then a file in the secret store folder. */
function readProvidedSecret(env: NodeJS.ProcessEnv, dir: string, envName: string, file: string): string | undefined {
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  try {
    const v = fs.readFileSync(path.join(dir, file), 'utf8').trim();
    return v || undefined;
  } catch {
    return undefined;
  }
}

export interface LoadSecretsOptions {
  readonly namespace: string;
  readonly release: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Also read the hub database password (env HUB_DB_PASSWORD or .secrets/hub-db-password). */
  readonly needDatabasePassword?: boolean;
}

export function loadHubSecrets(opts: LoadSecretsOptions): HubSecrets {
  const env = opts.env ?? process.env;
  const dir = secretsDir(env);
  const file = storeFile(dir, opts.namespace, opts.release);
  const mode = (env.HUB_SECRETS ?? '').toLowerCase();
  if (mode && mode !== 'placeholder' && mode !== 'generate') {
    throw new UserError(`HUB_SECRETS=${env.HUB_SECRETS} is not understood.\nFix: use HUB_SECRETS=generate (default) or HUB_SECRETS=placeholder.`);
  }
  const reasons: string[] = [];
  let stored = mode === 'placeholder' ? undefined : readStore(file);
  const placeholders = mode === 'placeholder' || (stored === undefined && mode !== 'generate' && envFlag(env, 'CI'));
  let generated: Record<GeneratedSecretName, string>;
  if (placeholders) {
    reasons.push(mode === 'placeholder'
      ? 'HUB_SECRETS=placeholder: the proxy token, cookie secret and crypt key are placeholders'
      : `CI runner with no secret store (${path.relative(process.cwd(), file)}): the proxy token, cookie secret and crypt key are placeholders`);
    generated = {
      proxySecretToken: placeholderSecret('proxy-token'),
      cookieSecret: placeholderSecret('cookie-secret'),
      cryptKeeperKey: placeholderSecret('crypt-key'),
    };
  } else {
    stored ??= {};
    const missing = GENERATED_SECRET_NAMES.filter((k) => !stored![k]);
    generated = Object.fromEntries(GENERATED_SECRET_NAMES.map((k) => [k, stored![k] ?? generateSecret()])) as Record<GeneratedSecretName, string>;
    if (missing.length > 0) writeStore(file, generated);
  }
  let auth0 = readProvidedSecret(env, dir, 'AUTH0_CLIENT_SECRET', 'auth0-client-secret');
  if (auth0 === undefined) {
    reasons.push('no Auth0 client secret (set AUTH0_CLIENT_SECRET or write it to .secrets/auth0-client-secret)');
    auth0 = placeholderSecret('auth0-client-secret');
  }
  let db: string | undefined;
  if (opts.needDatabasePassword) {
    db = readProvidedSecret(env, dir, 'HUB_DB_PASSWORD', 'hub-db-password');
    if (db === undefined) {
      reasons.push('no hub database password (set HUB_DB_PASSWORD or write it to .secrets/hub-db-password)');
      db = placeholderSecret('hub-db-password');
    }
  }
  return { ...generated, auth0ClientSecret: auth0, ...(db !== undefined ? { hubDatabasePassword: db } : {}), placeholderReasons: reasons };
}

/** Replaces one generated secret with a new random value (on purpose: it logs users out, etc.). */
export function rotateSecret(opts: LoadSecretsOptions & { name: GeneratedSecretName }): string {
  const env = opts.env ?? process.env;
  const file = storeFile(secretsDir(env), opts.namespace, opts.release);
  const stored = readStore(file, { replacing: opts.name }) ?? {};
  const next = Object.fromEntries(GENERATED_SECRET_NAMES.map((k) => [k, stored[k] ?? generateSecret()])) as Record<GeneratedSecretName, string>;
  next[opts.name] = generateSecret();
  writeStore(file, next);
  return file;
}

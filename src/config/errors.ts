import { UserError } from '../util/errors';
import { ConfigSchema, objectKeysAt, SchemaIssue, toSchemaIssues } from './zod-adapter';

/** One problem in the user's configuration, ready to print. */
export interface ConfigIssue {
  /** Dotted config path, e.g. `auth0.domain` or `loadBalancer.hubIP`. */
  readonly path: string;
  /** What is wrong and what is expected. */
  readonly message: string;
  /** How to fix it, when there is more to say than the message. */
  readonly fix?: string;
  /** The offending value as the user wrote it (already redacted if secret-like). */
  readonly value?: string;
}

/** Keys whose values are never printed: a user may paste a secret in the wrong place. */
const SECRET_KEY = /(secret|pass|pwd|token|private|cookie|credential|keys?$|api[-_]?key)/i;
/** Schema keys that match SECRET_KEY but name no secret (their values help the user). */
const NOT_SECRET_KEYS: ReadonlySet<string> = new Set(['secretName']);

export function isSecretPath(path: readonly (string | number)[]): boolean {
  return path.some((p) => typeof p === 'string' && !NOT_SECRET_KEYS.has(p) && SECRET_KEY.test(p));
}

/** A value that is (or holds) PEM key material, wherever it was written. */
const KEY_MATERIAL = /PRIVATE KEY|-----BEGIN/;

/** JSON.stringify plus escapes for characters that reorder or hide terminal text. */
export function quote(text: string): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(text).replace(/[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function truncate(text: string, max = 80): string {
  if (text.length <= max) return text;
  let end = max - 3;
  if (/[\ud800-\udbff]/.test(text[end - 1])) end--; // do not split a surrogate pair
  return `${text.slice(0, end)}...`;
}

/** Any value, quoted and escaped for a message (control, bidi and zero-width characters shown as \\uXXXX). */
export function show(value: unknown): string {
  if (typeof value === 'string') return truncate(quote(value));
  if (typeof value === 'bigint') return `${value}n`;
  return truncate(JSON.stringify(value) ?? String(value));
}

/** A short, single-line, safe rendering of a value for an error message. */
export function showValue(value: unknown, path: readonly (string | number)[]): string | undefined {
  if (value === undefined) return undefined;
  if (isSecretPath(path)) return '(hidden: looks like a secret)';
  if (typeof value === 'string' && KEY_MATERIAL.test(value)) return '(hidden: looks like PEM key material)';
  let text: string;
  if (value !== null && typeof value === 'object') {
    text = Array.isArray(value) ? `[list of ${value.length}]` : '{…}';
  } else if (typeof value === 'string') {
    // A URL with credentials ("postgresql://user:PASSWORD@host"): show it without the password.
    text = quote(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^@\s]*@/i, '$1:(hidden)@'));
  } else if (typeof value === 'bigint') {
    text = `${value}n`;
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    text = String(value);
  } else {
    text = JSON.stringify(value) ?? String(value);
  }
  return truncate(text);
}

/** A key as the user wrote it, safe to print: quoted when it is not a plain identifier. */
export function showKey(key: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : truncate(quote(key), 66);
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z0-9_-]{1,64}$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${showKey(p)}]`;
  }
  return out || '(top level)';
}

export function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** The error synth, validate and deploy raise for a bad config: every problem at once. */
export class ConfigError extends UserError {
  constructor(readonly source: string, readonly issues: readonly ConfigIssue[]) {
    super(formatIssues(source, issues));
    this.name = 'ConfigError';
  }
}

export function formatIssues(source: string, issues: readonly ConfigIssue[]): string {
  const n = issues.length;
  const lines = [`Configuration error in ${source} (${n} problem${n === 1 ? '' : 's'}):`, ''];
  const SHOWN = 40;
  for (const i of issues.slice(0, SHOWN)) {
    lines.push(`  ${i.path}${i.value !== undefined ? ` = ${i.value}` : ''}`);
    lines.push(`    ${i.message}`);
    if (i.fix) lines.push(`    fix: ${i.fix}`);
  }
  if (n > SHOWN) lines.push(`  ... and ${n - SHOWN} more problems: fix these first.`);
  lines.push('', 'Nothing was written; dist/ is unchanged.');
  return lines.join('\n');
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to a misspelt one, if any is close enough to be a likely typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 64) return undefined; // not a typo; and keeps the distance table small
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

const MISPLACED_SECRET_FIX =
  'secrets never go in the config file: export AUTH0_CLIENT_SECRET or write it to .secrets/auth0-client-secret (see README, "How secrets flow")';

/** Turns zod's issues into ConfigIssues with values, fixes and typo suggestions. */
export function fromZodError(err: Parameters<typeof toSchemaIssues>[0], input: unknown, schema: ConfigSchema): ConfigIssue[] {
  return fromSchemaIssues(toSchemaIssues(err), input, schema);
}

/** Our wording of a length or size limit that the schema did not word itself. */
function limitMessage(kind: 'too-small' | 'too-big', n: number, of: string): string {
  const unit = of === 'array' ? 'entries' : of === 'string' ? 'characters' : '';
  if (kind === 'too-big') return `must be at most ${n} ${unit}`.trimEnd();
  if (n === 1 && unit) return of === 'array' ? 'must list at least one entry' : 'must not be empty';
  return `must be at least ${n} ${unit}`.trimEnd();
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

/** ConfigIssues for schema issues: the schema's own messages as they are, zod's generic ones in our words. */
export function fromSchemaIssues(issues: readonly SchemaIssue[], input: unknown, schema: ConfigSchema): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.kind === 'unknown-keys') {
      const known = objectKeysAt(schema, issue.path, input);
      const discriminator = known.discriminator !== undefined ? formatPath([...issue.path, known.discriminator]) : undefined;
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const shown = showKey(key);
        const owner = known.elsewhere.get(key);
        if (owner !== undefined && !isSecretPath(path)) {
          out.push({
            path: formatPath(path),
            value: showValue(getAt(input, path), path),
            message: `is not used with ${discriminator} = ${showValue(known.chosen, [])}; it belongs to ${discriminator} "${owner}"`,
            fix: `remove it, or set ${discriminator}: ${owner}; keys allowed here: ${known.keys.join(', ')}`,
          });
          continue;
        }
        const guess = closestKey(key, known.keys);
        out.push({
          path: formatPath(path),
          // The value of a key we do not know is shown only when the key is a near miss of a
          // known one: a misspelt secret key ("clientSecert") must not have its value printed.
          value: guess || isSecretPath(path) ? showValue(getAt(input, path), path) : undefined,
          message: `unknown key ${shown === key ? `"${key}"` : shown}${guess ? ` (did you mean "${guess}"?)` : ''}`,
          fix: isSecretPath(path)
            ? MISPLACED_SECRET_FIX
            : guess
              ? `rename it to "${guess}"`
              : `remove it; keys allowed here: ${known.keys.join(', ') || '(none)'}`,
        });
      }
      continue;
    }
    const value = getAt(input, issue.path);
    let message: string;
    let fix: string | undefined;
    switch (issue.kind) {
      case 'missing':
        message = `is required (expected ${issue.expected})`;
        fix = 'add it; see the config reference in README.md';
        break;
      case 'wrong-type':
        message = issue.ownMessage ?? `must be ${issue.expected}, not ${issue.received}`;
        break;
      case 'no-variant':
        // A schema's own errorMap text (not zod's "Invalid discriminator value...") says how to fix it.
        if (issue.ownMessage) fix = issue.ownMessage;
        message = `${value === undefined ? 'is required: ' : 'must be '}one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
        break;
      case 'not-one-of':
        message = `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
        {
          const guess = typeof value === 'string' ? closestKey(value, issue.options.map(String)) : undefined;
          if (guess) fix = `did you mean "${guess}"?`;
        }
        break;
      case 'too-small':
      case 'too-big':
        // zod's generic wording ("String must contain at least 1 character(s)") in our style
        message = issue.ownMessage ?? limitMessage(issue.kind, issue.limit, issue.of);
        break;
      case 'no-form-matches':
        message = issue.ownMessage ?? `has the wrong type (${typeName(value)})`;
        if (!issue.ownMessage) fix = 'see the config reference in README.md for what this field takes';
        break;
      case 'other':
        message = issue.message;
        break;
    }
    out.push({ path: formatPath(issue.path), value: showValue(value, issue.path), message, fix });
  }
  return out;
}

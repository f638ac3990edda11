import { z } from 'zod';
import { UserError } from '../util/errors';

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
const SECRET_KEY = /(secret|password|passwd|token|private|cookie|credential|^keys?$|apikey)/i;

export function isSecretPath(path: readonly (string | number)[]): boolean {
  return path.some((p) => typeof p === 'string' && SECRET_KEY.test(p));
}

/** A short, single-line, safe rendering of a value for an error message. */
export function showValue(value: unknown, path: readonly (string | number)[]): string | undefined {
  if (value === undefined) return undefined;
  if (isSecretPath(path)) return '(hidden: looks like a secret)';
  let text: string;
  if (value !== null && typeof value === 'object') {
    text = Array.isArray(value) ? `[list of ${value.length}]` : '{…}';
  } else {
    text = JSON.stringify(value) ?? String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
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
  for (const i of issues) {
    lines.push(`  ${i.path}${i.value !== undefined ? ` = ${i.value}` : ''}`);
    lines.push(`    ${i.message}`);
    if (i.fix) lines.push(`    fix: ${i.fix}`);
  }
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

/** Object keys the schema knows at a path (for "did you mean"). */
function knownKeysAt(schema: z.ZodTypeAny, path: readonly (string | number)[]): string[] {
  let s: z.ZodTypeAny | undefined = schema;
  const unwrap = (t: z.ZodTypeAny): z.ZodTypeAny => {
    for (;;) {
      if (t instanceof z.ZodDefault) t = t._def.innerType;
      else if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
      else if (t instanceof z.ZodEffects) t = t.innerType();
      else return t;
    }
  };
  for (const p of path) {
    if (!s) return [];
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodTypeAny>)[String(p)];
    else if (s instanceof z.ZodArray) s = s.element;
    else return [];
  }
  if (!s) return [];
  s = unwrap(s);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodDiscriminatedUnion) {
    return [...new Set((s.options as z.ZodObject<z.ZodRawShape>[]).flatMap((o) => Object.keys(o.shape)))];
  }
  return [];
}

const MISPLACED_SECRET_FIX =
  'secrets never go in the config file: export AUTH0_CLIENT_SECRET or write it to .secrets/auth0-client-secret (see README, "How secrets flow")';

/** Turns zod's issues into ConfigIssues with values, fixes and typo suggestions. */
export function fromZodError(err: z.ZodError, input: unknown, schema: z.ZodTypeAny): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of err.issues) {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const guess = closestKey(key, known);
        out.push({
          path: formatPath(path),
          value: showValue(getAt(input, path), path),
          message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          fix: isSecretPath(path)
            ? MISPLACED_SECRET_FIX
            : guess
              ? `rename it to "${guess}"`
              : `remove it; keys allowed here: ${known.join(', ') || '(none)'}`,
        });
      }
      continue;
    }
    const value = getAt(input, issue.path);
    let message = issue.message;
    let fix: string | undefined;
    if (issue.code === z.ZodIssueCode.invalid_type) {
      if (issue.received === 'undefined') {
        message = `is required (expected ${issue.expected})`;
        fix = 'add it; see the config reference in README.md';
      } else {
        message = `must be ${issue.expected}, not ${issue.received}`;
      }
    } else if (issue.code === z.ZodIssueCode.invalid_union_discriminator) {
      message = `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    } else if (issue.code === z.ZodIssueCode.invalid_enum_value) {
      message = `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
      const guess = typeof value === 'string' ? closestKey(value, issue.options.map(String)) : undefined;
      if (guess) fix = `did you mean "${guess}"?`;
    }
    out.push({ path: formatPath(issue.path), value: showValue(value, issue.path), message, fix });
  }
  return out;
}

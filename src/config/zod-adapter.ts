/**
 * Everything that knows how zod (3.x) reports problems and lays out schemas, in one place. The
 * rest of the program sees `SchemaIssue` (what is wrong, in zod-independent terms) and
 * `objectKeysAt` (which keys a place in the config allows), and words messages itself.
 *
 * Only zod's public API is used: issue codes and fields, `getErrorMap` to tell zod's own wording
 * from a message our schema sets (`.min(1, 'must not be empty')`, `errorMap`), and the schema
 * classes' `shape`, `element`, `options`, `unwrap()`, `removeDefault()`, `innerType()`.
 *
 * Moving to zod 4 changes this file only, as far as messages go: `invalid_union_discriminator`
 * becomes `invalid_union` with `note: "No matching discriminator"` (options then come from the
 * schema), `invalid_enum_value` becomes `invalid_value` (`values`), `too_small.type` becomes
 * `origin`, `invalid_type` loses `received` (derive it from the input), `ZodEffects` disappears
 * (refinements live on the type itself), and the default wording comes from `z.config()`'s locale.
 */
import { z } from 'zod';

/** A config path as zod reports it: keys and list indexes. */
export type IssuePath = readonly (string | number)[];

/** What a length or size limit applies to. */
export type LimitedThing = 'string' | 'array' | 'number';

/**
 * One problem the schema found. `ownMessage` is set when our schema words the problem itself;
 * it is absent when zod would only have its generic wording (we word those in errors.ts).
 */
export type SchemaIssue =
  | { readonly kind: 'unknown-keys'; readonly path: IssuePath; readonly keys: readonly string[] }
  | { readonly kind: 'missing'; readonly path: IssuePath; readonly expected: string }
  | { readonly kind: 'wrong-type'; readonly path: IssuePath; readonly expected: string; readonly received: string; readonly ownMessage?: string }
  /** The field that picks a variant (tls.mode) has a value no variant has. */
  | { readonly kind: 'no-variant'; readonly path: IssuePath; readonly options: readonly unknown[]; readonly ownMessage?: string }
  /** Not one of a fixed list of values. */
  | { readonly kind: 'not-one-of'; readonly path: IssuePath; readonly options: readonly unknown[] }
  | { readonly kind: 'too-small' | 'too-big'; readonly path: IssuePath; readonly limit: number; readonly of: LimitedThing; readonly ownMessage?: string }
  /** Matches none of the forms a field may take (cpu: number or string). */
  | { readonly kind: 'no-form-matches'; readonly path: IssuePath; readonly ownMessage?: string }
  /** Anything else, with its message (a refinement's own message, or zod's). */
  | { readonly kind: 'other'; readonly path: IssuePath; readonly message: string };

/** The schema type the config is checked with. */
export type ConfigSchema = z.ZodTypeAny;

/** The message zod itself would give this issue; a different one was set by our schema. */
function zodWording(issue: z.ZodIssue): string {
  // The error map in effect (zod's English default: nothing here replaces it).
  return z.getErrorMap()(issue, { data: undefined, defaultError: '' }).message;
}

function ownMessage(issue: z.ZodIssue): string | undefined {
  return issue.message === zodWording(issue) ? undefined : issue.message;
}

/** What a limit applies to; undefined for things (dates, sets) whose limits keep zod's wording. */
function limited(type: string): LimitedThing | undefined {
  // zod words bigint limits like number limits
  if (type === 'bigint') return 'number';
  return type === 'string' || type === 'array' || type === 'number' ? type : undefined;
}

/** The problems of a failed parse, in zod-independent terms. */
export function toSchemaIssues(err: z.ZodError): SchemaIssue[] {
  return err.issues.map((issue): SchemaIssue => {
    const path = issue.path;
    switch (issue.code) {
      case z.ZodIssueCode.unrecognized_keys:
        return { kind: 'unknown-keys', path, keys: issue.keys };
      case z.ZodIssueCode.invalid_type:
        if (issue.received === 'undefined') return { kind: 'missing', path, expected: issue.expected };
        return { kind: 'wrong-type', path, expected: issue.expected, received: issue.received, ownMessage: ownMessage(issue) };
      case z.ZodIssueCode.invalid_union_discriminator:
        return { kind: 'no-variant', path, options: issue.options, ownMessage: ownMessage(issue) };
      case z.ZodIssueCode.invalid_enum_value:
        return { kind: 'not-one-of', path, options: issue.options };
      case z.ZodIssueCode.too_small:
      case z.ZodIssueCode.too_big: {
        const of = limited(issue.type);
        if (!of) return { kind: 'other', path, message: issue.message };
        const limit = Number(issue.code === z.ZodIssueCode.too_small ? issue.minimum : issue.maximum);
        return { kind: issue.code === z.ZodIssueCode.too_small ? 'too-small' : 'too-big', path, limit, of, ownMessage: ownMessage(issue) };
      }
      case z.ZodIssueCode.invalid_union:
        return { kind: 'no-form-matches', path, ownMessage: ownMessage(issue) };
      default:
        return { kind: 'other', path, message: issue.message };
    }
  });
}

/** Keys allowed at one place of the config, for "did you mean" and "keys allowed here". */
export interface KnownKeys {
  /** Keys allowed here. */
  readonly keys: readonly string[];
  /** For a field with variants (tls): the other variants' keys, with the variant that has them. */
  readonly elsewhere: ReadonlyMap<string, string>;
  /** The path segment that picks the variant, e.g. `mode`, and the value the user gave it. */
  readonly discriminator?: string;
  readonly chosen?: unknown;
}

/** The schema inside defaults, optionals and refinements. */
function unwrap(t: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    if (t instanceof z.ZodDefault) t = t.removeDefault();
    else if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
    else if (t instanceof z.ZodEffects) t = t.innerType();
    else return t;
  }
}

/** The schema of the object or list member at `path`, if the schema has one there. */
function schemaAt(schema: ConfigSchema, path: IssuePath): z.ZodTypeAny | undefined {
  let s: z.ZodTypeAny | undefined = schema;
  for (const p of path) {
    if (!s) return undefined;
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodTypeAny>)[String(p)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodTypeAny;
    else return undefined;
  }
  return s && unwrap(s);
}

function getAt(root: unknown, path: IssuePath): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/**
 * The keys the schema allows at `path` of `input`. For a field with variants, the keys of the
 * variant the user picked (by its discriminator), and where the others' keys belong.
 */
export function objectKeysAt(schema: ConfigSchema, path: IssuePath, input: unknown): KnownKeys {
  const none: KnownKeys = { keys: [], elsewhere: new Map() };
  const s = schemaAt(schema, path);
  if (s instanceof z.ZodObject) return { keys: Object.keys(s.shape), elsewhere: new Map() };
  if (!(s instanceof z.ZodDiscriminatedUnion)) return none;
  const disc = s.discriminator as string;
  const chosen = getAt(input, [...path, disc]);
  const options = s.options as z.ZodObject<z.ZodRawShape>[];
  const variantOf = (o: z.ZodObject<z.ZodRawShape>) => (o.shape[disc] as z.ZodLiteral<unknown>).value;
  const selected = options.find((o) => variantOf(o) === chosen);
  if (!selected) return { keys: [...new Set(options.flatMap((o) => Object.keys(o.shape)))], elsewhere: new Map() };
  const keys = Object.keys(selected.shape);
  const elsewhere = new Map<string, string>();
  for (const o of options) {
    if (o === selected) continue;
    for (const k of Object.keys(o.shape)) {
      if (!keys.includes(k) && !elsewhere.has(k)) elsewhere.set(k, String(variantOf(o)));
    }
  }
  return { keys, elsewhere, discriminator: disc, chosen };
}

/**
 * Every field path of the schema's objects and variants, e.g. `auth0.domain`, `tls.secretName`
 * (not inside lists). For tests that check each field has a bad-config case.
 */
export function schemaFieldPaths(schema: ConfigSchema, prefix = ''): string[] {
  const t = unwrap(schema);
  const objects = t instanceof z.ZodObject ? [t] : t instanceof z.ZodDiscriminatedUnion ? (t.options as z.ZodObject<z.ZodRawShape>[]) : [];
  const out = new Set<string>();
  for (const o of objects) {
    for (const [k, v] of Object.entries(o.shape as z.ZodRawShape)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      for (const sub of schemaFieldPaths(v as z.ZodTypeAny, p)) out.add(sub);
    }
  }
  return [...out];
}

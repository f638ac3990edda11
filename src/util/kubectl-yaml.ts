/**
 * YAML as kubectl and helm install read it. Both turn manifests into JSON with sigs.k8s.io/yaml,
 * whose reader is a fork of go-yaml v2.4.0: YAML 1.1 scalars, resolved by one table and a few
 * number parsers (github.com/go-yaml/yaml, tag v2.4.0, resolve.go `resolve()` and decode.go
 * `scalar()`/`unmarshal()`). This file is that resolution, written for js-yaml's parser (the
 * YAML reader this program already loads; about four times faster here than the `yaml` package
 * in its YAML 1.1 mode, and it needs no patching to match go-yaml):
 *
 * - plain `y|Y|yes|Yes|YES|on|On|ON|true|True|TRUE` are true, their `n/no/off/false` forms
 *   false, `~|null|Null|NULL|` null, also as mapping keys (the key then becomes "true", as
 *   sigs.k8s.io/yaml writes a bool key);
 * - integers as Go's `strconv.ParseInt(s, 0, 64)` reads them after "_" is dropped: `0755` is
 *   octal (493), `0o755`, `0x1F`, `0b101`, a sign allowed; too large for int64 then uint64;
 * - floats only of the form `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `08` is 8)
 *   and `.inf`/`.nan` spellings; out of float64's range stays text;
 * - sexagesimal `1:30` and timestamps stay the text as written (resolve.go: "Base 60 floats ...
 *   purposefully unsupported"; decode.go: timestamps are set "as a string" "for backward
 *   compatibility reasons");
 * - `<<` merges; `!!binary` is the decoded bytes as text (decode.go: `resolved = string(data)`).
 *
 * test/kubectl-yaml.test.ts checks this against kubectl v1.32.3 itself on generated documents.
 */
import * as jsyaml from 'js-yaml';

const TAG = 'tag:yaml.org,2002:';

/** resolve.go resolveMapList: words resolved by table, whatever their first character. */
const WORDS = new Map<string, unknown>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((w) => [w, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((w) => [w, false] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((w) => [w, null] as const),
  ...['.nan', '.NaN', '.NAN'].map((w) => [w, NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((w) => [w, Infinity] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((w) => [w, -Infinity] as const),
]);

/** Marks a scalar that go-yaml leaves a string. */
const TEXT = Symbol('text');

const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9_]*[0-9][0-9_]*([eE][-+]?[0-9][0-9_]*)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Go's strconv underscoreOK (decimal part): an "_" only between two digits. ParseFloat accepts
 * `.5_0` (0.5) and refuses `._5` and `.5_`.
 */
function goUnderscoresOk(s: string): boolean {
  let saw = '^';
  for (const ch of s) {
    if (ch >= '0' && ch <= '9') saw = '0';
    else if (ch === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else if (saw === '_') return false;
    else saw = '!';
  }
  return saw !== '_';
}

/** Go's strconv.ParseInt(s, 0, 64) (or ParseUint when `unsigned`): the value, or undefined on any error. */
function parseGoInt(s: string, unsigned: boolean): number | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m || (unsigned && m[1] !== '')) return undefined;
  const body = m[2];
  let digits: bigint;
  if (/^0[xXoObB]/.test(body)) digits = BigInt(body.toLowerCase());
  else if (body.length > 1 && body[0] === '0') digits = BigInt(`0o${body.slice(1)}`);
  else digits = BigInt(body);
  const value = m[1] === '-' ? -digits : digits;
  if (unsigned ? value > UINT64_MAX : value > INT64_MAX || value < -INT64_MAX - 1n) return undefined;
  // Go's int becomes a JSON integer: never a negative zero here.
  return Number(value) + 0;
}

/** What go-yaml v2.4.0 resolves a plain scalar to for interface{} (TEXT: it stays the string). */
export function resolvePlainScalar(s: string): unknown {
  if (WORDS.has(s)) return WORDS.get(s);
  const c = s.charCodeAt(0);
  if (c === 0x2e /* . */) {
    // strconv.ParseFloat(in, 64) on the text itself: "_" only between digits (no hex floats start with ".").
    if (!DOT_FLOAT.test(s) || !goUnderscoresOk(s)) return TEXT;
    const f = Number(s.replace(/_/g, ''));
    // + 0: kubectl writes a negative zero as 0.
    return Number.isFinite(f) ? f + 0 : TEXT;
  }
  const digit = c >= 0x30 && c <= 0x39;
  if (!digit && c !== 0x2b /* + */ && c !== 0x2d /* - */) return TEXT;
  // Timestamps start with four digits and "-": never numbers, and kept as text.
  const plain = s.includes('_') ? s.replace(/_/g, '') : s;
  const int = parseGoInt(plain, false) ?? parseGoInt(plain, true);
  if (int !== undefined) return int;
  if (GO_FLOAT.test(plain)) {
    const f = Number(plain);
    // strconv.ParseFloat reports out of range as an error: the text stays a string.
    if (Number.isFinite(f)) return f + 0;
  }
  // resolve.go's "0b" fallback: strconv.ParseInt(plain[2:], 2, 64), which takes a sign after the
  // prefix ("0b-1" is -1), then ParseUint. (Its "-0b" fallback adds nothing ParseInt(plain, 0)
  // did not already read.)
  const bin = /^0b([-+]?)([01]+)$/.exec(plain);
  if (bin) {
    const digits = BigInt(`0b${bin[2]}`);
    const value = bin[1] === '-' ? -digits : digits;
    if ((value <= INT64_MAX && value >= -INT64_MAX - 1n) || (bin[1] === '' && value <= UINT64_MAX)) return Number(value) + 0;
  }
  return TEXT;
}

/**
 * A `.inf` or `.nan`: go-yaml reads them, but sigs.k8s.io/yaml cannot write them as JSON, so
 * kubectl refuses the document ("json: unsupported value: +Inf").
 */
export class NotJsonNumberError extends Error {}

function jsonValue(v: unknown, text: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new NotJsonNumberError(`${String(text)} is not a number JSON can hold`);
  return v;
}

/** Every plain scalar go-yaml resolves to something other than a string. */
const goScalar = new jsyaml.Type(`${TAG}go-yaml-v2.4.0-scalar`, {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && resolvePlainScalar(data) !== TEXT,
  construct: (data: string) => jsonValue(resolvePlainScalar(data), data),
});

/**
 * A plain `<<` key (resolve.go: {"<<", yaml_MERGE_TAG}; decode.go isMerge: plain or tagged).
 * go-yaml merges in document order: a `<<` after a key overrides it, a key after `<<` overrides
 * the merged one (decode.go mapping() and merge()), while js-yaml's own merge never overrides a
 * key. So the key is kept, under a unique name, and resolveMerges applies it in order.
 */
const MERGE_PREFIX = '\u0000go-yaml-merge:';
let mergeKeys = 0;
const merge = new jsyaml.Type(`${TAG}go-yaml-merge-key`, {
  kind: 'scalar',
  resolve: (data: unknown) => data === '<<',
  construct: () => `${MERGE_PREFIX}${mergeKeys++}`,
});

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies the merge keys of `v` and everything under it, as go-yaml does (results shared like the aliases they come from). */
function resolveMerges(v: unknown, done: Map<object, unknown>): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const known = done.get(v);
  if (known !== undefined) return known;
  let out: unknown;
  if (Array.isArray(v)) {
    out = v.map((x) => resolveMerges(x, done));
  } else {
    const m: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (!k.startsWith(MERGE_PREFIX)) {
        m[k] = resolveMerges(x, done);
        continue;
      }
      // A mapping, or a list of mappings where the earlier ones take precedence (merge()).
      const sources = Array.isArray(x) ? [...x].reverse() : [x];
      for (const src of sources) {
        if (!isMap(src)) throw new jsyaml.YAMLException('map merge requires map or sequence of maps as the value');
        Object.assign(m, resolveMerges(src, done));
      }
    }
    out = m;
  }
  done.set(v, out);
  return out;
}

/**
 * Every document of `text` as kubectl reads it (empty documents as null). Throws js-yaml's
 * YAMLException, or NotJsonNumberError for `.inf`/`.nan`. Duplicate keys are refused (go-yaml
 * keeps the last one): a chart printing one has a broken template, and which value it meant is
 * not ours to guess.
 */
export function loadAllAsKubectl(text: string): unknown[] {
  const docs = jsyaml.loadAll(text, undefined, { schema: KUBECTL_READ_SCHEMA });
  if (!text.includes('<<')) return docs;
  const done = new Map<object, unknown>();
  return docs.map((d) => resolveMerges(d, done));
}

/** An explicit `!!int`, `!!float`, `!!bool` or `!!null`: go-yaml resolves the text and fails on another type (a !!float may be an int). */
function explicitScalar(name: 'int' | 'float' | 'bool' | 'null', fits: (v: unknown) => boolean): jsyaml.Type {
  const resolved = (data: unknown) => (typeof data === 'string' ? resolvePlainScalar(data) : data);
  return new jsyaml.Type(`${TAG}${name}`, {
    kind: 'scalar',
    resolve: (data: unknown) => fits(resolved(data)),
    construct: (data: unknown) => jsonValue(resolved(data), data),
  });
}

/** `!!binary`: the decoded bytes as text (invalid UTF-8 becomes U+FFFD, as Go's JSON encoder writes it). */
const binaryAsText = new jsyaml.Type(`${TAG}binary`, {
  kind: 'scalar',
  // base64.StdEncoding.DecodeString skips line breaks, nothing else.
  resolve: (data: unknown) => typeof data === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(data.replace(/[\r\n]/g, '')) && data.replace(/[\r\n]/g, '').length % 4 === 0,
  construct: (data: string) => Buffer.from(data.replace(/[\r\n]/g, ''), 'base64').toString('utf8'),
});

/**
 * An explicit `!!timestamp`: the text as written. (go-yaml also refuses one whose text is no
 * timestamp; helm's output has none, so that check is left out.)
 */
const timestampAsText = new jsyaml.Type(`${TAG}timestamp`, { kind: 'scalar', resolve: (data: unknown) => typeof data === 'string' });

/** For reading: js-yaml's failsafe types (str, seq, map) with go-yaml's scalar resolution. */
export const KUBECTL_READ_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [merge, goScalar],
  explicit: [
    explicitScalar('int', (v) => Number.isInteger(v)),
    explicitScalar('float', (v) => typeof v === 'number'),
    explicitScalar('bool', (v) => typeof v === 'boolean'),
    explicitScalar('null', (v) => v === null),
    binaryAsText,
    timestampAsText,
  ],
});

/**
 * For writing: js-yaml's default schema, plus go-yaml's resolution as one more implicit type, so
 * that every string kubectl would read as something else (`+.5`, `0_`, `0755`) is quoted.
 */
export const KUBECTL_WRITE_SCHEMA = jsyaml.DEFAULT_SCHEMA.extend({ implicit: [goScalar] });

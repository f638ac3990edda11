/**
 * src/util/kubectl-yaml.ts against its consumer: kubectl v1.32.3 (sigs.k8s.io/yaml, go-yaml
 * v2.4.0's YAML 1.1) reads the same YAML text, offline (`kubectl label --local -f FILE -o json`
 * decodes every document without a server), and the two readings are compared value by value.
 *
 * - reading: what synth makes of helm's output must be what `helm install`/kubectl would have
 *   made of the same text (scalars as values, as keys, inside flow collections, tagged, quoted);
 * - writing: every string written to dist/ must come back from kubectl as the same string.
 *
 * Inputs are generated from the pieces YAML 1.1 numbers, booleans and nulls are made of, with a
 * fixed seed (FUZZ_SEED to try another); the hand-written cases are the ones go-yaml's source
 * calls out (resolve.go, decode.go, tag v2.4.0).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import * as jsyaml from 'js-yaml';
import { parseHelmOutput } from '../src/hub/helm-output';
import { renderYaml } from '../src/output/manifests';
import type { KubeObject } from '../src/output/kube-object';
import { resolvePlainScalar } from '../src/util/kubectl-yaml';
import { UserError } from '../src/util/errors';
import { kubectlBinary, SHARED } from './support/envtest';
import { tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

function skipReason(): string | undefined {
  if (kubectlBinary()) return undefined;
  const reason = 'no kubectl: run `npm run setup` (installs kubectl v1.32.3 beside helm)';
  if (process.env.CI === 'true' && fs.existsSync(SHARED)) throw new Error(`CI must compare with kubectl, but cannot: ${reason}`);
  return reason;
}
const skip = skipReason();

/** kubectl's reading of each document of `text` (JSON of the whole object), or its error. */
function kubectlReads(text: string): { objects?: Record<string, unknown>[]; error?: string } {
  const file = path.join(work, `k-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, text);
  const r = spawnSync(kubectlBinary()!, ['label', '--local', '-f', file, 'kubectl-yaml-test=1', '-o', 'json'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) return { error: r.stderr.trim() };
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  const objects = (json.kind === 'List' ? json.items : [json]) as Record<string, unknown>[];
  for (const o of objects) delete (o.metadata as { labels?: Record<string, string> }).labels;
  return { objects };
}

/** A document kubectl keeps unstructured: a kind it does not know, the test data under spec. */
function sampleDoc(name: string, spec: string): string {
  return `apiVersion: test.example/v1\nkind: Sample\nmetadata:\n  name: "${name}"\nspec:\n${spec}`;
}

/** Our reading of the same documents, shaped like kubectl's output (metadata.labels removed). */
function oursRead(text: string): Record<string, unknown>[] {
  return parseHelmOutput(text, 'test') as Record<string, unknown>[];
}

/** Pieces of YAML 1.1 plain scalars: what go-yaml's resolve() looks at. */
const piece = fc.oneof(
  fc.constantFrom('0', '1', '7', '8', '9', '00', '07', '08', '10', '123', '9223372036854775807', '9223372036854775808', '18446744073709551615', '18446744073709551616', '1'.repeat(25)),
  fc.constantFrom('0x', '0X', '0o', '0O', '0b', '0B', 'x', 'o', 'b', 'f', 'F', 'a', 'e', 'E', 'p'),
  fc.constantFrom('.', '_', ':', '-', '+', 'e3', 'E-2', 'e+400', '.5', '_0'),
  fc.constantFrom('y', 'Y', 'yes', 'Yes', 'YES', 'yEs', 'n', 'N', 'no', 'NO', 'nO', 'on', 'On', 'ON', 'oN', 'off', 'Off', 'OFF', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE'),
  fc.constantFrom('~', 'null', 'Null', 'NULL', 'nULL', '.inf', '.Inf', '.INF', '.iNf', '.nan', '.NaN', '.NAN', '<<'),
  fc.constantFrom('2024-05-27', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10', '2024-5-7', '1:30', '-1:00:00', '190:20:30.15'),
);
const sign = fc.constantFrom('', '', '', '+', '-');
const scalarText = fc.tuple(sign, fc.array(piece, { minLength: 1, maxLength: 3 })).map(([s, ps]) => s + ps.join(''));

/** Texts a block mapping can hold as a plain value and that any YAML reader keeps as one scalar. */
function plainSafe(s: string): boolean {
  if (s === '' || s === '-' || s === '<<' || /^[-?:](\s|$)/.test(s) || /:(\s|$)/.test(s) || /\s#/.test(s)) return false;
  try {
    const r = jsyaml.load(`v: ${s}`, { schema: jsyaml.FAILSAFE_SCHEMA }) as { v?: unknown };
    return r?.v === s;
  } catch {
    return false;
  }
}

/** Keys kubectl writes as our reading does: strings, booleans, integers JS prints exactly. */
function comparableKey(s: string): boolean {
  const v = resolvePlainScalar(s);
  return typeof v === 'symbol' || typeof v === 'boolean' || (Number.isSafeInteger(v) && !Object.is(v, -0));
}

const finite = (s: string) => {
  const v = resolvePlainScalar(s);
  return typeof v !== 'number' || Number.isFinite(v);
};

describe('YAML 1.1 as kubectl reads it (src/util/kubectl-yaml.ts) — checked against kubectl v1.32.3', { skip }, () => {
  it('the cases go-yaml v2.4.0 calls out read the same as kubectl', () => {
    const spec = [
      '  bools: [yes, no, on, off, y, n, Yes, OFF, "yes", True, FALSE, yEs]',
      '  nulls: [~, null, Null, NULL, nULL]',
      '  octal: [0755, "0755", 0o755, -0o7_55, 08, 00, 0_]',
      '  ints: [0x1F, 0b101, -0b11, 1_000, +12, -0, 9223372036854775807, 18446744073709551615, 0b-1, 0b+101, -0b-1]',
      '  floats: [1e3, .5, +.5, -.5e-3, 1., 1.0, 08.5, 1e400, ._5, .e3, .5_0, .5_, .5e1_0]',
      '  texts: [1:30, -1:00:00, 2024-05-27, 2001-12-14t21:59:43.10-05:00, 0b2, _1, 1e, 0x, .iNf]',
      '  bin: !!binary aGVsbG8=',
      '  ts: !!timestamp 2024-05-27',
      '  tagged: [!!int "0755", !!float 1, !!bool "on", !!str 0755, !!null ""]',
      '  on: {push: 1}',
      '  no: 2',
      '  "off": 3',
      '  0x10: hex key',
      '  base: &x {a: 1, b: 2}',
      '  merged:',
      '    <<: *x',
      '    b: 3',
      '  mergedLast:',
      '    b: 3',
      '    <<: *x',
      '  other: &y {b: 4, c: 5}',
      '  mergedList:',
      '    a: 0',
      '    <<: [*x, *y]',
      '  quotedMergeKey: {"<<": not a merge}',
      '  block: |',
      '    yes',
      '    0755',
    ].join('\n');
    const text = sampleDoc('cases', spec);
    const k = kubectlReads(text);
    assert.equal(k.error, undefined, k.error);
    assert.deepEqual(oursRead(text), k.objects);
    // The go-yaml readings the two sides agree on, spelled out (so a change of kubectl shows here too).
    const s = (oursRead(text)[0] as { spec: Record<string, unknown> }).spec;
    assert.deepEqual(s.octal, [493, '0755', 493, -493, 8, 0, 0]);
    assert.deepEqual(s.texts, ['1:30', '-1:00:00', '2024-05-27', '2001-12-14t21:59:43.10-05:00', '0b2', '_1', '1e', '0x', '.iNf']);
    assert.deepEqual([s.true, s.false, s.off, s['16']], [{ push: 1 }, 2, 3, 'hex key']);
    assert.deepEqual([s.bin, s.ts, s.merged], ['hello', '2024-05-27', { a: 1, b: 3 }]);
    // go-yaml merges in document order (decode.go mapping()/merge()): a later << wins over an
    // earlier key, and in a list of maps the earlier map wins.
    assert.deepEqual([s.mergedLast, s.mergedList], [{ a: 1, b: 2 }, { a: 1, b: 2, c: 5 }]);
    assert.deepEqual((s.ints as unknown[]).slice(-3), [-1, 5, '-0b-1']);
  });

  it('generated plain scalars, as values, read the same as kubectl (fixed seed)', () => {
    const texts = [...new Set(fc.sample(scalarText, { seed: SEED, numRuns: 3000 }))].filter(plainSafe).filter(finite);
    assert.ok(texts.length > 1500, `only ${texts.length} usable samples`);
    const values = texts.map((t, i) => `  v${i}: ${t}`).join('\n');
    // In a flow sequence go-yaml refuses a plain scalar starting with ":" (YAML 1.2 readers take it): left out.
    const flow = `  flow: [${texts.filter((t) => !/[,[\]{}]/.test(t) && !t.startsWith(':')).join(', ')}]`;
    const text = sampleDoc('values', `${values}\n${flow}\n`);
    const k = kubectlReads(text);
    assert.equal(k.error, undefined, k.error);
    const ours = oursRead(text)[0] as { spec: Record<string, unknown> };
    const theirs = k.objects![0] as { spec: Record<string, unknown> };
    const differ = texts.map((t, i) => [t, ours.spec[`v${i}`], theirs.spec[`v${i}`]] as const).filter(([, a, b]) => !Object.is(a, b) && a !== b);
    assert.deepEqual(differ, [], 'text, ours, kubectl');
    assert.deepEqual(ours.spec.flow, theirs.spec.flow);
    // Not all text: the samples reach numbers, booleans and nulls.
    const kinds = new Set<string>(Object.values(ours.spec).map((v) => (v === null ? 'null' : typeof v)));
    for (const kind of ['number', 'boolean', 'null', 'string']) assert.ok(kinds.has(kind), `no ${kind} among the samples`);
  });

  it('generated plain scalars, as mapping keys, read the same as kubectl (fixed seed)', () => {
    const texts = [...new Set(fc.sample(scalarText, { seed: SEED + 1, numRuns: 2000 }))].filter(plainSafe).filter(comparableKey);
    // Two texts may resolve to the same key (yes/on): one of each, as a YAML mapping allows.
    const byKey = new Map<string, string>();
    for (const t of texts) {
      const v = resolvePlainScalar(t);
      byKey.set(typeof v === 'symbol' ? t : String(v), t);
    }
    const text = sampleDoc('keys', [...byKey.values()].map((t, i) => `  ${t}: ${i}`).join('\n') + '\n');
    const k = kubectlReads(text);
    assert.equal(k.error, undefined, k.error);
    assert.deepEqual(oursRead(text), k.objects);
  });

  it('every string written to dist/ comes back from kubectl as that string', () => {
    const texts = [...new Set([
      ...fc.sample(scalarText, { seed: SEED + 2, numRuns: 3000 }),
      ...fc.sample(fc.string({ unit: 'binary', maxLength: 12 }), { seed: SEED + 3, numRuns: 500 }),
      '+.5', '0_', '0755', '1:30', 'on', 'y', '~', '', ' lead', 'trail ', 'a: b', '# c', '- d', '<<', '.inf',
    ])].filter((t) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff\u007f-\u009f]/.test(t));
    const obj: KubeObject = { apiVersion: 'test.example/v1', kind: 'Sample', metadata: { name: 'written' }, spec: Object.fromEntries(texts.map((t, i) => [`v${i}`, t])) } as KubeObject;
    const written = renderYaml([obj]);
    const k = kubectlReads(written);
    assert.equal(k.error, undefined, k.error);
    const back = (k.objects![0] as { spec: Record<string, unknown> }).spec;
    const differ = texts.map((t, i) => [t, back[`v${i}`]] as const).filter(([t, b]) => t !== b);
    assert.deepEqual(differ, [], 'written, kubectl read');
    assert.deepEqual(oursRead(written), k.objects, 'and our reader reads dist/ as kubectl does');
  });

  it('refuses what kubectl cannot turn into JSON, and broken YAML, by document and line only', () => {
    for (const v of ['.inf', '-.Inf', '.nan', '!!float .inf']) {
      const text = `a: 1\n---\n${sampleDoc('n', `  x: ${v}\n`)}`;
      assert.match(kubectlReads(text).error ?? '', /unsupported value/);
      assert.throws(() => parseHelmOutput(text, 'chart-x'), (e: Error) => e instanceof UserError && /chart-x printed a number kubectl cannot turn into JSON \(document 2/.test(e.message));
    }
    assert.throws(() => parseHelmOutput('a: 1\n---\nsecret: "s3cr3t-value\n', 'chart-x'), (e: Error) =>
      e instanceof UserError && /chart-x printed YAML that does not parse \(document 2, line \d+/.test(e.message) && !e.message.includes('s3cr3t'));
    // kubectl keeps the last of two equal keys; synth refuses the document (a broken template).
    assert.equal((kubectlReads(sampleDoc('dup', '  a: 1\n  a: 2\n')).objects?.[0] as { spec: { a: number } }).spec.a, 2);
    assert.throws(() => parseHelmOutput('a: 1\na: 2\n', 'x'), /document 1, line 2: duplicated mapping key/);
    assert.throws(() => parseHelmOutput('a: {<<: [1]}\n', 'x'), /map merge requires map/);
    assert.throws(() => parseHelmOutput('bin: !!binary "not base64!"', 'x'), UserError);
    assert.throws(() => parseHelmOutput('n: !!int "abc"', 'x'), UserError);
  });
});

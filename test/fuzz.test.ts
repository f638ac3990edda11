/**
 * Property-based fuzzing of the config (fast-check): FUZZ_RUNS (default 2000) generated configs
 * per run, valid ones and mutations of valid ones (see ./fuzz-arbitraries.ts). The property:
 * every config either synthesizes into a dist/ that passes the offline validation, or fails with
 * a ConfigError (a path in the message, no stack trace, no secret, no raw control or bidi
 * characters, dist/ untouched, exit code 1 from the CLI). Anything else is a bug and fails the
 * property: another exception, a stack trace, a partial dist/, a secret outside *.secret.yaml,
 * a second synth that differs, or output that breaks what the cross-field rules promise (see
 * outputProblems).
 *
 * The seed is fixed (DEFAULT_SEED), in CI and locally, so every run checks the same configs and a
 * failure can be reproduced anywhere. FUZZ_SEED=random draws a new seed (printed with the run),
 * FUZZ_SEED=<n> picks one; on failure the replay line is printed with the shrunk case:
 *
 *   FUZZ_SEED=<seed> [FUZZ_PATH=<path>] node --import tsx --test test/fuzz.test.ts
 *
 * Which tier a config gets depends only on the seed (its ticket) and the counts below, never on
 * how fast the machine is: a slow machine checks the same cases, it just takes longer.
 *
 * Tiers, so that 2,000 configs fit in about a minute (a real synth costs ~0.15-0.3 s):
 *
 * 1. every config: parseConfig (schema + cross-field rules). Invalid: a well-formed ConfigError.
 * 2. every valid config not picked for tier 3: the whole `synthesize({ dryRun: true })` pipeline
 *    (config file written and read back, TLS files checked, secret store, every construct, z2jh
 *    values checked against the fixture chart's values.schema.json merged over its defaults,
 *    file layout, leak check, offline validation, data-move guard) with everything but helm:
 *    HELM points at a stub that renders nothing (and cdk8s's Yaml.load, should it be reached, reads
 *    the empty output in-process instead of spawning a node process). Then: our own leak check of
 *    every non-secret file, outputProblems, and, for one config in eight, `npm run plan`'s
 *    capacityPlan/renderPlan.
 * 3. a sample of valid configs (FUZZ_FULL_SYNTHS, default 30, picked by ticket): the real `synthesize()` with helm and the fixture chart into a fresh dist/,
 *    twice: byte-identical files, validateFiles() clean, no sentinel secret (AUTH0_CLIENT_SECRET,
 *    HUB_DB_PASSWORD, the generated secrets from the store file, a password written into the
 *    config; plain or base64 at any alignment) outside *.secret.yaml, outputProblems, no `.dist-*`
 *    leftovers; a ConfigError (from the TLS check) leaves no dist/ at all.
 * 4. a sample of invalid configs (FUZZ_INVALID_SYNTHS, default 20): written as YAML (or as a
 *    JSON file cut short) and synthesized against an existing dist/, which must stay
 *    byte-identical, with no `.dist-*` folders left; FUZZ_CLI_RUNS (default 5) of them through
 *    the real CLI (src/main.ts): exit code 1, a configuration error, no stack trace, no secret.
 *
 * A failure is shrunk for at most FUZZ_SHRINK_MS (30 s). FUZZ_KEEP_GOING=1 surveys instead: the
 * whole run completes and every kind of bug is listed with its smallest example.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Yaml } from 'cdk8s';
import fc from 'fast-check';
import * as yaml from 'js-yaml';
import { capacityPlan, renderPlan } from '../src/cluster/capacity';
import { ConfigError } from '../src/config/errors';
import { parseConfig, readConfigFile } from '../src/config/load';
import { parseQuantity } from '../src/config/quantity';
import type { HubConfig } from '../src/config/schema';
import { isSecretFile } from '../src/output/manifests';
import { OUTDIR_MARKER } from '../src/output/write-dist';
import { synthesize } from '../src/output/synth';
import { validateFiles } from '../src/output/validate';
import { FuzzCase, fuzzCaseArb, MISPLACED_SECRET } from './fuzz-arbitraries';
import { baseConfig, runTs, SENTINELS, snapshot, synthEnv, tmpdir, writeConfig } from './helpers';

const intEnv = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);

/** The hub database password synth reads from env HUB_DB_PASSWORD (postgres configs). */
const DB_PASSWORD = 'SENTINEL-hub-db-password-3b8e51f0';
/** Environment for a hermetic synth (helpers' synthEnv) plus the database password sentinel. */
function fuzzEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return synthEnv(dir, { HUB_DB_PASSWORD: DB_PASSWORD, ...extra });
}

const RUNS = intEnv('FUZZ_RUNS', 2000);
/** The seed of every run unless FUZZ_SEED says otherwise. */
export const DEFAULT_SEED = 1_402_733_251;
/** FUZZ_SEED: unset, the fixed seed; "random", a fresh one; a number, that one. */
export function fuzzSeed(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_SEED;
  if (value === 'random') return (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED=${value}: give an integer, or "random"`);
  return n;
}
const SEED = fuzzSeed(process.env.FUZZ_SEED);
const REPLAY_PATH = process.env.FUZZ_PATH;
const FULL_SYNTHS = intEnv('FUZZ_FULL_SYNTHS', 30);
const INVALID_SYNTHS = intEnv('FUZZ_INVALID_SYNTHS', 20);
const CLI_RUNS = intEnv('FUZZ_CLI_RUNS', 5);
/** Shrinking a failure stops after this long (the smallest failing case so far is reported). */
const SHRINK_MS = intEnv('FUZZ_SHRINK_MS', 30_000);
/** ... of which full synths (tier 3) may take this much. */
const SHRINK_SYNTH_MS = intEnv('FUZZ_SHRINK_SYNTH_MS', 15_000);
/**
 * FUZZ_KEEP_GOING=1: do not stop (and shrink) at the first bug; collect one example of every
 * kind of bug in the run and fail at the end with all of them. For surveying, not for CI.
 */
const KEEP_GOING = process.env.FUZZ_KEEP_GOING === '1';

/** Tickets (0-999) below these pick a case for tier 3 / tier 4, spreading the samples over the run. */
// About 1 generated config in 12 passes the schema (measured over several seeds: 5-10%): the
// "valid" arbitrary's odd-but-legal values often hit a rule (YAML words, zero-width characters).
const EXPECTED_VALID = Math.max(1, RUNS * 0.08);
const FULL_TICKET = Math.min(1000, Math.ceil((1000 * FULL_SYNTHS * 1.5) / EXPECTED_VALID));
const INVALID_TICKET = Math.min(1000, Math.ceil((1000 * INVALID_SYNTHS * 1.5) / (RUNS - EXPECTED_VALID)));
const CLI_TICKET = 1000 - Math.min(1000, Math.ceil((1000 * CLI_RUNS * 1.5) / (RUNS - EXPECTED_VALID)));

// ---------------------------------------------------------------------------------------------
// checks shared by the tiers

/** A line of a JavaScript stack trace ("    at fn (file:1:2)"), not just any line starting with "at". */
const STACK_LINE = /^\s+at (?:.+ \()?(?:[^()\s]+:\d+:\d+|native|<anonymous>)\)?$/m;
/** Raw control characters (Unicode Cc) other than the line feed. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHAR = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/**
 * Characters that reorder or hide terminal text (bidi controls, zero-width, BOM): errors.ts's
 * quote() escapes exactly these (and the controls above) in values it shows.
 */
const TERMINAL_TRICK = /[\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

/** A secret as it could appear in a file: plain, or base64 at any of the three byte alignments. */
function needles(secret: string): string[] {
  const buf = Buffer.from(secret);
  const out = [secret];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), buf]).toString('base64');
    // drop the quads that mix in bytes before (alignment k > 0) or after the secret
    const core = enc.slice(k === 0 ? 0 : 4, enc.length - 4);
    if (core.length >= 8) out.push(core);
  }
  return out;
}

function findSecret(text: string, secrets: readonly string[]): string | undefined {
  for (const s of secrets) if (needles(s).some((n) => text.includes(n))) return s;
  return undefined;
}

const show = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a user-facing error text is not acceptable, or undefined. */
function textProblem(text: string, secrets: readonly string[]): string | undefined {
  const stack = STACK_LINE.exec(text);
  if (stack) return `has a stack trace line: ${JSON.stringify(stack[0])}`;
  const leaked = findSecret(text, secrets);
  if (leaked) return `echoes a secret (${leaked === MISPLACED_SECRET ? 'the misplaced-secret sentinel' : 'a sentinel secret'})`;
  const ctl = CONTROL_CHAR.exec(text);
  if (ctl) return `holds a raw control character ${show(ctl[0])} near ${JSON.stringify(text.slice(Math.max(0, ctl.index - 60), ctl.index + 20))}`;
  const trick = TERMINAL_TRICK.exec(text);
  if (trick) return `holds a raw ${show(trick[0])} (reorders or hides terminal text) near ${JSON.stringify(text.slice(Math.max(0, trick.index - 60), trick.index + 20))}`;
  if (text.includes('[object Object]')) return 'shows "[object Object]"';
  return undefined;
}

class Bug extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Bug';
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `non-Error thrown: ${String(err)}`;
  const stack = err.stack ?? '';
  const frames = stack.slice(stack.indexOf('\n    at ') + 1).split('\n').slice(0, 6).join('\n');
  return `${err.name}: ${truncate(err.message, 1500)}${err instanceof Bug ? '' : `\n${frames}`}`;
}

/** Asserts `err` is a well-formed ConfigError; anything else is a bug. */
function checkConfigError(err: unknown, where: string, secrets: readonly string[]): void {
  if (err instanceof Bug) throw err;
  if (!(err instanceof ConfigError)) throw new Bug(`${where}: expected a ConfigError, got ${describeError(err)}`);
  const msg = err.message;
  if (err.issues.length === 0) throw new Bug(`${where}: ConfigError without issues:\n${msg}`);
  // The message lists the first 40 problems and counts the rest.
  if (err.issues.length > 40 && !msg.includes(`... and ${err.issues.length - 40} more problems`)) throw new Bug(`${where}: ${err.issues.length} problems but no count of the unlisted ones`);
  for (const i of err.issues.slice(0, 40)) {
    if (typeof i.path !== 'string' || i.path.trim() === '') throw new Bug(`${where}: an issue without a path: ${JSON.stringify(i).slice(0, 300)}`);
    if (!msg.includes(`\n  ${i.path}`)) throw new Bug(`${where}: the message does not show the path ${JSON.stringify(i.path)}`);
  }
  const problem = textProblem(msg, secrets);
  if (problem) throw new Bug(`${where}: the ConfigError message ${problem}:\n${truncate(msg, 3000)}`);
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}

/** The generated secrets of a store file (empty when none was written). */
function storeSecrets(secretsDir: string, c: HubConfig): string[] {
  const file = path.join(secretsDir, `${c.namespace}.${c.releaseName}.json`);
  if (!fs.existsSync(file)) return [];
  return Object.values(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>);
}

const SECRET_NAMES: Record<string, string> = {
  [SENTINELS.auth0]: 'the Auth0 client secret (AUTH0_CLIENT_SECRET)',
  [DB_PASSWORD]: 'the hub database password (HUB_DB_PASSWORD)',
  [MISPLACED_SECRET]: 'a password written into the config (the misplaced-secret sentinel)',
};

/** Non-secret files of `files` that hold one of `secrets`. */
function leaks(files: ReadonlyMap<string, string>, secrets: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, text] of files) {
    if (isSecretFile(name)) continue;
    const s = findSecret(text, secrets);
    if (s) out.push(`${name} holds ${SECRET_NAMES[s] ?? 'a generated secret'}`);
  }
  return out;
}

const HOME = '/home/jovyan';

/** An image reference with exactly one tag or digest, not `latest`. */
function imageRefProblem(ref: string): string | undefined {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (last.includes('@')) return /^[^:@]+@sha256:[a-f0-9]{64}$/.test(last) ? undefined : 'has a malformed digest';
  const colons = last.split(':').length - 1;
  if (colons !== 1) return `has ${colons} tags (":" after the last "/")`;
  if (last.endsWith(':latest')) return 'is not pinned (latest)';
  return undefined;
}

/**
 * What the cross-field rules promise about the output, checked on the values given to the chart
 * (dist/values/z2jh-values.yaml): every profile's pod is admissible (guarantee <= limit, as
 * Kubernetes requires), fits a node's GPUs, has a pinned single-tag image; shared-data mounts
 * neither hide the home directory nor share a mount point; and no two objects in dist/ share a
 * kind, namespace and name (kubectl would silently keep only one of them).
 */
function outputProblems(c: HubConfig, files: ReadonlyMap<string, string>): string[] {
  const text = files.get('values/z2jh-values.yaml');
  if (text === undefined) return ['no values/z2jh-values.yaml'];
  const values = yaml.load(text) as { singleuser: { profileList: any[]; storage: { extraVolumeMounts?: { mountPath: string }[] } } };
  const out: string[] = [];
  const gpusMax = Math.max(...c.cluster.nodes.map((n) => n.gpus));
  for (const p of values.singleuser.profileList) {
    const o = p.kubespawner_override;
    if (o.cpu_guarantee > o.cpu_limit) out.push(`profile ${p.slug}: cpu_guarantee ${o.cpu_guarantee} > cpu_limit ${o.cpu_limit} (Kubernetes rejects the pod)`);
    if (parseQuantity(o.mem_guarantee)! > parseQuantity(o.mem_limit)!) out.push(`profile ${p.slug}: mem_guarantee ${o.mem_guarantee} > mem_limit ${o.mem_limit} (Kubernetes rejects the pod)`);
    const gpus = Number(o.extra_resource_limits?.['nvidia.com/gpu'] ?? 0);
    if (gpus > gpusMax) out.push(`profile ${p.slug}: asks for ${gpus} GPUs per user, no node has more than ${gpusMax} (never schedulable)`);
    const img = imageRefProblem(o.image);
    if (img) out.push(`profile ${p.slug}: image ${JSON.stringify(o.image)} ${img}`);
  }
  const seen = new Set<string>();
  for (const [name, text] of files) {
    if (!name.endsWith('.yaml') || name.startsWith('values/')) continue;
    for (const o of yaml.loadAll(text) as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }[]) {
      if (!o) continue;
      const id = `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
      if (seen.has(id)) out.push(`two objects ${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name} (kubectl apply keeps only the last)`);
      seen.add(id);
    }
  }
  const mounts = (values.singleuser.storage.extraVolumeMounts ?? []).map((m) => path.posix.normalize(m.mountPath).replace(/(.)\/+$/, '$1'));
  for (const m of mounts) {
    if (m === HOME || m === `${HOME}/work` || m.startsWith(`${HOME}/work/`)) out.push(`a shared-data mount at ${JSON.stringify(m)} hides the home directory`);
  }
  if (new Set(mounts).size !== mounts.length) out.push(`shared-data mounts share a mount point: ${JSON.stringify(mounts)}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// setup

let work = '';
let stubHelm = '';
let existing = { dir: '', dist: '', env: {} as NodeJS.ProcessEnv, files: new Map<string, string>(), secrets: [] as string[] };
const tier2 = { dir: '', secrets: '' };

/** Runs `fn` with cdk8s's Yaml.load reading local files in-process (only for the stub helm's empty output). */
function withInProcessChartLoad<T>(fn: () => T): T {
  const y = Yaml as unknown as { load: (file: string) => unknown[] };
  const original = y.load;
  y.load = (file: string) => {
    const text = fs.readFileSync(file, 'utf8');
    if (text.trim() !== '') throw new Error('the stub helm rendered something');
    return [];
  };
  try {
    return fn();
  } finally {
    y.load = original;
  }
}

/** Writes a valid config as JSON or YAML; YAML only when it reads back to the same data. */
function writeValidConfig(dir: string, config: unknown, asYaml: boolean): string {
  if (asYaml) {
    const file = path.join(dir, 'config.yaml');
    try {
      fs.writeFileSync(file, yaml.dump(config, { noRefs: true }));
      assert.deepEqual(readConfigFile(file), JSON.parse(JSON.stringify(config)));
      return file;
    } catch {
      // not writable as YAML (a RegExp from a TypeScript-only mutation), or no round trip: JSON
    }
  }
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

function leftovers(parent: string): string[] {
  return fs.readdirSync(parent).filter((n) => n.startsWith('.dist-'));
}

// ---------------------------------------------------------------------------------------------
// the property

interface Stats {
  cases: number;
  valid: number;
  invalid: number;
  mutatedValid: number;
  tier2: number;
  tier2ConfigErrors: number;
  full: number;
  fullConfigErrors: number;
  fullMs: number;
  invalidSynths: number;
  tier4Ms: number;
  checkMs: number;
  invalidSkipped: number;
  cli: number;
  parseMs: number;
  tier2Ms: number;
  plans: number;
  planMs: number;
  slowestPlanMs: number;
  bigUserLists: number;
  tlsModes: Record<string, number>;
  multiNode: number;
  gpuNodes: number;
  withProfiles: number;
}

const stats: Stats = {
  cases: 0, valid: 0, invalid: 0, mutatedValid: 0, tier2: 0, tier2ConfigErrors: 0, full: 0, fullConfigErrors: 0, fullMs: 0,
  invalidSynths: 0, tier4Ms: 0, checkMs: 0, invalidSkipped: 0, cli: 0, parseMs: 0, tier2Ms: 0, plans: 0, planMs: 0, slowestPlanMs: 0, bigUserLists: 0,
  tlsModes: {}, multiNode: 0, gpuNodes: 0, withProfiles: 0,
};
let shrinking = false;
let shrinkStart = 0;
let shrinkSynthMs = 0;
const replaying = REPLAY_PATH !== undefined;

const baseSecrets = [SENTINELS.auth0, DB_PASSWORD, MISPLACED_SECRET];

function tier2Check(c: HubConfig, fc0: FuzzCase): void {
  const dir = tier2.dir;
  const file = writeValidConfig(dir, fc0.config, fc0.ticket % 2 === 1);
  const env = { ...fuzzEnv(dir, { HUB_CONFIG: file, HELM: stubHelm }), HUB_SECRETS_DIR: tier2.secrets };
  const t0 = performance.now();
  let r: ReturnType<typeof synthesize>;
  try {
    r = withInProcessChartLoad(() => synthesize({ env, dryRun: true }));
  } catch (err) {
    checkConfigError(err, 'synthesize (everything but helm) of a config parseConfig accepted', [...baseSecrets, ...storeSecrets(tier2.secrets, c)]);
    stats.tier2ConfigErrors++;
    return;
  } finally {
    stats.tier2Ms += performance.now() - t0;
  }
  stats.tier2++;
  const secrets = [...baseSecrets, ...storeSecrets(tier2.secrets, c)];
  const leaked = leaks(r.files, secrets);
  if (leaked.length) throw new Bug(`secret leak (everything but helm): ${leaked.join('; ')}`);
  const problems = outputProblems(r.loaded.config, r.files);
  if (problems.length) throw new Bug(`a config parseConfig accepted gives output that breaks the cross-field rules:\n  ${problems.join('\n  ')}`);
  // npm run plan on one valid config in eight (it costs ~25 ms); not residue 0, where shrunk tickets land
  if (fc0.ticket % 8 !== 7) return;
  stats.plans++;
  const p0 = performance.now();
  try {
    renderPlan(capacityPlan(r.loaded.config), r.loaded.config);
  } catch (err) {
    throw new Bug(`npm run plan (capacityPlan/renderPlan) throws on a valid config: ${describeError(err)}`);
  }
  const planMs = performance.now() - p0;
  stats.planMs += planMs;
  stats.slowestPlanMs = Math.max(stats.slowestPlanMs, planMs);
}

function fullSynthCheck(c: HubConfig, fc0: FuzzCase): void {
  const dir = fs.mkdtempSync(path.join(work, 'full-'));
  const t0 = performance.now();
  try {
    const file = writeValidConfig(dir, fc0.config, fc0.ticket % 2 === 1);
    const env = fuzzEnv(dir, { HUB_CONFIG: file });
    const dist = path.join(dir, 'dist');
    let r1: ReturnType<typeof synthesize>;
    try {
      r1 = synthesize({ env });
    } catch (err) {
      const partial = fs.existsSync(dist) ? [`a dist/ (${[...snapshot(dist).keys()].join(', ')})`] : [];
      const left = [...partial, ...leftovers(dir)];
      if (left.length) throw new Bug(`a failed synth left ${left.join(' and ')} behind; it failed with ${describeError(err)}`);
      checkConfigError(err, 'synthesize of a config parseConfig accepted', [...baseSecrets, ...storeSecrets(path.join(dir, 'secrets'), c)]);
      stats.fullConfigErrors++;
      return;
    }
    const first = snapshot(dist);
    // Besides the synthesized files, synth leaves only its marker (OUTDIR_MARKER: the folder is ours to replace).
    assert.deepEqual([...first.keys()].filter((k) => k !== OUTDIR_MARKER).sort(), [...r1.files.keys()].sort(), 'dist/ holds exactly the synthesized files');
    for (const [name, text] of r1.files) assert.equal(first.get(name), text, `dist/${name} is what synth returned`);
    const problems = validateFiles(r1.files);
    if (problems.length) throw new Bug(`offline validation problems in a written dist/: ${JSON.stringify(problems.slice(0, 5))}`);
    const generated = storeSecrets(path.join(dir, 'secrets'), c);
    assert.equal(generated.length, 3, 'the store holds the three generated secrets');
    const secrets = [...baseSecrets, ...generated];
    const leaked = leaks(first, secrets);
    if (leaked.length) throw new Bug(`secret leak in dist/: ${leaked.join('; ')}`);
    const broken = outputProblems(r1.loaded.config, r1.files);
    if (broken.length) throw new Bug(`a config parseConfig accepted gives output that breaks the cross-field rules:\n  ${broken.join('\n  ')}`);
    try {
      synthesize({ env });
    } catch (err) {
      throw new Bug(`the second synth of the same config failed: ${describeError(err)}`);
    }
    const second = snapshot(dist);
    if (!isDeepEqual(first, second)) {
      const changed = [...new Set([...first.keys(), ...second.keys()])].filter((k) => first.get(k) !== second.get(k));
      throw new Bug(`not deterministic: a second synth changed ${changed.join(', ')}`);
    }
    if (leftovers(dir).length) throw new Bug(`synth left ${leftovers(dir).join(', ')}`);
    stats.full++;
  } finally {
    const ms = performance.now() - t0;
    stats.fullMs += ms;
    if (shrinking) shrinkSynthMs += ms;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Writes an invalid config as a file synth will read: YAML, or (ticket % 3 == 0) JSON cut short. */
function writeInvalidConfig(dir: string, fc0: FuzzCase): string | undefined {
  if (fc0.ticket % 3 === 0) {
    let json: string | undefined;
    try {
      json = JSON.stringify(fc0.config);
    } catch {
      json = undefined;
    }
    if (json !== undefined && json.length > 2) {
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, json.slice(0, 1 + (fc0.ticket * 7919) % (json.length - 1)));
      return file;
    }
  }
  const file = path.join(dir, 'config.yaml');
  try {
    fs.writeFileSync(file, yaml.dump(fc0.config, { skipInvalid: true, noRefs: true }));
  } catch {
    return undefined; // js-yaml cannot write it (e.g. a BigInt): nothing a user could write either
  }
  return file;
}

/** Throws a Bug when the existing dist/ changed or temporary folders were left (and restores it). */
function distUntouched(how: string): void {
  const changed = !isDeepEqual(snapshot(existing.dist), existing.files);
  const left = leftovers(existing.dir);
  if (!changed && left.length === 0) return;
  fs.rmSync(existing.dist, { recursive: true, force: true });
  for (const [name, text] of existing.files) {
    fs.mkdirSync(path.dirname(path.join(existing.dist, name)), { recursive: true });
    fs.writeFileSync(path.join(existing.dist, name), text);
  }
  for (const l of left) fs.rmSync(path.join(existing.dir, l), { recursive: true, force: true });
  throw new Bug(`a synth of an invalid config ${[...(changed ? ['changed the existing dist/'] : []), ...(left.length ? [`left ${left.join(', ')}`] : [])].join(' and ')} (${how})`);
}

function invalidSynthCheck(fc0: FuzzCase, viaCli: boolean): void {
  const t0 = performance.now();
  try {
    invalidSynthCheckInner(fc0, viaCli);
  } finally {
    stats.tier4Ms += performance.now() - t0;
  }
}

function invalidSynthCheckInner(fc0: FuzzCase, viaCli: boolean): void {
  const file = writeInvalidConfig(existing.dir, fc0);
  if (!file) {
    stats.invalidSkipped++;
    return;
  }
  try {
    // The file must be invalid as written (a YAML dump can drop an undefined or a function).
    try {
      parseConfig(readConfigFile(file), 'config file');
      stats.invalidSkipped++;
      return;
    } catch (err) {
      checkConfigError(err, 'reading the config file', baseSecrets);
    }
    const env = { ...existing.env, HUB_CONFIG: file };
    const secrets = [...baseSecrets, ...existing.secrets];
    if (viaCli) {
      const r = runTs('src/main.ts', [], env);
      stats.cli++;
      distUntouched(`the CLI exited ${r.status}`);
      if (r.status !== 1) throw new Bug(`the CLI exited ${r.status} (expected 1) on an invalid config:\n${truncate(r.stderr, 3000)}`);
      const problem = textProblem(`${r.stdout}\n${r.stderr}`, secrets);
      if (problem) throw new Bug(`the CLI output ${problem}`);
      if (!/^Configuration error in /m.test(r.stderr)) throw new Bug(`the CLI printed no configuration error:\n${truncate(r.stderr, 3000)}`);
    } else {
      stats.invalidSynths++;
      let outcome: { err: unknown } | undefined;
      try {
        synthesize({ env });
      } catch (err) {
        outcome = { err };
      }
      distUntouched(outcome ? describeError(outcome.err) : 'synthesize succeeded');
      if (!outcome) throw new Bug('synthesize accepted a config file that parseConfig refuses');
      checkConfigError(outcome.err, 'synthesize of an invalid config', secrets);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The tier where the run's first failure happened: shrinking re-runs the expensive one only then. */
let failedTier: string | undefined;

function inTier(name: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    failedTier ??= name;
    throw err;
  }
}

/** While shrinking a failure already found, full synths stop after SHRINK_SYNTH_MS (this only bounds how small the reported case gets). */
function shrinkBudgetLeft(): boolean {
  return !shrinking || replaying || shrinkSynthMs < SHRINK_SYNTH_MS;
}

function checkCase(fc0: FuzzCase): void {
  stats.cases++;
  const t0 = performance.now();
  let c: HubConfig;
  try {
    c = parseConfig(fc0.config, 'fuzz.yaml');
  } catch (err) {
    stats.parseMs += performance.now() - t0;
    stats.invalid++;
    checkConfigError(err, 'parseConfig', baseSecrets);
    const free = replaying || shrinking;
    if (fc0.ticket < INVALID_TICKET && (free || stats.invalidSynths < INVALID_SYNTHS)) invalidSynthCheck(fc0, false);
    else if (fc0.ticket >= CLI_TICKET && (free || stats.cli < CLI_RUNS)) invalidSynthCheck(fc0, true);
    return;
  }
  stats.parseMs += performance.now() - t0;
  stats.valid++;
  if (fc0.mutations.length > 0) stats.mutatedValid++;
  if (c.auth0.allowedUsers.length + c.auth0.adminUsers.length >= 200) stats.bigUserLists++;
  stats.tlsModes[c.tls.mode] = (stats.tlsModes[c.tls.mode] ?? 0) + 1;
  if (c.cluster.nodes.length > 1) stats.multiNode++;
  if (c.cluster.nodes.some((n) => n.gpus > 0)) stats.gpuNodes++;
  if (c.profiles) stats.withProfiles++;
  const full = fc0.ticket < FULL_TICKET && (replaying || shrinking || stats.full + stats.fullConfigErrors < FULL_SYNTHS) && shrinkBudgetLeft();
  if (!shrinking && !replaying) {
    if (full) inTier('full synth', () => fullSynthCheck(c, fc0));
    else inTier('everything but helm', () => tier2Check(c, fc0));
    return;
  }
  // Shrinking or replaying: the cheap tier first (most failures show there too), the full synth
  // only when that is where the failure was found.
  tier2Check(c, fc0);
  if (full && (replaying || failedTier === 'full synth')) fullSynthCheck(c, fc0);
}

// ---------------------------------------------------------------------------------------------
// reporting

interface Found {
  readonly message: string;
  readonly example: string;
  count: number;
}
const found = new Map<string, Found>();

/** Groups bugs by their message with names, numbers and quoted values blanked out. */
function bugKind(message: string): string {
  return message.split('\n').slice(0, 2).join(' | ')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/profile \S+:/g, 'profile …:')
    .replace(/\b[A-Z][A-Za-z]+\/[^/\s]*\/[^/\s]+/g, 'Kind/ns/name')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 300);
}

function record(err: unknown, example: FuzzCase): void {
  const message = describeError(err);
  const kind = bugKind(message);
  const text = JSON.stringify(summarize(example), null, 1);
  const prev = found.get(kind);
  if (!prev) found.set(kind, { message, example: text, count: 1 });
  else {
    prev.count++;
    if (text.length < prev.example.length) found.set(kind, { message, example: text, count: prev.count });
  }
}

/** A short rendering of a counterexample: long strings and lists cut, class instances named. */
function summarize(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 120 ? `${v.slice(0, 60)}…(${v.length} chars)` : v;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'symbol' || typeof v === 'function') return `(${typeof v})`;
  if (depth > 8) return '(…)';
  if (Array.isArray(v)) {
    const items = v.length > 12 ? [...v.slice(0, 6), `…(${v.length} items)`] : Array.from(v);
    return items.map((x) => summarize(x, depth + 1));
  }
  if (v instanceof Date || v instanceof RegExp || v instanceof Map || ArrayBuffer.isView(v)) return `(${Object.prototype.toString.call(v)})`;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k.length > 60 ? `${k.slice(0, 30)}…(${k.length} chars)` : k] = summarize((v as Record<string, unknown>)[k], depth + 1);
    return out;
  }
  return v;
}

function replayLine(p?: string): string {
  return `FUZZ_SEED=${SEED}${p ? ` FUZZ_PATH=${p}` : ''} FUZZ_RUNS=${RUNS} node --import tsx --test test/fuzz.test.ts`;
}

function statsLines(ms: number): string[] {
  const pct = (n: number) => `${((100 * n) / Math.max(1, stats.cases)).toFixed(1)}%`;
  return [
    `seed ${SEED} (replay: ${replayLine()})`,
    `${stats.cases} configs in ${(ms / 1000).toFixed(1)} s: ${stats.valid} valid (${pct(stats.valid)}, ${stats.mutatedValid} of them mutated), ${stats.invalid} invalid (${pct(stats.invalid)})`,
    `valid: tls ${JSON.stringify(stats.tlsModes)}, ${stats.multiNode} multi-node, ${stats.gpuNodes} with GPU nodes, ${stats.withProfiles} with profiles, ${stats.bigUserLists} with >= 200 users`,
    `tier 1 parseConfig: ${stats.cases} configs, ${(stats.parseMs / 1000).toFixed(1)} s`,
    `tier 2 everything but helm: ${stats.tier2} synthesized + ${stats.tier2ConfigErrors} ConfigErrors (TLS), ${(stats.tier2Ms / 1000).toFixed(1)} s; npm run plan on ${stats.plans}: ${(stats.planMs / 1000).toFixed(1)} s (slowest ${stats.slowestPlanMs.toFixed(0)} ms)`,
    `tier 3 full synth x2: ${stats.full} configs + ${stats.fullConfigErrors} ConfigErrors (TLS), ${(stats.fullMs / 1000).toFixed(1)} s`,
    `tier 4 invalid against an existing dist/: ${stats.invalidSynths} synths, ${stats.cli} CLI runs (${stats.invalidSkipped} skipped: valid or unwritable as a file), ${(stats.tier4Ms / 1000).toFixed(1)} s`,
    `generating and mutating configs: ${((ms - stats.checkMs) / 1000).toFixed(1)} s`,
  ];
}

describe('config fuzzing (fast-check)', () => {
  before(() => {
    work = tmpdir('mk8s-jh-fuzz-');
    stubHelm = path.join(work, 'bin', 'helm');
    fs.mkdirSync(path.dirname(stubHelm), { recursive: true });
    // Answers `helm version`; renders nothing for `helm template`.
    fs.writeFileSync(stubHelm, '#!/bin/sh\nif [ "$1" = version ]; then echo v3.17.2; fi\nexit 0\n', { mode: 0o755 });
    tier2.dir = path.join(work, 'tier2');
    tier2.secrets = path.join(tier2.dir, 'secrets');
    fs.mkdirSync(tier2.dir, { recursive: true });
    // The dist/ that failed synths must leave alone.
    const dir = path.join(work, 'existing');
    fs.mkdirSync(dir, { recursive: true });
    const env = fuzzEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig(), 'base.yaml') });
    const r = synthesize({ env });
    existing = {
      dir,
      dist: path.join(dir, 'dist'),
      env,
      files: snapshot(path.join(dir, 'dist')),
      secrets: storeSecrets(path.join(dir, 'secrets'), r.loaded.config),
    };
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it(`${RUNS} generated configs synthesize cleanly or fail with a ConfigError`, { timeout: 20 * 60_000 }, (t) => {
    const t0 = performance.now();
    let failure: string | undefined;
    const property = fc.property(fuzzCaseArb, (fc0) => {
      // Out of time for shrinking: every further candidate "passes", which ends the shrink.
      if (shrinking && performance.now() - shrinkStart > SHRINK_MS) return;
      const c0 = performance.now();
      try {
        checkCase(fc0);
      } catch (err) {
        if (KEEP_GOING) {
          record(err, fc0);
          return;
        }
        if (!shrinking) shrinkStart = performance.now();
        shrinking = true;
        throw err;
      } finally {
        stats.checkMs += performance.now() - c0;
      }
    });
    try {
      fc.assert(property, {
        seed: SEED,
        numRuns: RUNS,
        ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
        reporter: (d) => {
          if (!d.failed) return;
          const dump = path.join(os.tmpdir(), `mk8s-jh-fuzz-failure-${SEED}.txt`);
          const example = d.counterexample?.[0] as FuzzCase | undefined;
          const text = example ? JSON.stringify(summarize(example), null, 2) : '(none)';
          fs.writeFileSync(dump, `${replayLine(d.counterexamplePath ?? undefined)}\n\n${fc.stringify(d.counterexample)}\n`);
          failure = [
            `Config fuzzing found a bug after ${d.numRuns} runs (${d.numShrinks} shrinks).`,
            `Replay: ${replayLine(d.counterexamplePath ?? undefined)}`,
            `Full counterexample: ${dump}`,
            '',
            describeError(d.errorInstance).slice(0, 4000),
            '',
            `Counterexample (long strings and lists cut):\n${truncate(text, 6000)}`,
          ].join('\n');
          throw new Error(failure);
        },
      });
    } finally {
      const lines = statsLines(performance.now() - t0);
      for (const l of lines) t.diagnostic(l);
      if (failure) process.stderr.write(`\n${failure}\n\n${lines.join('\n')}\n`);
    }
    assert.ok(stats.cases >= RUNS || REPLAY_PATH, `ran ${stats.cases} of ${RUNS} configs`);
    if (found.size > 0) {
      const kinds = [...found.values()].map((f, i) => `#${i + 1} (${f.count}x): ${f.message}\nsmallest example:\n${truncate(f.example, 4000)}`);
      const text = `Config fuzzing found ${found.size} kind(s) of bug (seed ${SEED}):\n\n${kinds.join('\n\n')}`;
      process.stderr.write(`\n${text}\n`);
      assert.fail(text);
    }
  });
});

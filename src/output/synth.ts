/**
 * The main job: config -> cdk8s constructs (with a real `helm template` of z2jh) -> checked
 * files -> dist/, replaced file by file (see write-dist.ts). Anything wrong stops it before dist/ is touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTlsMaterial, resolveConfigPath, TlsCheckError, TlsMaterial } from '../cluster/tls-check';
import { ConfigError } from '../config/errors';
import { loadConfig, LoadedConfig } from '../config/load';
import { resolveChartSource } from '../hub/chart-source';
import { resolveHelm } from '../hub/helm-binary';
import { DEFAULT_HELM_TIMEOUT_SECONDS } from '../hub/helm-template';
import { PROJECT_ROOT } from '../util/project-root';
import type { HubEnvironment } from '../hub-environment';
import type { ChartSource } from '../hub/chart-source';
import { Rendering, ReleaseRun, startRelease } from '../hub/jupyterhub-release';
import { hubValuesFor } from '../hub/values';
import { kubeVersionFor } from '../cluster/microk8s-release';
import { HubSecrets, loadHubSecrets, secretsDir } from '../secret-store/store';
import { checkDataMove, comparedDocument } from './data-move';
import { KubeObject } from './kube-object';
import { findLeaks, leakError, namedSecrets } from './leak-check';
import { checkObjectSet, FILES, fileFor, isSecretFile, layoutFiles, normalizeObject, NormalizeOptions, normalizeObjects } from './manifests';
import { previousObjects } from './immutable-changes';
import type { PlacedObject } from './validate';
import { checkOutdir, cleanLeftovers, lockOutdir, OutdirLock, readDist, writeDist } from './write-dist';
import { UserError } from '../util/errors';
import { saveValidatorCodeCaches } from '../util/ajv-cache';

export const DEFAULT_OUTDIR = path.join(PROJECT_ROOT, 'dist');

export interface SynthOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** @default dist/ of the project (or env HUB_OUTDIR) */
  readonly outdir?: string;
  /** Clock for certificate expiry checks. @default now */
  readonly now?: Date;
  /** Write nothing; just return the files. @default false */
  readonly dryRun?: boolean;
  /** Skip the data-move guard (diff reports moves itself). @default env HUB_ALLOW_DATA_MOVE=1 */
  readonly allowDataMove?: boolean;
  /** How long to wait for another synth writing the same folder. @default 15 */
  readonly lockWaitSeconds?: number;
}

export interface SynthResult {
  readonly loaded: LoadedConfig;
  readonly files: ReadonlyMap<string, string>;
  readonly objects: readonly KubeObject[];
  readonly warnings: readonly string[];
  readonly placeholderReasons: readonly string[];
  readonly outdir: string;
}

function readTls(loaded: LoadedConfig, now?: Date): TlsMaterial | undefined {
  const tls = loaded.config.tls;
  if (tls.mode !== 'secret') return undefined;
  try {
    return readTlsMaterial({
      certFile: resolveConfigPath(loaded.baseDir, tls.certFile),
      keyFile: resolveConfigPath(loaded.baseDir, tls.keyFile),
      domain: loaded.config.domain,
      now,
    });
  } catch (err) {
    if (err instanceof TlsCheckError) throw new ConfigError(loaded.source, err.issues);
    throw err;
  }
}

/** Extra kinds accepted without a schema: env HUB_ALLOW_KINDS="Kind1,group/v1/Kind2". */
export function allowedKinds(env: NodeJS.ProcessEnv): string[] {
  return (env.HUB_ALLOW_KINDS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
}

/** How long helm may run: env HUB_HELM_TIMEOUT_SECONDS. @default 60 */
export function helmTimeoutSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.HUB_HELM_TIMEOUT_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_HELM_TIMEOUT_SECONDS;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`HUB_HELM_TIMEOUT_SECONDS=${JSON.stringify(raw)} is not a number of seconds greater than 0. Unset it (default ${DEFAULT_HELM_TIMEOUT_SECONDS}) or set e.g. HUB_HELM_TIMEOUT_SECONDS=120.`, 2);
  return n;
}

function outdirRules(env: NodeJS.ProcessEnv) {
  return { defaultOutdir: DEFAULT_OUTDIR, protect: [PROJECT_ROOT, secretsDir(env)] };
}

/** What a synth reads before anything is built: config, TLS material, secrets, chart and helm. */
interface Inputs {
  readonly env: NodeJS.ProcessEnv;
  readonly outdir: string;
  readonly loaded: LoadedConfig;
  readonly tls?: TlsMaterial;
  readonly secrets: HubSecrets;
  readonly chartSource: ChartSource;
  readonly helmExecutable: string;
  readonly helmTimeoutSeconds: number;
}

/** The inputs and the construct tree (the release not rendered yet). */
interface Prepared extends Inputs {
  readonly hub: HubEnvironment;
}

function readInputs(opts: SynthOptions): Inputs {
  const env = opts.env ?? process.env;
  const outdir = path.resolve(opts.outdir ?? env.HUB_OUTDIR ?? DEFAULT_OUTDIR);
  // Refuse a folder this program did not write before any work (it is checked again under the lock).
  if (!opts.dryRun) checkOutdir(outdir, outdirRules(env));
  const helmTimeout = helmTimeoutSeconds(env);
  const loaded = loadConfig(env);
  const c = loaded.config;
  const tls = readTls(loaded, opts.now);
  const chartSource = resolveChartSource(c.chartVersion, env);
  const helm = resolveHelm(env);
  const secrets = loadHubSecrets({ namespace: c.namespace, release: c.releaseName, env, needDatabasePassword: c.hubDatabase.type === 'postgres' });
  return { env, outdir, loaded, tls, secrets, chartSource, helmExecutable: helm.command, helmTimeoutSeconds: helmTimeout };
}

/**
 * The construct tree. cdk8s and the constructs are required here, not imported: synthesizeAsync
 * starts helm first, and they load while it renders.
 */
function buildTree(i: Inputs, release?: ReleaseRun): Prepared {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { App } = require('cdk8s') as typeof import('cdk8s');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { HubEnvironment } = require('../hub-environment') as typeof import('../hub-environment');
  const app = new App({ outdir: path.join(i.outdir, '.unused') });
  const hub = new HubEnvironment(app, 'hub', { config: i.loaded.config, secrets: i.secrets, tls: i.tls, chartSource: i.chartSource, helmExecutable: i.helmExecutable, release });
  return { ...i, hub };
}

/** This program's own objects (everything but helm's), checked: ready to be joined by helm's. */
interface OwnObjects {
  readonly objects: readonly KubeObject[];
  readonly patches: readonly KubeObject[];
  /** Each object's YAML, kept for the layout with helm's objects. */
  readonly yaml: WeakMap<KubeObject, string>;
}

function normalizeOptions(p: Prepared): NormalizeOptions {
  const c = p.loaded.config;
  return { namespace: c.namespace, release: c.releaseName, placeholders: p.secrets.placeholderReasons.length > 0 };
}

/** Offline validation; throws what a user must fix. */
function validateOrThrow(p: Prepared, objects: Iterable<PlacedObject>): void {
  // Required here, not imported: in synthesizeAsync the validators then load while helm runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { formatProblems, validateObjects } = require('./validate') as typeof import('./validate');
  const problems = validateObjects(objects, { allowKinds: allowedKinds(p.env), microk8sRelease: p.loaded.config.microk8s.release });
  if (problems.length > 0) {
    throw new UserError(`Refusing to write dist/: ${problems.length} object problem(s) found by offline validation:\n${formatProblems(problems)}`);
  }
}

/** The files of `objects`, after the secret-leak check. */
function filesWithoutLeaks(p: Prepared, objects: readonly KubeObject[], patches: readonly KubeObject[], yaml: WeakMap<KubeObject, string>): Map<string, string> {
  const files = layoutFiles(objects, patches, p.hub.jupyterhub.redactedValues, yaml);
  const leaks = findLeaks(files, namedSecrets(p.secrets, p.tls));
  if (leaks.length > 0) throw leakError(leaks, p.loaded.config);
  return files;
}

/**
 * This program's own objects, before helm's are added: normalized, laid out, checked for
 * secrets and validated. In synthesizeAsync this runs while helm renders.
 */
function checkOwnObjects(p: Prepared): OwnObjects {
  if (p.hub.jupyterhub.rendered) throw new Error('synth: own objects must be taken before the z2jh release is rendered');
  const opts = normalizeOptions(p);
  const objects = normalizeObjects(p.hub.manifests.toJson() as KubeObject[], opts);
  const patches = p.hub.patches.toJson() as KubeObject[];
  const yaml = new WeakMap<KubeObject, string>();
  filesWithoutLeaks(p, objects, patches, yaml);
  validateOrThrow(p, [
    ...objects.map((object) => ({ file: fileFor(object), object })),
    ...patches.map((object) => ({ file: FILES.provisionerPatch, object })),
  ]);
  return { objects, patches, yaml };
}

/** The previous output, for the data-move guard: its top-level object files, Secrets left out. */
function readPrevious(outdir: string): KubeObject[] {
  return previousObjects(readDist(outdir, (f) => !f.includes('/') && !isSecretFile(f)), comparedDocument);
}

/**
 * The folder, locked for this synth (unless dryRun), checked and cleaned, with what it held
 * before. From here to the end of writing, one synth at a time.
 */
function openOutdir(p: Prepared, opts: SynthOptions): { lock?: OutdirLock; previous: KubeObject[] } {
  if (opts.dryRun) return { previous: readPrevious(p.outdir) };
  const lock = lockOutdir(p.outdir, opts.lockWaitSeconds ?? 15);
  try {
    checkOutdir(p.outdir, outdirRules(p.env));
    cleanLeftovers(p.outdir);
    return { lock, previous: readPrevious(p.outdir) };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** Everything after the helm run: helm's objects checked and joined to ours, then dist/ (unless dryRun). */
function finish(p: Prepared, opts: SynthOptions, own: OwnObjects, outdir: { lock?: OutdirLock; previous: KubeObject[] }): SynthResult {
  const { env, loaded, secrets, tls } = p;
  if (!p.hub.jupyterhub.rendered) throw new Error('synth: the z2jh release was not rendered');
  const nopts = normalizeOptions(p);
  const released = p.hub.jupyterhub.renderedObjects().map((o) => normalizeObject(o as KubeObject, nopts));
  const apply = [...own.objects, ...released];
  checkObjectSet(apply, nopts);
  const files = filesWithoutLeaks(p, apply, own.patches, own.yaml);
  validateOrThrow(p, released.map((object) => ({ file: fileFor(object), object })));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { clientSideApplyWarnings } = require('./validate') as typeof import('./validate');
  // Objects too large for the README's plain `kubectl apply` (its last-applied annotation).
  const applyWarnings = clientSideApplyWarnings(apply);
  if (!opts.allowDataMove) checkDataMove(outdir.previous, apply, env);
  if (!opts.dryRun) {
    writeDist(p.outdir, files);
    stageForCdk8sCli(p.outdir, files, env);
  }
  // The validators have run: keep their compiled code for the next synth (ajv-cache.ts).
  saveValidatorCodeCaches();
  return { loaded, files, objects: apply, warnings: [...(tls?.warnings ?? []), ...applyWarnings], placeholderReasons: secrets.placeholderReasons, outdir: p.outdir };
}

/**
 * Builds dist/ in memory and, unless dryRun, swaps it in. helm runs to completion before
 * anything else continues (for tests and `npm run diff`); `synthesizeAsync` is the faster one.
 */
export function synthesize(opts: SynthOptions = {}): SynthResult {
  const p = buildTree(readInputs(opts));
  const own = checkOwnObjects(p);
  p.hub.jupyterhub.renderSync({ timeoutSeconds: p.helmTimeoutSeconds, env: p.env });
  const outdir = openOutdir(p, opts);
  try {
    return finish(p, opts, own, outdir);
  } finally {
    outdir.lock?.release();
  }
}

/**
 * The same as `synthesize`, with everything that does not need helm's output done while helm
 * runs: the values checked against the chart schema (by render()), this program's own objects
 * checked (a mistake there is reported without waiting for helm, and the validators are warm
 * when helm's objects arrive), the output folder locked and the previous output read.
 */
export async function synthesizeAsync(opts: SynthOptions = {}): Promise<SynthResult> {
  const i = readInputs(opts);
  const c = i.loaded.config;
  const abort = new AbortController();
  // helm first: its values need no construct (hubValuesFor), and it renders while the rest loads.
  const release = startRelease({
    source: i.chartSource,
    helmExecutable: i.helmExecutable,
    releaseName: c.releaseName,
    namespace: c.namespace,
    kubeVersion: kubeVersionFor(c.microk8s.release),
    values: hubValuesFor(c, i.secrets, i.tls),
  }, { timeoutSeconds: i.helmTimeoutSeconds, env: i.env, signal: abort.signal });
  let p: Prepared;
  let rendering: Rendering;
  let own: OwnObjects;
  let outdir: { lock?: OutdirLock; previous: KubeObject[] };
  try {
    // helm reads all its values before it renders; its input is closed by the event loop.
    await release.valuesSent;
    p = buildTree(i, release);
    rendering = p.hub.jupyterhub.start({ signal: abort.signal });
  } catch (err) {
    abort.abort();
    await release.documents.catch(() => undefined);
    throw err;
  }
  try {
    own = checkOwnObjects(p);
    outdir = openOutdir(p, opts);
  } catch (err) {
    abort.abort();
    await rendering.done.catch(() => undefined);
    throw err;
  }
  try {
    await rendering.done;
    return finish(p, opts, own, outdir);
  } finally {
    outdir.lock?.release();
  }
}

/**
 * cdk8s-cli empties and then lists its own output folder (CDK8S_OUTDIR): hard-link the applied
 * files there so `cdk8s synth` lists them (and `--stdout` prints them). dist/ stays the truth.
 */
function stageForCdk8sCli(outdir: string, files: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv): void {
  const staging = env.CDK8S_OUTDIR;
  if (!staging || path.resolve(staging) === outdir) return;
  fs.mkdirSync(staging, { recursive: true });
  for (const name of files.keys()) {
    if (name.includes('/')) continue;
    const target = path.join(staging, name);
    fs.rmSync(target, { force: true });
    try {
      fs.linkSync(path.join(outdir, name), target);
    } catch {
      fs.copyFileSync(path.join(outdir, name), target);
    }
  }
}

export function summarize(r: SynthResult): string {
  const lines: string[] = [];
  const count = new Map<string, number>();
  for (const o of r.objects) count.set(o.kind, (count.get(o.kind) ?? 0) + 1);
  const rel = path.relative(process.cwd(), r.outdir) || '.';
  lines.push(`Synthesized ${r.objects.length} objects from ${r.loaded.source} into ${rel}/:`);
  for (const [name] of r.files) lines.push(`  ${rel}/${name}${isSecretFile(name) ? '   (Secrets: gitignored, never commit)' : ''}`);
  lines.push(`Objects: ${[...count].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`Apply with: microk8s kubectl apply -f ${rel}/   (or: npm run deploy)`);
  return lines.join('\n');
}

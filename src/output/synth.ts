/**
 * The main job: config -> cdk8s constructs (with a real `helm template` of z2jh) -> checked
 * files -> dist/, replaced file by file (see write-dist.ts). Anything wrong stops it before dist/ is touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { readTlsMaterial, resolveConfigPath, TlsCheckError, TlsMaterial } from '../cluster/tls-check';
import { ConfigError } from '../config/errors';
import { loadConfig, LoadedConfig } from '../config/load';
import { resolveChartSource } from '../hub/chart-source';
import { resolveHelm } from '../hub/helm-binary';
import { DEFAULT_HELM_TIMEOUT_SECONDS } from '../hub/helm-template';
import { PROJECT_ROOT } from '../util/project-root';
import { HubEnvironment } from '../hub-environment';
import { HubSecrets, loadHubSecrets, secretsDir } from '../secret-store/store';
import { checkDataMove } from './data-move';
import { KubeObject } from './kube-object';
import { findLeaks, leakError, namedSecrets } from './leak-check';
import { isSecretFile, layoutFiles, normalizeObjects } from './manifests';
import { checkOutdir, cleanLeftovers, lockOutdir, OutdirLock, readDist, writeDist } from './write-dist';
import { UserError } from '../util/errors';

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

/** Everything up to the helm run: config, secrets, and the constructs (the release not rendered yet). */
interface Prepared {
  readonly env: NodeJS.ProcessEnv;
  readonly outdir: string;
  readonly loaded: LoadedConfig;
  readonly tls?: TlsMaterial;
  readonly secrets: HubSecrets;
  readonly hub: HubEnvironment;
  readonly helmTimeoutSeconds: number;
}

function prepare(opts: SynthOptions): Prepared {
  const env = opts.env ?? process.env;
  const outdir = path.resolve(opts.outdir ?? env.HUB_OUTDIR ?? DEFAULT_OUTDIR);
  // Refuse a folder this program did not write before any work (it is checked again under the lock).
  if (!opts.dryRun) checkOutdir(outdir, outdirRules(env));
  const timeout = helmTimeoutSeconds(env);
  const loaded = loadConfig(env);
  const c = loaded.config;
  const tls = readTls(loaded, opts.now);
  const chartSource = resolveChartSource(c.chartVersion, env);
  const helm = resolveHelm(env);
  const secrets = loadHubSecrets({ namespace: c.namespace, release: c.releaseName, env, needDatabasePassword: c.hubDatabase.type === 'postgres' });
  const app = new App({ outdir: path.join(outdir, '.unused') });
  const hub = new HubEnvironment(app, 'hub', { config: c, secrets, tls, chartSource, helmExecutable: helm.command });
  return { env, outdir, loaded, tls, secrets, hub, helmTimeoutSeconds: timeout };
}

/**
 * The objects in `hub` so far, laid out as files, with the secret-leak check and offline
 * validation. Throws what a user must fix.
 */
function checkedFiles(p: Prepared): { apply: KubeObject[]; files: Map<string, string>; applyWarnings: string[] } {
  const { env, loaded, secrets, tls, hub } = p;
  const c = loaded.config;
  const apply = normalizeObjects(hub.manifests.toJson() as KubeObject[], { namespace: c.namespace, release: c.releaseName, placeholders: secrets.placeholderReasons.length > 0 });
  const patches = hub.patches.toJson() as KubeObject[];
  const files = layoutFiles(apply, patches, hub.jupyterhub.redactedValues);
  const leaks = findLeaks(files, namedSecrets(secrets, tls));
  if (leaks.length > 0) throw leakError(leaks, c);
  // Required here, not imported: in synthesizeAsync the validators then load while helm runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { clientSideApplyWarnings, formatProblems, validateFiles } = require('./validate') as typeof import('./validate');
  const problems = validateFiles(files, { allowKinds: allowedKinds(env), microk8sRelease: c.microk8s.release });
  if (problems.length > 0) {
    throw new UserError(`Refusing to write dist/: ${problems.length} object problem(s) found by offline validation:\n${formatProblems(problems)}`);
  }
  // Objects too large for the README's plain `kubectl apply` (its last-applied annotation).
  return { apply, files, applyWarnings: clientSideApplyWarnings(apply) };
}

/** Everything after the helm run: checks, then dist/ (unless dryRun). */
function finish(p: Prepared, opts: SynthOptions): SynthResult {
  const { env, outdir, loaded, secrets, tls } = p;
  if (!p.hub.jupyterhub.rendered) throw new Error('synth: the z2jh release was not rendered');
  const { apply, files, applyWarnings } = checkedFiles(p);
  // One synth at a time from here: reading the previous output (data-move guard) and writing.
  let lock: OutdirLock | undefined;
  if (!opts.dryRun) {
    lock = lockOutdir(outdir, opts.lockWaitSeconds ?? 15);
  }
  try {
    if (!opts.dryRun) {
      checkOutdir(outdir, outdirRules(env));
      cleanLeftovers(outdir);
    }
    const previous = readDist(outdir);
    if (!opts.allowDataMove) checkDataMove(previous, apply, env);
    if (!opts.dryRun) {
      writeDist(outdir, files);
      stageForCdk8sCli(outdir, files, env);
    }
  } finally {
    lock?.release();
  }
  return { loaded, files, objects: apply, warnings: [...(tls?.warnings ?? []), ...applyWarnings], placeholderReasons: secrets.placeholderReasons, outdir };
}

/**
 * Builds dist/ in memory and, unless dryRun, swaps it in. helm runs to completion before
 * anything else continues (for tests and `npm run diff`); `synthesizeAsync` is the faster one.
 */
export function synthesize(opts: SynthOptions = {}): SynthResult {
  const p = prepare(opts);
  p.hub.jupyterhub.renderSync({ timeoutSeconds: p.helmTimeoutSeconds, env: p.env });
  return finish(p, opts);
}

/** The same as `synthesize`, with the checks that do not need helm's output done while helm runs. */
export async function synthesizeAsync(opts: SynthOptions = {}): Promise<SynthResult> {
  const p = prepare(opts);
  const abort = new AbortController();
  const rendering = p.hub.jupyterhub.render({ timeoutSeconds: p.helmTimeoutSeconds, env: p.env, signal: abort.signal });
  try {
    // While helm runs (the values were checked against the chart schema by render()): the same
    // checks on this program's own objects. A mistake there is reported without waiting for
    // helm, and the validators are loaded and warm when helm's objects arrive.
    checkedFiles(p);
  } catch (err) {
    abort.abort();
    await rendering.catch(() => undefined);
    throw err;
  }
  await rendering;
  return finish(p, opts);
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

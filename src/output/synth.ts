/**
 * The main job: config -> cdk8s constructs (with a real `helm template` of z2jh) -> checked
 * files -> dist/, swapped in atomically. Anything wrong stops it before dist/ is touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { readTlsMaterial, resolveConfigPath, TlsCheckError, TlsMaterial } from '../cluster/tls-check';
import { ConfigError } from '../config/errors';
import { loadConfig, LoadedConfig } from '../config/load';
import { resolveChartSource } from '../hub/chart-source';
import { resolveHelm } from '../hub/helm-binary';
import { PROJECT_ROOT } from '../util/project-root';
import { HubEnvironment } from '../hub-environment';
import { HubSecrets, loadHubSecrets } from '../secret-store/store';
import { checkDataMove } from './data-move';
import { KubeObject } from './kube-object';
import { findLeaks } from './leak-check';
import { isSecretFile, layoutFiles, normalizeObjects } from './manifests';
import { clientSideApplyWarnings, formatProblems, validateFiles } from './validate';
import { readDist, recoverInterruptedSwap, writeDistAtomically } from './write-dist';
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

function secretValues(secrets: HubSecrets, tls?: TlsMaterial): string[] {
  const out = [secrets.proxySecretToken, secrets.cookieSecret, secrets.cryptKeeperKey, secrets.auth0ClientSecret];
  if (secrets.hubDatabasePassword) out.push(secrets.hubDatabasePassword);
  if (tls) {
    const body = tls.keyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    out.push(...body.match(/.{1,64}/g)!.filter((l) => l.length >= 32));
  }
  return out;
}

/** Extra kinds accepted without a schema: env HUB_ALLOW_KINDS="Kind1,group/v1/Kind2". */
export function allowedKinds(env: NodeJS.ProcessEnv): string[] {
  return (env.HUB_ALLOW_KINDS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
}

/** Builds dist/ in memory and, unless dryRun, swaps it in. */
export function synthesize(opts: SynthOptions = {}): SynthResult {
  const env = opts.env ?? process.env;
  const outdir = path.resolve(opts.outdir ?? env.HUB_OUTDIR ?? DEFAULT_OUTDIR);
  const loaded = loadConfig(env);
  const c = loaded.config;
  const tls = readTls(loaded, opts.now);
  const chartSource = resolveChartSource(c.chartVersion, env);
  const helm = resolveHelm(env);
  const secrets = loadHubSecrets({ namespace: c.namespace, release: c.releaseName, env, needDatabasePassword: c.hubDatabase.type === 'postgres' });

  const app = new App({ outdir: path.join(outdir, '.unused') });
  const hub = new HubEnvironment(app, 'hub', { config: c, secrets, tls, chartSource, helmExecutable: helm.command });
  const normalize = (objs: unknown[]) =>
    normalizeObjects(objs as KubeObject[], { namespace: c.namespace, release: c.releaseName, placeholders: secrets.placeholderReasons.length > 0 });
  const apply = normalize(hub.manifests.toJson());
  const patches = hub.patches.toJson() as KubeObject[];
  const files = layoutFiles(apply, patches, hub.jupyterhub.redactedValues);

  const leaks = findLeaks(files, secretValues(secrets, tls));
  if (leaks.length > 0) {
    throw new UserError(`Refusing to write dist/: secret values would land in ${leaks.join(', ')}, which are meant to be committed.\nThis is a bug: report it (the message holds no secret).`);
  }
  const problems = validateFiles(files, { allowKinds: allowedKinds(env), microk8sRelease: c.microk8s.release });
  if (problems.length > 0) {
    throw new UserError(`Refusing to write dist/: ${problems.length} object problem(s) found by offline validation:\n${formatProblems(problems)}`);
  }
  if (!opts.dryRun) recoverInterruptedSwap(outdir);
  const previous = readDist(outdir);
  if (!opts.allowDataMove) checkDataMove(previous, apply, env);
  if (!opts.dryRun) {
    writeDistAtomically(outdir, files);
    stageForCdk8sCli(outdir, files, env);
  }
  return { loaded, files, objects: apply, warnings: [...(tls?.warnings ?? []), ...clientSideApplyWarnings(apply)], placeholderReasons: secrets.placeholderReasons, outdir };
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

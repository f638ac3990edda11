import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFailure, runSync, succeeded } from '../util/command';
import { UserError } from '../util/errors';
import { PROJECT_ROOT } from '../util/project-root';

/** The Helm release the project installs for itself (from an npm package, see get-helm.ts). */
export const BUNDLED_HELM_VERSION = '3.17.2';
export const BUNDLED_HELM_PATH = path.join(PROJECT_ROOT, '.cache', 'helm', `v${BUNDLED_HELM_VERSION}`, 'helm');
/** kubectl from the same npm package (lib/layer.zip `kubectl/kubectl`), installed beside helm. */
export const BUNDLED_KUBECTL_VERSION = '1.32.3';
export const BUNDLED_KUBECTL_PATH = path.join(PROJECT_ROOT, '.cache', 'kubectl', `v${BUNDLED_KUBECTL_VERSION}`, 'kubectl');

/** Oldest Helm accepted: 3.5 added `lookup`-safe `helm template` and schema validation fixes z2jh 3.x relies on. */
export const MIN_HELM = [3, 5, 0] as const;

export interface HelmCandidate {
  readonly source: 'HELM' | 'PATH' | 'microk8s.helm3' | 'bundled';
  readonly command: string;
}

export interface ResolvedHelm extends HelmCandidate {
  readonly version: string;
}

/** The order in which a Helm binary is looked for. Pure: depends only on its inputs. */
export function helmCandidates(env: NodeJS.ProcessEnv, bundledPath = BUNDLED_HELM_PATH): HelmCandidate[] {
  const out: HelmCandidate[] = [];
  if (env.HELM) out.push({ source: 'HELM', command: env.HELM });
  const onPath = (name: string) => findOnPath(name, env.PATH ?? '');
  const helm = onPath('helm');
  if (helm) out.push({ source: 'PATH', command: helm });
  const mk = onPath('microk8s.helm3');
  if (mk) out.push({ source: 'microk8s.helm3', command: mk });
  if (fs.existsSync(bundledPath)) out.push({ source: 'bundled', command: bundledPath });
  return out;
}

function findOnPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Parses `helm version --template {{.Version}}` output such as `v3.17.2`. */
export function parseHelmVersion(output: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function isSupportedHelm(v: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) {
    if (v[i] !== MIN_HELM[i]) return v[i] > MIN_HELM[i];
  }
  return true;
}

export const VERSION_CACHE = path.join(PROJECT_ROOT, '.cache', 'helm-versions.json');

/** The versions remembered in the cache file; an unreadable or corrupt file remembers nothing. */
function readVersionCache(cacheFile: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string' && parseHelmVersion(e[1]) !== undefined));
  } catch {
    return {};
  }
}

/** What `helm version` said, or why it could not say it. */
export type HelmVersionProbe = { readonly version: string } | { readonly problem: string };

/**
 * `helm version` of a binary. Remembered in `cacheFile` per path, size and mtime: running helm
 * just to ask its version costs ~100 ms on every synth. A corrupt cache is ignored and rewritten.
 */
export function probeHelmVersion(command: string, cacheFile = VERSION_CACHE): HelmVersionProbe {
  let key: string | undefined;
  try {
    const st = fs.statSync(command);
    key = `${path.resolve(command)}|${st.size}|${st.mtimeMs}`;
  } catch {
    // not a path (a name on PATH): no cache
  }
  const known = key ? readVersionCache(cacheFile) : {};
  if (key && known[key]) return { version: known[key] };
  const r = runSync([command, 'version', '--template', '{{.Version}}'], { timeoutMs: 20_000 });
  if (!succeeded(r)) return { problem: describeFailure(r) };
  const version = r.stdout.trim();
  if (key && parseHelmVersion(version)) {
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      // Keep only entries whose binary still exists: fake or removed helms must not pile up.
      const kept = Object.fromEntries(Object.entries(known).filter(([k]) => fs.existsSync(k.split('|')[0])));
      fs.writeFileSync(tmp, JSON.stringify({ ...kept, [key]: version }));
      fs.renameSync(tmp, cacheFile);
    } catch {
      // read-only checkout: fine, just slower
    }
  }
  return { version };
}

const cache = new Map<string, ResolvedHelm>();

/**
 * Finds the Helm binary: env `HELM`, then `helm` on PATH, then `microk8s.helm3`, then the one
 * the project installs for itself (`npm run setup`). An explicit `HELM` that is missing or too
 * old is an error, never silently skipped: the user asked for that binary.
 */
export function resolveHelm(env: NodeJS.ProcessEnv = process.env): ResolvedHelm {
  const key = `${env.HELM ?? ''}|${env.PATH ?? ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const tried: string[] = [];
  for (const c of helmCandidates(env)) {
    const probed = probeHelmVersion(c.command);
    const out = 'version' in probed ? probed.version : undefined;
    const version = out ? parseHelmVersion(out) : undefined;
    if (!version) {
      const why = 'problem' in probed ? probed.problem : `\`${c.command} version\` printed ${JSON.stringify(out)}`;
      if (c.source === 'HELM') {
        throw new UserError(`HELM=${c.command} does not run as helm (${why}).\n` +
          'Fix: point HELM at a Helm 3 binary, or unset it to use helm on PATH, microk8s.helm3 or the bundled one.');
      }
      tried.push(`${c.command} (${c.source}): does not run (${why})`);
      continue;
    }
    if (!isSupportedHelm(version)) {
      const msg = `${c.command} (${c.source}) is Helm ${out}; Helm >= ${MIN_HELM.join('.')} is required ` +
        '(older Helm does not validate values.schema.json the way z2jh 3.x expects).';
      if (c.source === 'HELM') throw new UserError(`${msg}\nFix: point HELM at a newer Helm 3.`);
      tried.push(msg);
      continue;
    }
    const resolved = { ...c, version: out! };
    cache.set(key, resolved);
    return resolved;
  }
  throw new UserError(
    'No usable Helm binary found. Looked for: env HELM, `helm` on PATH, `microk8s.helm3`, and the bundled ' +
      `${path.relative(process.cwd(), BUNDLED_HELM_PATH)}.\n` +
      (tried.length ? `Rejected:\n  ${tried.join('\n  ')}\n` : '') +
      'Fix: run `npm run setup` (installs Helm 3.17.2 from the npm registry into .cache/), ' +
      'or install Helm 3 (on MicroK8s: `microk8s enable helm3`).',
  );
}

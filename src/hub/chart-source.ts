/**
 * Where the z2jh chart comes from, in this order: env Z2JH_CHART (a local chart folder or .tgz),
 * the chart cached under charts/ by `npm run chart:pull` (digest checked), else the JupyterHub
 * Helm repository (helm downloads it; needs internet).
 */
import { envFlag } from '../util/env-flag';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { extractFromTgz } from '../util/archive';
import { UserError } from '../util/errors';
import { PROJECT_ROOT } from '../util/project-root';
import { loadAllAsKubectl } from '../util/kubectl-yaml';

export const Z2JH_REPO = 'https://hub.jupyter.org/helm-chart/';
export const CHART_NAME = 'jupyterhub';
export const CHARTS_DIR = path.join(PROJECT_ROOT, 'charts');

export type ChartSource =
  | { readonly kind: 'local'; readonly path: string; readonly version: string; readonly origin: string }
  | { readonly kind: 'cache'; readonly path: string; readonly version: string; readonly origin: string }
  | { readonly kind: 'repo'; readonly repo: string; readonly version: string; readonly origin: string };

export function cachedChartPath(version: string, chartsDir = CHARTS_DIR): string {
  return path.join(chartsDir, `${CHART_NAME}-${version}.tgz`);
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Reads a file from a chart folder or a packaged chart (.tgz, top folder = chart name). */
export function readChartFile(chartPath: string, name: string): Buffer | undefined {
  try {
    if (fs.statSync(chartPath).isDirectory()) {
      const f = path.join(chartPath, name);
      return fs.existsSync(f) ? fs.readFileSync(f) : undefined;
    }
    return extractFromTgz(fs.readFileSync(chartPath), `${CHART_NAME}/${name}`);
  } catch {
    return undefined;
  }
}

function chartMeta(chartPath: string): { name?: string; version?: string } {
  const raw = readChartFile(chartPath, 'Chart.yaml');
  if (!raw) return {};
  const meta = yaml.load(raw.toString('utf8')) as { name?: unknown; version?: unknown } | undefined;
  return { name: String(meta?.name ?? ''), version: String(meta?.version ?? '') };
}


export function resolveChartSource(version: string, env: NodeJS.ProcessEnv = process.env, chartsDir = CHARTS_DIR): ChartSource {
  if (env.Z2JH_CHART) {
    const p = path.resolve(env.Z2JH_CHART);
    if (!fs.existsSync(p)) {
      throw new UserError(`Z2JH_CHART=${env.Z2JH_CHART}: no such file or folder.\nFix: point it at a jupyterhub chart folder or .tgz, or unset it.`);
    }
    const meta = chartMeta(p);
    if (meta.name !== CHART_NAME) {
      throw new UserError(`Z2JH_CHART=${env.Z2JH_CHART} is not the jupyterhub chart (Chart.yaml name: ${JSON.stringify(meta.name ?? null)}).\nFix: point it at the z2jh chart folder (the one with Chart.yaml "name: jupyterhub") or its .tgz.`);
    }
    if (meta.version !== version) {
      throw new UserError(`Z2JH_CHART=${env.Z2JH_CHART} is jupyterhub ${meta.version}, but chartVersion in the config is ${version}.\nFix: use the ${version} chart, or set chartVersion to ${meta.version} after reading its upgrade notes.`);
    }
    if (!readChartFile(p, 'values.schema.json') && !envFlag(env, 'HUB_ALLOW_CHART_WITHOUT_SCHEMA')) {
      // Every packaged z2jh release since 1.0.0 ships values.schema.json, generated at publish
      // from values.schema.yaml (zero-to-jupyterhub-k8s 3.1.0: .github/workflows/publish.yml runs
      // tools/generate-json-schema.py); a git checkout's jupyterhub/ folder lacks it. Without it the
      // values go to helm unchecked, and a chart that lost it may have lost more, or been altered.
      throw new UserError(`Z2JH_CHART=${env.Z2JH_CHART} has no values.schema.json, so the values given to it cannot be checked.\n` +
        'Fix: use the chart as released (`npm run chart:pull`, or jupyterhub-VERSION.tgz from https://hub.jupyter.org/helm-chart/); ' +
        'a chart folder from a git checkout needs `tools/generate-json-schema.py` run in it first. ' +
        'To use this chart unchecked anyway, set HUB_ALLOW_CHART_WITHOUT_SCHEMA=1.');
    }
    return { kind: 'local', path: p, version, origin: `Z2JH_CHART=${env.Z2JH_CHART}` };
  }
  const cached = cachedChartPath(version, chartsDir);
  if (fs.existsSync(cached)) {
    const digestFile = `${cached}.sha256`;
    const expected = fs.existsSync(digestFile) ? fs.readFileSync(digestFile, 'utf8').trim().split(/\s+/)[0] : undefined;
    const actual = sha256(fs.readFileSync(cached));
    if (expected && expected !== actual) {
      throw new UserError(`${path.relative(process.cwd(), cached)} has sha256 ${actual}, but ${path.basename(digestFile)} records ${expected}.\nFix: delete both files and run \`npm run chart:pull\` again.`);
    }
    return { kind: 'cache', path: cached, version, origin: path.relative(PROJECT_ROOT, cached) };
  }
  return {
    kind: 'repo',
    repo: Z2JH_REPO,
    version,
    origin: `${Z2JH_REPO} (needs internet; without it, run \`npm run chart:pull\` once where there is internet, ` +
      `or set Z2JH_CHART=/path/to/jupyterhub to the chart folder or .tgz (jupyterhub-${version}.tgz) obtained elsewhere)`,
  };
}

/** The chart's values.schema.json, when the chart is on disk. */
export function readChartSchema(source: ChartSource): object | undefined {
  if (source.kind === 'repo') return undefined;
  const raw = readChartFile(source.path, 'values.schema.json');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as object;
  } catch {
    throw new UserError(`${source.origin}: values.schema.json is not valid JSON.`);
  }
}

/** The chart's default values.yaml, when the chart is on disk. */
export function readChartDefaults(source: ChartSource): Record<string, unknown> | undefined {
  if (source.kind === 'repo') return undefined;
  const raw = readChartFile(source.path, 'values.yaml');
  if (!raw) return undefined;
  // Read as helm reads it (YAML 1.1, sigs.k8s.io/yaml).
  const [v] = loadAllAsKubectl(raw.toString('utf8'));
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/** Shared helpers for the tests: temp folders, configs, synth against the fixture chart. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import type { HubConfigInput } from '../src/config/schema';
import type { KubeObject } from '../src/output/kube-object';

export const ROOT = path.resolve(__dirname, '..');
export const FIXTURE_CHART = path.join(__dirname, 'fixtures', 'z2jh-fixture');
export const TLS_DIR = path.join(__dirname, 'fixtures', 'tls');
export const SHARED_Z2JH = path.resolve(ROOT, '..', 'shared', 'reference', 'z2jh-3.1.0');
export const SHARED_METALLB = path.resolve(ROOT, '..', 'shared', 'reference', 'metallb-v0.13.10');

/** Secret values no committed file may ever contain. */
export const SENTINELS = {
  auth0: 'SENTINEL-auth0-client-secret-7f3a9c',
} as const;

export function tmpdir(prefix = 'mk8s-jh-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A small valid config; tests mutate copies of it. */
export function baseConfig(): HubConfigInput {
  return {
    domain: 'hub.example.org',
    loadBalancer: { addressPool: '192.168.1.240-192.168.1.250', hubIP: '192.168.1.241' },
    tls: { mode: 'letsencrypt', contactEmail: 'admin@example.org' },
    auth0: { domain: 'team.eu.auth0.com', clientId: 'abc123', adminUsers: ['lead@example.org'], allowedUsers: ['a@example.org'] },
  };
}

export function writeConfig(dir: string, config: unknown, name = 'config.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, name.endsWith('.json') ? JSON.stringify(config) : yaml.dump(config));
  return file;
}

/** Environment for a hermetic synth: fixture chart, private secret store and output folder. */
export function synthEnv(work: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const shell: NodeJS.ProcessEnv = { ...process.env };
  // Hermetic: nothing from the developer's shell changes what a test synthesizes.
  for (const k of ['CDK8S_OUTDIR', 'HUB_ALLOW_DATA_MOVE', 'HUB_ALLOW_STORAGE_CLASS_CHANGE', 'HUB_ALLOW_KINDS', 'HUB_DB_PASSWORD', 'HUB_CONFIG', 'KUBECTL']) delete shell[k];
  const env: NodeJS.ProcessEnv = {
    ...shell,
    Z2JH_CHART: FIXTURE_CHART,
    HUB_SECRETS_DIR: path.join(work, 'secrets'),
    HUB_OUTDIR: path.join(work, 'dist'),
    HUB_SECRETS: 'generate',
    AUTH0_CLIENT_SECRET: SENTINELS.auth0,
    ...extra,
  };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one of the project's TypeScript entry points as a user would. */
export function runTs(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { env, cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface DistObject {
  readonly file: string;
  readonly object: KubeObject;
}

/** All objects in a dist/ folder, with the file each came from. */
export function readObjects(dist: string): DistObject[] {
  const out: DistObject[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (path.relative(dist, p) !== 'values') walk(p); // values/ holds chart values, not objects
      } else if (e.name.endsWith('.yaml')) {
        for (const doc of yaml.loadAll(fs.readFileSync(p, 'utf8'))) {
          if (doc) out.push({ file: path.relative(dist, p), object: doc as KubeObject });
        }
      }
    }
  };
  walk(dist);
  return out;
}

export function find(objs: DistObject[], kind: string, name: string): DistObject | undefined {
  return objs.find((o) => o.object.kind === kind && o.object.metadata.name === name);
}

/** Decodes the z2jh `hub` Secret's values.yaml (what the chart was given). */
export function chartValuesFrom(objs: DistObject[]): Record<string, any> {
  const hub = find(objs, 'Secret', 'hub') ?? objs.find((o) => o.object.kind === 'Secret' && (o.object as any).data?.['values.yaml']);
  if (!hub) throw new Error('no hub Secret with values.yaml');
  return yaml.load(Buffer.from((hub.object as any).data['values.yaml'], 'base64').toString('utf8')) as Record<string, any>;
}

/** Snapshot of a folder's files (relative path -> content). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

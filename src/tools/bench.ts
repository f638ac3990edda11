/**
 * `npm run bench [-- --runs N]` (N: 11 unless given, at least 5): how long synth takes compared
 * with `helm template` alone, measured in one run, interleaved, on this machine; and how synth
 * time grows with the allowlist and the profile list. Writes a markdown table and JSON to .bench/ (gitignored).
 *
 * (a) helm template of the chart with exactly the values the program generates
 * (b) the program's synth entry, the command cdk8s.yaml's `app` runs (`node src/launch.mjs src/main.ts`)
 * (c) `npx cdk8s synth`, end to end
 * Uses the fixture chart unless Z2JH_CHART is set. Never asserted in tests: timing is noisy.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { loadConfig } from '../config/load';
import { resolveChartSource } from '../hub/chart-source';
import { resolveHelm } from '../hub/helm-binary';
import { PROJECT_ROOT } from '../util/project-root';
import { hubValuesFor } from '../hub/values';
import { KUBE_VERSION } from '../hub/jupyterhub-chart';
import { loadHubSecrets } from '../secret-store/store';
import { runCli } from '../util/errors';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'z2jh-fixture');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Sample {
  readonly ms: number;
  readonly maxRssKiB?: number;
}

/** Runs a command, returning wall time and (with /usr/bin/time) peak resident memory. */
function measure(cmd: string[], env: NodeJS.ProcessEnv, input?: string): Sample {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}`);
  const argv = TIME ? [TIME, '-f', '%M', '-o', rssFile, ...cmd] : cmd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, input });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed:\n${r.stderr}`);
  const rss = TIME && fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : undefined;
  fs.rmSync(rssFile, { force: true });
  return { ms, maxRssKiB: rss };
}

function stats(xs: readonly number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

/** The values the program would pass to helm (on its standard input, as synth does). */
function generatedValues(env: NodeJS.ProcessEnv): { chart: string; release: string; namespace: string; valuesYaml: string } {
  const { config } = loadConfig(env);
  const source = resolveChartSource(config.chartVersion, env);
  if (source.kind === 'repo') throw new Error('bench needs a chart on disk: set Z2JH_CHART');
  const secrets = loadHubSecrets({ namespace: config.namespace, release: config.releaseName, env });
  // The same values synth starts helm with (bench configs use no TLS files).
  const valuesYaml = yaml.dump(hubValuesFor(config, secrets), { noRefs: true, lineWidth: -1, forceQuotes: true });
  return { chart: source.path, release: config.releaseName, namespace: config.namespace, valuesYaml };
}

function userConfig(n: number, profiles: number): Record<string, unknown> {
  const users = Array.from({ length: n }, (_, i) => `user${i}@example.org`);
  const cfg: Record<string, unknown> = {
    domain: 'hub.example.org',
    loadBalancer: { addressPool: '192.168.1.240-192.168.1.250', hubIP: '192.168.1.240' },
    tls: { mode: 'letsencrypt', contactEmail: 'admin@example.org' },
    auth0: { domain: 'team.eu.auth0.com', clientId: 'bench', adminUsers: ['admin@example.org'], allowedUsers: users },
  };
  if (profiles > 0) {
    cfg.profiles = Array.from({ length: profiles }, (_, i) => ({
      name: `profile-${i}`,
      displayName: `Profile ${i}`,
      image: { name: 'quay.io/jupyter/scipy-notebook', tag: `2024-05-${String((i % 28) + 1).padStart(2, '0')}` },
    }));
  }
  return cfg;
}

runCli(() => {
  const args = process.argv.slice(2);
  // Medians of 11 by default: helm's own time moves by a third between runs on a shared machine.
  const runs = Math.max(5, Number(args[args.indexOf('--runs') + 1]) || 11);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-jh-bench-'));
  fs.chmodSync(work, 0o700);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    Z2JH_CHART: process.env.Z2JH_CHART ?? FIXTURE,
    HUB_OUTDIR: path.join(work, 'dist'),
    HUB_SECRETS_DIR: path.join(work, 'secrets'),
    HUB_SECRETS: 'generate',
    HUB_ALLOW_DATA_MOVE: '1',
    AUTH0_CLIENT_SECRET: 'bench-only-not-a-secret',
  };
  delete env.HUB_CONFIG;
  const helm = resolveHelm(env).command;
  try {
    const t = generatedValues(env);
    const cmds: Record<string, string[]> = {
      'a: helm template': [helm, 'template', t.release, t.chart, '--values', '-', '--namespace', t.namespace, '--kube-version', KUBE_VERSION],
      'b: synth entry (node src/launch.mjs src/main.ts)': ['node', 'src/launch.mjs', 'src/main.ts'],
      'c: npx cdk8s synth': ['npx', 'cdk8s', 'synth'],
    };
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
    const input = (k: string) => (k === 'a: helm template' ? t.valuesYaml : undefined);
    for (const k of Object.keys(cmds)) measure(cmds[k], env, input(k)); // warm-up: file cache, npx resolution
    for (let i = 0; i < runs; i++) for (const k of Object.keys(cmds)) samples[k].push(measure(cmds[k], env, input(k)));

    const growth: { users: number; profiles: number; median: number; maxRssKiB?: number }[] = [];
    const grid: [number, number][] = [[10, 0], [100, 0], [1000, 0], [10000, 0], [10, 1], [10, 10], [10, 50], [10000, 50]];
    const supportsProfiles = (() => {
      try {
        loadConfig({ ...env, HUB_CONFIG: (fs.writeFileSync(path.join(work, 'p.yaml'), yaml.dump(userConfig(1, 1))), path.join(work, 'p.yaml')) });
        return true;
      } catch {
        return false;
      }
    })();
    // Every grid point once per round, round after round: a machine that gets busier or quieter
    // during the bench shifts all points alike, so their ratios hold.
    const points = grid.filter(([, profiles]) => profiles === 0 || supportsProfiles).map(([users, profiles]) => {
      const file = path.join(work, `u${users}-p${profiles}.yaml`);
      fs.writeFileSync(file, yaml.dump(userConfig(users, profiles)));
      return { users, profiles, env: { ...env, HUB_CONFIG: file, HUB_OUTDIR: path.join(work, `dist-u${users}-p${profiles}`) }, samples: [] as Sample[] };
    });
    const synthCmd = cmds['b: synth entry (node src/launch.mjs src/main.ts)'];
    for (const pt of points) measure(synthCmd, pt.env); // warm-up (first synth of a config writes its dist/)
    for (let i = 0; i < runs; i++) for (const pt of points) pt.samples.push(measure(synthCmd, pt.env));
    for (const pt of points) {
      growth.push({ users: pt.users, profiles: pt.profiles, median: stats(pt.samples.map((x) => x.ms)).median, maxRssKiB: Math.max(...pt.samples.map((x) => x.maxRssKiB ?? 0)) || undefined });
    }

    const a = stats(samples['a: helm template'].map((s) => s.ms));
    const rows = Object.entries(samples).map(([k, s]) => {
      const st = stats(s.map((x) => x.ms));
      const rss = Math.max(...s.map((x) => x.maxRssKiB ?? 0));
      return { name: k, ...st, ratio: st.median / a.median, maxRssMiB: rss ? rss / 1024 : undefined };
    });
    const base = growth.find((g) => g.users === 10 && g.profiles === 0)?.median ?? rows[1].median;
    const md = [
      `Synth benchmark: ${runs} runs each, interleaved, after one warm-up; chart: ${env.Z2JH_CHART === FIXTURE ? 'fixture (test/fixtures/z2jh-fixture)' : env.Z2JH_CHART}; ${os.cpus().length} cores, node ${process.version}.`,
      '',
      '| command | median ms | min ms | max ms | ratio to (a) | peak RSS MiB |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.name} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.maxRssMiB?.toFixed(0) ?? 'n/a'} |`),
      '',
      '| allowlisted users | profiles | synth median ms (interleaved rounds) | vs 10 users, 0 profiles | peak RSS MiB |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...growth.map((g) => `| ${g.users} | ${g.profiles} | ${g.median.toFixed(0)} | ${(g.median / base).toFixed(2)} | ${g.maxRssKiB ? (g.maxRssKiB / 1024).toFixed(0) : 'n/a'} |`),
    ].join('\n');
    const outDir = path.join(PROJECT_ROOT, '.bench');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'bench.md'), `${md}\n`);
    fs.writeFileSync(path.join(outDir, 'bench.json'), `${JSON.stringify({ runs, chart: env.Z2JH_CHART, rows, growth, samples }, null, 2)}\n`);
    process.stdout.write(`${md}\n\nWritten to .bench/bench.md and .bench/bench.json\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

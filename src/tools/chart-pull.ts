/**
 * `npm run chart:pull`: caches the pinned z2jh chart under charts/ so synth needs no network.
 * The tarball's sha256 must equal the digest the chart repository's index.yaml publishes; it is
 * recorded next to the tarball and re-checked by every synth.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { loadConfig } from '../config/load';
import { cachedChartPath, CHART_NAME, CHARTS_DIR, Z2JH_REPO } from '../hub/chart-source';
import { resolveHelm } from '../hub/helm-binary';
import { parseCliArgs } from '../util/cli-args';
import { orThrow, run } from '../util/command';
import { runCli, UserError } from '../util/errors';

/** A 200 KB chart over a slow line: generous, but not forever. */
const HELM_PULL_TIMEOUT_MS = 5 * 60_000;

/** The digest index.yaml lists for a chart version. */
export function digestFromIndex(indexYaml: string, version: string): string | undefined {
  // Failsafe schema: every scalar a string (a digest of only digits must not become a number).
  const index = yaml.load(indexYaml, { schema: yaml.FAILSAFE_SCHEMA }) as { entries?: Record<string, { version: string; digest?: string }[]> };
  return index?.entries?.[CHART_NAME]?.find((e) => e.version === version)?.digest;
}

export async function pullChart(version: string, repo = Z2JH_REPO, chartsDir = CHARTS_DIR): Promise<string> {
  const res = await fetch(new URL('index.yaml', repo)).catch((e: Error) => {
    throw new UserError(`Cannot reach ${repo} (${e.message}). chart:pull needs internet; alternatively set Z2JH_CHART to a local chart.`);
  });
  if (!res.ok) throw new UserError(`${repo}index.yaml answered HTTP ${res.status}.`);
  const expected = digestFromIndex(await res.text(), version);
  if (!expected) throw new UserError(`${repo} has no ${CHART_NAME} ${version}.`);
  fs.mkdirSync(chartsDir, { recursive: true });
  const helm = resolveHelm();
  orThrow(await run([helm.command, 'pull', CHART_NAME, '--repo', repo, '--version', version, '--destination', chartsDir], { timeoutMs: HELM_PULL_TIMEOUT_MS }),
    `Fix: check that this machine reaches ${repo}, or set Z2JH_CHART to a local chart.`);
  const file = cachedChartPath(version, chartsDir);
  const actual = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  if (actual !== expected) {
    fs.rmSync(file, { force: true });
    throw new UserError(`Downloaded ${path.basename(file)} has sha256 ${actual} but ${repo}index.yaml says ${expected}; removed it.`);
  }
  fs.writeFileSync(`${file}.sha256`, `${actual}  ${path.basename(file)}\n`);
  return file;
}

if (require.main === module) {
  runCli(async () => {
    const { positionals } = parseCliArgs({ usage: 'npm run chart:pull [-- VERSION]   (default: chartVersion from the config)', options: {}, allowPositionals: true });
    if (positionals.length > 1) throw new UserError(`chart:pull takes at most one VERSION (got ${positionals.length} arguments).\nUsage: npm run chart:pull [-- VERSION]`, 2);
    const version = positionals[0] ?? loadConfig().config.chartVersion;
    const file = await pullChart(version);
    process.stdout.write(`Cached ${path.relative(process.cwd(), file)} (sha256 verified against the repository index).\n`);
  });
}

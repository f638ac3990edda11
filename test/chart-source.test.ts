/**
 * Where the chart comes from, as a user meets it: a chart given through Z2JH_CHART must carry its
 * values.schema.json (or the user says otherwise), and first use without internet names both ways
 * out: `npm run chart:pull` and Z2JH_CHART.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { cachedChartPath, CHARTS_DIR, resolveChartSource } from '../src/hub/chart-source';
import { resolveHelm } from '../src/hub/helm-binary';
import { baseConfig, FIXTURE_CHART, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-chart-source-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A copy of the fixture chart without values.schema.json: a folder and a packaged .tgz. */
function chartWithoutSchema(): { folder: string; tgz: string } {
  const folder = path.join(work, 'no-schema', 'jupyterhub');
  if (!fs.existsSync(folder)) {
    fs.cpSync(FIXTURE_CHART, folder, { recursive: true });
    fs.rmSync(path.join(folder, 'values.schema.json'));
    const r = spawnSync(resolveHelm().command, ['package', folder, '--destination', path.join(work, 'no-schema')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  return { folder, tgz: path.join(work, 'no-schema', 'jupyterhub-3.1.0.tgz') };
}

describe('a chart given through Z2JH_CHART without values.schema.json', () => {
  it('is refused, as a folder and as a .tgz, unless HUB_ALLOW_CHART_WITHOUT_SCHEMA says so', () => {
    const { folder, tgz } = chartWithoutSchema();
    for (const chart of [folder, tgz]) {
      assert.throws(() => resolveChartSource('3.1.0', { Z2JH_CHART: chart }),
        /has no values\.schema\.json, so the values given to it cannot be checked\.\nFix: use the chart as released \(`npm run chart:pull`[\s\S]*set HUB_ALLOW_CHART_WITHOUT_SCHEMA=1\./);
      assert.throws(() => resolveChartSource('3.1.0', { Z2JH_CHART: chart, HUB_ALLOW_CHART_WITHOUT_SCHEMA: '0' }), /has no values\.schema\.json/);
      assert.equal(resolveChartSource('3.1.0', { Z2JH_CHART: chart, HUB_ALLOW_CHART_WITHOUT_SCHEMA: '1' }).kind, 'local');
    }
    assert.equal(resolveChartSource('3.1.0', { Z2JH_CHART: FIXTURE_CHART }).kind, 'local', 'a chart with its schema needs nothing');
  });

  it('synth: exit 1 with the message, no internal error', () => {
    const dir = path.join(work, 'cli');
    fs.mkdirSync(dir, { recursive: true });
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()), Z2JH_CHART: chartWithoutSchema().folder });
    const r = runTs('src/main.ts', [], env);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^Z2JH_CHART=.*jupyterhub has no values\.schema\.json, so the values given to it cannot be checked\.\n/);
    assert.equal(fs.existsSync(path.join(dir, 'dist')), false, 'nothing written');
    const allowed = runTs('src/main.ts', [], { ...env, HUB_ALLOW_CHART_WITHOUT_SCHEMA: '1' });
    assert.equal(allowed.status, 0, allowed.stderr);
  });
});

describe('first use without internet', () => {
  it('the repository source names both ways out', () => {
    const s = resolveChartSource('3.1.0', {}, path.join(work, 'empty-charts'));
    assert.equal(s.kind, 'repo');
    assert.match(s.origin, /run `npm run chart:pull` once where there is internet, or set Z2JH_CHART=\/path\/to\/jupyterhub to the chart folder or \.tgz \(jupyterhub-3\.1\.0\.tgz\) obtained elsewhere/);
  });

  const cached = fs.existsSync(cachedChartPath('3.1.0', CHARTS_DIR));
  it('synth with no chart and no network: exit 1, the message suggests chart:pull and Z2JH_CHART', { skip: cached ? `${path.relative(process.cwd(), cachedChartPath('3.1.0', CHARTS_DIR))} is cached here, so synth would not need the network` : false }, () => {
    const dir = path.join(work, 'offline');
    fs.mkdirSync(dir, { recursive: true });
    // "No internet", without touching it: every request goes to a proxy on a closed local port.
    const proxy = 'http://127.0.0.1:9';
    const env = synthEnv(dir, {
      HUB_CONFIG: writeConfig(dir, baseConfig()),
      Z2JH_CHART: undefined,
      HTTPS_PROXY: proxy, https_proxy: proxy, HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: '', no_proxy: '',
      HELM_CACHE_HOME: path.join(dir, 'helm-cache'), HELM_CONFIG_HOME: path.join(dir, 'helm-config'), HELM_DATA_HOME: path.join(dir, 'helm-data'),
    });
    const r = runTs('src/main.ts', [], env);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^helm template of https:\/\/hub\.jupyter\.org\/helm-chart\/ \(needs internet; .*`npm run chart:pull`.*Z2JH_CHART=\/path\/to\/jupyterhub/);
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
  });
});

/** Where the chart and the Helm binary come from, and values checked against the chart schema. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { parseConfig } from '../src/config/load';
import { cachedChartPath, readChartDefaults, readChartSchema, resolveChartSource } from '../src/hub/chart-source';
import { BUNDLED_HELM_PATH, helmCandidates, isSupportedHelm, parseHelmVersion, resolveHelm } from '../src/hub/helm-binary';
import { buildHubValues } from '../src/hub/values';
import { checkValues, coalesceValues } from '../src/hub/values-schema';
import { UserError } from '../src/util/errors';
import { baseConfig, FIXTURE_CHART, ROOT, SHARED_Z2JH, tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function fakeHelm(dir: string, name: string, version: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  fs.writeFileSync(f, `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  return f;
}

describe('Helm binary resolution', () => {
  it('looks in the order HELM, PATH, microk8s.helm3, bundled', () => {
    const bin = path.join(work, 'bin');
    fakeHelm(bin, 'helm', 'v3.12.0');
    fakeHelm(bin, 'microk8s.helm3', 'v3.9.0');
    const bundled = fakeHelm(path.join(work, 'bundled'), 'helm', 'v3.17.2');
    const order = helmCandidates({ HELM: '/opt/helm', PATH: bin }, bundled).map((c) => c.source);
    assert.deepEqual(order, ['HELM', 'PATH', 'microk8s.helm3', 'bundled']);
    assert.equal(resolveHelm({ PATH: bin }).source, 'PATH');
    assert.equal(resolveHelm({ PATH: bin }).version, 'v3.12.0');
    const envHelm = fakeHelm(path.join(work, 'env'), 'myhelm', 'v3.14.1');
    assert.equal(resolveHelm({ HELM: envHelm, PATH: bin }).command, envHelm);
  });

  it('refuses Helm older than 3.5 and says why', () => {
    const old = fakeHelm(path.join(work, 'old'), 'helm', 'v3.4.2');
    assert.throws(() => resolveHelm({ HELM: old, PATH: '' }), (e: Error) => e instanceof UserError && /Helm v3\.4\.2; Helm >= 3\.5\.0 is required/.test(e.message));
    // Skipped (not fatal) when found on PATH: the next candidate is used.
    const bin = path.join(work, 'oldpath');
    fakeHelm(bin, 'helm', 'v3.4.2');
    fakeHelm(bin, 'microk8s.helm3', 'v3.8.0');
    assert.equal(resolveHelm({ PATH: bin }).source, 'microk8s.helm3');
  });

  it('says how to get one when none exists', () => {
    if (fs.existsSync(BUNDLED_HELM_PATH)) {
      // the bundled one is found last
      assert.equal(resolveHelm({ PATH: path.join(work, 'empty') }).source, 'bundled');
    } else {
      assert.throws(() => resolveHelm({ PATH: path.join(work, 'empty') }), /npm run setup/);
    }
    assert.throws(() => resolveHelm({ HELM: path.join(work, 'nope'), PATH: '' }), /does not run as helm/);
  });

  it('parses and compares versions', () => {
    assert.deepEqual(parseHelmVersion('v3.17.2'), [3, 17, 2]);
    assert.equal(isSupportedHelm([3, 5, 0]), true);
    assert.equal(isSupportedHelm([3, 4, 9]), false);
    assert.equal(isSupportedHelm([2, 17, 0]), false);
  });
});

describe('chart source', () => {
  it('prefers Z2JH_CHART and checks its name and version', () => {
    const s = resolveChartSource('3.1.0', { Z2JH_CHART: FIXTURE_CHART }, path.join(work, 'charts'));
    assert.equal(s.kind, 'local');
    assert.throws(() => resolveChartSource('3.0.0', { Z2JH_CHART: FIXTURE_CHART }), /is jupyterhub 3\.1\.0, but chartVersion in the config is 3\.0\.0/);
    assert.throws(() => resolveChartSource('3.1.0', { Z2JH_CHART: path.join(work, 'missing') }), /no such file or folder/);
    assert.throws(() => resolveChartSource('3.1.0', { Z2JH_CHART: path.join(ROOT, 'test') }), /is not the jupyterhub chart/);
  });

  it('uses a cached .tgz, checking its recorded digest, else the repository', () => {
    const charts = path.join(work, 'charts');
    fs.mkdirSync(charts, { recursive: true });
    assert.equal(resolveChartSource('3.1.0', {}, charts).kind, 'repo');
    const helm = resolveHelm().command;
    const r = spawnSync(helm, ['package', FIXTURE_CHART, '--destination', charts], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const tgz = cachedChartPath('3.1.0', charts);
    const digest = createHash('sha256').update(fs.readFileSync(tgz)).digest('hex');
    fs.writeFileSync(`${tgz}.sha256`, `${digest}  jupyterhub-3.1.0.tgz\n`);
    const s = resolveChartSource('3.1.0', {}, charts);
    assert.equal(s.kind, 'cache');
    assert.ok(readChartSchema(s), 'schema read from inside the .tgz');
    assert.equal((readChartDefaults(s) as any).proxy.service.type, 'LoadBalancer');
    fs.writeFileSync(`${tgz}.sha256`, `${'0'.repeat(64)}  jupyterhub-3.1.0.tgz\n`);
    assert.throws(() => resolveChartSource('3.1.0', {}, charts), /records 0{64}[\s\S]*npm run chart:pull/);
  });
});

describe('values against the chart schema', () => {
  const configs: Record<string, unknown> = {
    base: baseConfig(),
    minimal: yaml.load(fs.readFileSync(path.join(ROOT, 'examples', 'minimal.yaml'), 'utf8')),
    full: yaml.load(fs.readFileSync(path.join(ROOT, 'examples', 'full.yaml'), 'utf8')),
    tlsNone: { ...baseConfig(), tls: { mode: 'none', allowInsecureCallback: true } },
    tlsSecret: { ...baseConfig(), tls: { mode: 'secret', certFile: 'a.crt', keyFile: 'a.key' } },
    allowAll: { ...baseConfig(), auth0: { domain: 't.auth0.com', clientId: 'x', allowAll: true } },
    quantities: { ...baseConfig(), resources: { cpuGuarantee: '250m', cpuLimit: '1500m', memoryGuarantee: '512Mi', memoryLimit: '3Gi' } },
  };
  const values = (c: unknown) => buildHubValues({
    config: parseConfig(c, 'test'),
    storageClassName: 'sc',
    serviceAnnotations: { 'metallb.universe.tf/loadBalancerIPs': '192.168.1.241' },
    authenticatorHubConfig: { JupyterHub: { authenticator_class: 'auth0' }, Auth0OAuthenticator: { client_id: 'x' } },
    authenticatorExtraEnv: { OAUTH_CLIENT_SECRET: { valueFrom: { secretKeyRef: { name: 'a', key: 'b' } } } },
    secrets: { proxySecretToken: 'a'.repeat(64), cookieSecret: 'b'.repeat(64), cryptKeeperKey: 'c'.repeat(64) },
  });

  for (const [name, c] of Object.entries(configs)) {
    it(`${name}: fits the fixture chart's schema`, () => {
      const s = { kind: 'local' as const, path: FIXTURE_CHART, version: '3.1.0', origin: 'fixture' };
      assert.deepEqual(checkValues(coalesceValues(readChartDefaults(s), values(c)), readChartSchema(s)!), []);
    });
    it(`${name}: fits the real z2jh 3.1.0 values.schema.json (../shared)`, (t) => {
      const schemaFile = path.join(SHARED_Z2JH, 'values.schema.json');
      if (!fs.existsSync(schemaFile)) {
        t.skip(`SKIPPED: ${schemaFile} not present`);
        return;
      }
      const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
      const defaults = yaml.load(fs.readFileSync(path.join(SHARED_Z2JH, 'values.yaml'), 'utf8'));
      assert.deepEqual(checkValues(coalesceValues(defaults, values(c)), schema), []);
    });
  }

  it('reports a misplaced key with its path and a suggestion', () => {
    const s = { kind: 'local' as const, path: FIXTURE_CHART, version: '3.1.0', origin: 'fixture' };
    const v = values(baseConfig()) as any;
    v.proxy.service.loadBalancerIp = '1.2.3.4';
    v.singleusr = {};
    const problems = checkValues(coalesceValues(readChartDefaults(s), v), readChartSchema(s)!);
    assert.deepEqual(problems.map((p) => `${p.path}: ${p.message}`).sort(), [
      'proxy.service.loadBalancerIp: unknown key (did you mean "loadBalancerIP"?)',
      'singleusr: unknown key (did you mean "singleuser"?)',
    ]);
  });
});

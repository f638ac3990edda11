/**
 * Synth starts helm before it builds the construct tree (src/output/synth.ts synthesizeAsync):
 * the values come from hubValuesFor (pure functions the constructs share), helm gets the end of
 * its input before any long synchronous work, and the tree refuses a helm run of other values.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { App, Chart } from 'cdk8s';
import { loadConfig } from '../src/config/load';
import { HubEnvironment } from '../src/hub-environment';
import { resolveChartSource } from '../src/hub/chart-source';
import { JupyterHubChart } from '../src/hub/jupyterhub-chart';
import { startRelease } from '../src/hub/jupyterhub-release';
import { hubValuesFor } from '../src/hub/values';
import { readTlsMaterial, resolveConfigPath } from '../src/cluster/tls-check';
import { loadHubSecrets } from '../src/secret-store/store';
import { comparedDocument } from '../src/output/data-move';
import { previousObjects } from '../src/output/immutable-changes';
import { synthesize } from '../src/output/synth';
import { ROOT, synthEnv, tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function fakeHelm(name: string, body: string): string {
  const f = path.join(work, name);
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

/** Blocks this thread (no event loop) until `file` exists or `ms` passed; whether it appeared. */
function blockUntilExists(file: string, ms: number): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fs.existsSync(file)) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return fs.existsSync(file);
}

const SOURCE = { kind: 'local' as const, path: '/charts/jupyterhub', version: '3.1.0', origin: 'the test chart' };

describe('helm starts first and renders while synth works', () => {
  // Writes a mark once it has read all of its standard input, then one object.
  const mark = (n: string) => path.join(work, `${n}.read-all`);
  const helm = (n: string) => fakeHelm(`helm-${n}`, `cat >/dev/null; touch ${mark(n)}; printf 'apiVersion: v1\\nkind: Namespace\\nmetadata: {name: x}\\n'`);
  const props = (exe: string) => ({ source: SOURCE, helmExecutable: exe, namespace: 'hub', values: { a: 'b' }, valuesSchema: {}, chartDefaults: {} });

  it('once valuesSent resolves, helm has all its values even while this thread is busy', async () => {
    const run = startRelease(props(helm('sent')));
    await run.valuesSent;
    assert.ok(blockUntilExists(mark('sent'), 10_000), 'helm read the end of its input while the event loop was blocked');
    assert.equal((await run.documents).length, 1);
  });

  it('(the reason) before valuesSent, a busy thread keeps helm waiting for the end of its input', async () => {
    const run = startRelease(props(helm('waiting')));
    // Closing the pipe needs the event loop: blocked right after the spawn, helm never sees EOF.
    assert.equal(blockUntilExists(mark('waiting'), 1500), false);
    await run.valuesSent;
    assert.equal((await run.documents).length, 1);
  });

  it('the construct takes a run started with its own values, and refuses one with other values', async () => {
    const exe = helm('taken');
    const run = startRelease(props(exe));
    const chart = new Chart(new App({ outdir: path.join(work, 'unused') }), 'c');
    const r = new JupyterHubChart(chart, 'JupyterHub', { ...props(exe), release: run });
    await r.render();
    assert.deepEqual(chart.toJson().map((o: { kind: string }) => o.kind), ['Namespace']);
    const other = startRelease({ ...props(exe), values: { a: 'c' } });
    assert.throws(() => new JupyterHubChart(new Chart(new App(), 'd'), 'JupyterHub', { ...props(exe), release: other }), /started with other values \(at values\.a\)/);
    await other.documents;
  });
});

describe('hubValuesFor gives exactly the values the construct tree gives', () => {
  const configs = [
    ['src/config.ts', undefined],
    ...fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => [`examples/${f}`, path.join(ROOT, 'examples', f)]),
  ] as const;
  for (const [name, file] of configs) {
    it(name, () => {
      const env = { ...synthEnv(path.join(work, name.replace(/\W/g, '_')), { HUB_CONFIG: file }), HUB_DB_PASSWORD: 'db-password-for-the-test' };
      const loaded = loadConfig(env);
      const { config } = loaded;
      const secrets = loadHubSecrets({ namespace: config.namespace, release: config.releaseName, env, needDatabasePassword: config.hubDatabase.type === 'postgres' });
      const tls = config.tls.mode === 'secret'
        ? readTlsMaterial({ certFile: resolveConfigPath(loaded.baseDir, config.tls.certFile), keyFile: resolveConfigPath(loaded.baseDir, config.tls.keyFile), domain: config.domain })
        : undefined;
      if (config.tls.mode === 'secret') assert.ok(tls?.certPem, 'a certificate to fingerprint');
      const hub = new HubEnvironment(new App(), 'hub', { config, secrets, tls, chartSource: resolveChartSource(config.chartVersion, env), helmExecutable: 'helm' });
      assert.deepEqual(hubValuesFor(config, secrets, tls), hub.jupyterhub.values);
    });
  }
});

describe('the data-move guard reads only the documents it compares', () => {
  it('finds the same StorageClasses, claims, pools and record as reading every document', () => {
    const dir = path.join(work, 'guard');
    const env = { ...synthEnv(dir, { HUB_CONFIG: path.join(ROOT, 'examples', 'three-nodes-nfs.yaml') }), HUB_DB_PASSWORD: 'db-password-for-the-test' };
    const r = synthesize({ env });
    const all = previousObjects(r.files);
    const compared = previousObjects(r.files, comparedDocument);
    const kinds = (objs: typeof all) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const guarded = all.filter((o) => ['StorageClass', 'PersistentVolumeClaim', 'IPAddressPool'].includes(o.kind) || o.metadata.name === 'microk8s-jupyterhub-state');
    assert.deepEqual(kinds(compared), kinds(guarded));
    assert.ok(compared.some((o) => o.kind === 'PersistentVolumeClaim') && compared.some((o) => o.kind === 'StorageClass') && compared.some((o) => o.kind === 'IPAddressPool'));
    assert.ok(all.length > compared.length + 10, 'the other documents were skipped');
    assert.ok(!fs.readdirSync(path.join(dir, 'dist')).includes('nothing'), 'synth wrote dist/');
  });
});

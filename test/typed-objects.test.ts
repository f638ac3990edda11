/**
 * The core objects this program builds itself (Namespace, Secret, ConfigMap) through the typed
 * classes of imports/k8s.ts: the YAML kubectl receives, key order included (dist/ must stay
 * byte-identical), and imports/k8s.ts being exactly what `npm run import:k8s` generates.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import { DeploymentRecord, DEPLOYMENT_RECORD_NAME } from '../src/cluster/deployment-record';
import { HubNamespace } from '../src/cluster/hub-namespace';
import { TlsSecret } from '../src/cluster/tls-secret';
import { PostgresHubDatabase } from '../src/hub/postgres-hub-database';
import { generate } from '../src/tools/import-k8s';
import { ROOT } from './helpers';

function render(build: (chart: Chart) => void): string {
  const chart = new Chart(new App(), 'c');
  build(chart);
  return JSON.stringify(chart.toJson());
}

describe('typed core objects', () => {
  it('Namespace', () => {
    assert.equal(render((c) => new HubNamespace(c, 'ns', { name: 'analytics' })),
      JSON.stringify([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'analytics' } }]));
    assert.equal(render((c) => new HubNamespace(c, 'ns')), JSON.stringify([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jupyterhub' } }]));
  });
  it('the kubernetes.io/tls Secret carries both PEMs base64-encoded under the keys the proxy reads', () => {
    assert.equal(render((c) => new TlsSecret(c, 'tls', { name: 'hub-tls', namespace: 'ns', certPem: 'CERT', keyPem: 'KEY' })),
      JSON.stringify([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub-tls', namespace: 'ns' }, data: { 'tls.crt': 'Q0VSVA==', 'tls.key': 'S0VZ' }, type: 'kubernetes.io/tls' }]));
  });
  it('the hub database password Secret', () => {
    assert.equal(render((c) => new PostgresHubDatabase(c, 'db', { namespace: 'ns', password: 'pw' })),
      JSON.stringify([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub-db-password', namespace: 'ns' }, data: { password: 'cHc=' }, type: 'Opaque' }]));
  });
  it('the deployment record ConfigMap holds the facts, keys sorted (cdk8s sorts them: same order whatever the code adds first)', () => {
    const facts = { storageClass: 'microk8s-hostpath', hostDirectory: '/srv/jupyterhub' };
    assert.equal(render((c) => new DeploymentRecord(c, 'rec', { namespace: 'ns', facts })),
      JSON.stringify([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: DEPLOYMENT_RECORD_NAME, namespace: 'ns' }, data: { hostDirectory: '/srv/jupyterhub', storageClass: 'microk8s-hostpath' } }]));
  });
});

describe('imports/k8s.ts', () => {
  it('is what `npm run import:k8s` generates from the installed cdk8s-plus-27 (no hand edits)', () => {
    const source = path.join(path.dirname(require.resolve('cdk8s-plus-27/package.json')), 'lib', 'imports');
    assert.equal(fs.readFileSync(path.join(ROOT, 'imports', 'k8s.ts'), 'utf8'), generate(source).ts,
      'imports/k8s.ts differs from the generator output: run `npm run import:k8s`');
  });
  it('does not load cdk8s-plus-27 at run time', () => {
    const text = fs.readFileSync(path.join(ROOT, 'imports', 'k8s.ts'), 'utf8');
    assert.doesNotMatch(text, /cdk8s-plus-27['"/]/);
    for (const f of ['src/cluster/hub-namespace.ts', 'src/cluster/tls-secret.ts', 'src/cluster/deployment-record.ts', 'src/hub/postgres-hub-database.ts']) {
      assert.match(fs.readFileSync(path.join(ROOT, f), 'utf8'), /from '\.\.\/\.\.\/imports\/k8s'/, f);
    }
  });
});

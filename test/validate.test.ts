/** Offline validation: deliberately broken objects are reported with file, object and JSON path. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { clientSideApplyWarnings, validateFiles, validateObject } from '../src/output/validate';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'hub', namespace: 'jupyterhub' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'hub', image: 'x:1' }] } } },
});

describe('offline validation', () => {
  it('accepts a valid object', () => {
    assert.deepEqual(validateObject(deployment() as any, 'f.yaml'), []);
  });

  it('reports a wrong type with its JSON path', () => {
    const d: any = deployment();
    d.spec.replicas = 'two';
    const p = validateObject(d, '10-jupyterhub.yaml');
    assert.deepEqual(p.map((x) => [x.file, x.object, x.path]), [['10-jupyterhub.yaml', 'Deployment/jupyterhub/hub', '/spec/replicas']]);
    assert.match(p[0].message, /integer/);
  });

  it('reports a missing required field', () => {
    const d: any = deployment();
    delete d.spec.selector;
    assert.ok(validateObject(d, 'f.yaml').some((x) => x.path === '/spec' && /selector/.test(x.message)));
    const c: any = deployment();
    delete c.spec.template.spec.containers[0].name;
    assert.ok(validateObject(c, 'f.yaml').some((x) => x.path === '/spec/template/spec/containers/0' && /name/.test(x.message)));
  });

  it('reports namespace mistakes both ways', () => {
    const d: any = deployment();
    delete d.metadata.namespace;
    assert.ok(validateObject(d, 'f.yaml').some((x) => x.path === '/metadata/namespace' && /default/.test(x.message)));
    const cr = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x', namespace: 'jupyterhub' }, rules: [] };
    assert.ok(validateObject(cr as any, 'f.yaml').some((x) => /cluster-scoped/.test(x.message)));
  });

  it('rejects bad names, Jobs and Helm hooks', () => {
    const d: any = deployment();
    d.metadata.name = 'Hub_1';
    d.metadata.annotations = { 'helm.sh/hook': 'pre-install' };
    const msgs = validateObject(d, 'f.yaml').map((x) => `${x.path} ${x.message}`).join('\n');
    assert.match(msgs, /\/metadata\/name must be a DNS subdomain/);
    assert.match(msgs, /helm\.sh~1hook/);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'x' }, spec: { template: { spec: { containers: [] } } } };
    assert.ok(validateObject(job as any, 'f.yaml').some((x) => /immutable/.test(x.message)));
  });

  it('errors on unknown kinds unless allowed', () => {
    const o = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'x' } };
    assert.match(validateObject(o as any, 'f.yaml')[0].message, /unknown kind example\.com\/v1\/Widget/);
    assert.deepEqual(validateObject(o as any, 'f.yaml', { allowKinds: ['Widget'] }), []);
  });

  it('checks MetalLB objects against their CRD schema', () => {
    const good = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.1-10.0.0.5'] } };
    assert.deepEqual(validateObject(good as any, 'f.yaml'), []);
    const bad = { ...good, spec: { addresses: '10.0.0.1-10.0.0.5', autoAssign: 'yes' } };
    const p = validateObject(bad as any, '03-metallb.yaml');
    assert.deepEqual(p.map((x) => x.path).sort(), ['/spec/addresses', '/spec/autoAssign']);
  });

  it('never echoes a field value (a Secret\'s data must not reach a CI log)', () => {
    const s = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'x' }, data: { token: 12345678901234 } };
    const p = validateObject(s as any, '02-secrets.secret.yaml');
    assert.ok(p.length > 0);
    assert.ok(!JSON.stringify(p).includes('12345678901234'));
  });

  it('reads whole files and reports unparsable YAML', () => {
    const files = new Map([
      ['10-jupyterhub.yaml', `---\n${yaml.dump(deployment())}---\n${yaml.dump({ ...deployment(), spec: { replicas: -1 } })}`],
      ['broken.yaml', 'a: [1,'],
    ]);
    const p = validateFiles(files);
    assert.ok(p.some((x) => x.file === 'broken.yaml' && /not valid YAML/.test(x.message)));
    assert.ok(p.some((x) => x.file === '10-jupyterhub.yaml' && x.path === '/spec'));
  });
});

describe('offline validation follows the consumers', () => {
  it('refuses unknown fields, as the API server does with --validate=strict', () => {
    const d: any = deployment();
    d.spec.replicaz = 2;
    const p = validateObject(d, 'f.yaml');
    assert.deepEqual(p.map((x) => [x.path, x.message]), [['/spec', 'unknown field "replicaz" (the API server refuses it)']]);
  });

  it('reads a null as an unset field (helm leaves `key:` empty), as the API server decodes it', () => {
    const d: any = deployment();
    d.spec.template.spec.nodeSelector = null;
    assert.deepEqual(validateObject(d, 'f.yaml'), []);
  });

  it('checks MetalLB objects against the CRDs of the MetalLB the configured release installs', () => {
    const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.1-10.0.0.5'], serviceAllocation: { priority: 1 } } };
    // serviceAllocation is not in v0.13.3's CRD (MicroK8s 1.28-1.32), it is in v0.14.9 and v0.15.2
    assert.deepEqual(validateObject(pool as any, 'f.yaml', { microk8sRelease: '1.33' }), []);
    assert.match(validateObject(pool as any, 'f.yaml', { microk8sRelease: '1.32' })[0].message, /\(MetalLB v0\.13\.3\) unknown field "serviceAllocation"/);
    const any = validateObject(pool as any, 'f.yaml');
    assert.equal(any.length, 1, 'one line naming the versions that refuse it');
    assert.match(any[0].message, /^\(MetalLB v0\.13\.3\) unknown field/);
  });

  it('knows every kind the API server serves, and no other', () => {
    const pc = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'x' }, value: 10 };
    assert.deepEqual(validateObject(pc as any, 'f.yaml'), []);
    const beta = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x', namespace: 'n' } };
    assert.match(validateObject(beta as any, 'f.yaml')[0].message, /unknown kind policy\/v1beta1\/PodDisruptionBudget \(not served by kube-apiserver v1\.32\.13/);
  });
});

describe('the apply-size warning', () => {
  it('warns about an object plain `kubectl apply` cannot store, naming --server-side', () => {
    const cm = (n: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'auth0-allowlist', namespace: 'x' }, data: { allowed_users: 'u@example.org\n'.repeat(n) } });
    assert.deepEqual(clientSideApplyWarnings([cm(100) as any]), []);
    const w = clientSideApplyWarnings([cm(20000) as any]);
    assert.equal(w.length, 1);
    assert.match(w[0], /ConfigMap\/x\/auth0-allowlist is too large for plain `kubectl apply`[\s\S]*--server-side[\s\S]*auth0\.allowedUsers/);
  });
});

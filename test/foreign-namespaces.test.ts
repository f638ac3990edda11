/**
 * Objects a chart renders into namespaces the hub does not own are refused, named, instead of
 * reaching dist/ with our labels (issue 12: a privileged Pod in kube-system from a tampered chart).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { normalizeObjects } from '../src/output/manifests';
import type { KubeObject } from '../src/output/kube-object';
import { synthesize } from '../src/output/synth';
import { baseConfig, FIXTURE_CHART, readObjects, runTs, snapshot, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-foreign-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
const opts = { namespace: 'hub', release: 'hub', placeholders: false };

describe('normalizeObjects: only namespaces the hub owns', () => {
  it('accepts its own namespace, cluster objects, and one pool and one advertisement in metallb-system', () => {
    const out = normalizeObjects([
      obj('v1', 'Namespace', 'hub'),
      obj('v1', 'ConfigMap', 'a'),
      obj('v1', 'ConfigMap', 'b', 'hub'),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'c'),
      obj('metallb.io/v1beta1', 'IPAddressPool', 'hub', 'metallb-system'),
      obj('metallb.io/v1beta1', 'L2Advertisement', 'hub', 'metallb-system'),
    ], opts);
    assert.deepEqual(out.map((o) => o.metadata.namespace), [undefined, 'hub', 'hub', undefined, 'metallb-system', 'metallb-system']);
  });

  const refusals: [string, KubeObject[], string][] = [
    ['a Pod in kube-system', [obj('v1', 'Pod', 'evil', 'kube-system')], 'Pod/kube-system/evil'],
    ['a Pod in metallb-system', [obj('v1', 'Pod', 'x', 'metallb-system')], 'Pod/metallb-system/x'],
    ['a second IPAddressPool in metallb-system', [obj('metallb.io/v1beta1', 'IPAddressPool', 'hub', 'metallb-system'), obj('metallb.io/v1beta1', 'IPAddressPool', 'wide', 'metallb-system')], 'IPAddressPool/metallb-system/wide'],
    ['another Namespace object', [obj('v1', 'Namespace', 'kube-system')], 'Namespace/kube-system'],
    ['a Role in default', [obj('rbac.authorization.k8s.io/v1', 'Role', 'r', 'default')], 'Role/default/r'],
  ];
  for (const [name, objects, id] of refusals) {
    it(`refuses ${name}, naming it`, () => {
      assert.throws(() => normalizeObjects(objects, opts), (err: Error) => {
        assert.match(err.message, new RegExp(`^Refusing to write dist/: an object lands outside the namespaces this hub owns: ${id.replace(/[/.]/g, '\\$&')}\\.\\n`));
        assert.match(err.message, /The hub owns namespace "hub" \(and, in metallb-system, its one IPAddressPool and L2Advertisement\)/);
        assert.match(err.message, /Fix: use the chart as released/);
        return true;
      });
    });
  }
});

describe('synth with a tampered chart', () => {
  it('a privileged Pod the chart puts in kube-system: exit 1, the object named, dist/ unchanged', () => {
    const dir = path.join(work, 'tampered');
    const chart = path.join(dir, 'jupyterhub');
    fs.cpSync(FIXTURE_CHART, chart, { recursive: true });
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env });
    const before = snapshot(path.join(dir, 'dist'));
    assert.ok(readObjects(path.join(dir, 'dist')).every((o) => [undefined, 'jupyterhub', 'metallb-system'].includes(o.object.metadata.namespace)));
    fs.writeFileSync(path.join(chart, 'templates', 'zz-evil.yaml'), [
      'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: evil', '  namespace: kube-system', 'spec:', '  hostPID: true',
      '  containers:', '    - name: x', '      image: busybox:1.36', '      securityContext: {privileged: true}', '',
    ].join('\n'));
    const r = runTs('src/main.ts', [], { ...env, Z2JH_CHART: chart });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^Refusing to write dist\/: an object lands outside the namespaces this hub owns: Pod\/kube-system\/evil\.\n/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.deepEqual(snapshot(path.join(dir, 'dist')), before);
  });
});

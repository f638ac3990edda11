/** What dist/ targets per MicroK8s release, and the release check doctor runs. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { kubeVersionFor, metallbServiceAnnotations, metallbVersionsFor, microk8sReleaseProblem, SUPPORTED_RELEASES } from '../src/cluster/microk8s-release';
import { synthesize } from '../src/output/synth';
import { baseConfig, find, readObjects, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

const versionJson = (gitVersion: string, minor = gitVersion.split('.')[1]) => JSON.stringify({ serverVersion: { major: '1', minor, gitVersion } });

describe('MicroK8s releases', () => {
  it('supports 1.28-1.35; without a release, helm renders for the oldest and every MetalLB version is checked', () => {
    assert.deepEqual(SUPPORTED_RELEASES, ['1.28', '1.29', '1.30', '1.31', '1.32', '1.33', '1.34', '1.35']);
    assert.equal(kubeVersionFor(undefined), '1.28.0');
    assert.equal(kubeVersionFor('1.33'), '1.33.0');
    // canonical/microk8s-core-addons addons/metallb per release branch (../shared/reference/microk8s-addons/VERSIONS.md)
    assert.deepEqual(metallbVersionsFor(undefined), ['v0.13.3', 'v0.14.9', 'v0.15.2']);
    assert.deepEqual(metallbVersionsFor('1.32'), ['v0.13.3']);
    assert.deepEqual(metallbVersionsFor('1.33'), ['v0.14.9']);
    assert.deepEqual(metallbVersionsFor('1.35'), ['v0.15.2']);
  });

  it('names the MetalLB annotations every targeted MetalLB reads', () => {
    // v0.13.3 controller/service.go reads only metallb.universe.tf/*; v0.14.9 and v0.15.2 read metallb.io/* first.
    assert.deepEqual(metallbServiceAnnotations(undefined, 'p', '10.0.0.1'), { 'metallb.universe.tf/address-pool': 'p', 'metallb.universe.tf/loadBalancerIPs': '10.0.0.1' });
    assert.deepEqual(metallbServiceAnnotations('1.32', 'p', '10.0.0.1'), { 'metallb.universe.tf/address-pool': 'p', 'metallb.universe.tf/loadBalancerIPs': '10.0.0.1' });
    assert.deepEqual(metallbServiceAnnotations('1.34', 'p', '10.0.0.1'), { 'metallb.io/address-pool': 'p', 'metallb.io/loadBalancerIPs': '10.0.0.1' });
  });

  it('microk8sReleaseProblem: fits, mismatches and unsupported machines', () => {
    const fixture = fs.readFileSync(path.join(__dirname, 'fixtures', 'microk8s', 'v1.28', 'kubectl-version.json'), 'utf8');
    assert.equal(microk8sReleaseProblem(undefined, fixture), undefined);
    assert.equal(microk8sReleaseProblem('1.28', fixture), undefined);
    assert.match(microk8sReleaseProblem('1.33', fixture)!, /config says microk8s\.release "1\.33" but this machine runs MicroK8s 1\.28 \(MetalLB v0\.14\.9 vs v0\.13\.3\)[\s\S]*set microk8s\.release to "1\.28"/);
    assert.match(microk8sReleaseProblem(undefined, versionJson('v1.26.15'))!, /MicroK8s 1\.26, which this program does not support \(supported: 1\.28-1\.35\)[\s\S]*snap refresh microk8s --channel=1\.28\/stable/);
    assert.match(microk8sReleaseProblem(undefined, versionJson('v1.36.0'))!, /does not support[\s\S]*1\.35 or older/);
    assert.equal(microk8sReleaseProblem('1.30', JSON.stringify({ serverVersion: { major: '1', minor: '30+' } })), undefined);
    assert.match(microk8sReleaseProblem(undefined, 'The connection to the server was refused')!, /could not read/);
  });
});

describe('dist/ per configured release', () => {
  const synth = (name: string, extra: object) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    synthesize({ env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, { ...baseConfig(), ...extra }) }) });
    return readObjects(path.join(dir, 'dist'));
  };

  it('default: metallb.universe.tf annotations only, never spec.loadBalancerIP, pool named after the namespace', () => {
    const objs = synth('any', { namespace: 'team-a' });
    const svc = find(objs, 'Service', 'proxy-public')!.object as any;
    assert.equal(svc.spec.loadBalancerIP, undefined);
    assert.deepEqual(Object.keys(svc.metadata.annotations).filter((k) => k.includes('metallb')).sort(), ['metallb.universe.tf/address-pool', 'metallb.universe.tf/loadBalancerIPs']);
    assert.equal(svc.metadata.annotations['metallb.universe.tf/address-pool'], 'team-a');
    assert.ok(find(objs, 'IPAddressPool', 'team-a') && find(objs, 'L2Advertisement', 'team-a'));
  });

  it('microk8s.release "1.34": metallb.io annotations (MetalLB v0.15.2)', () => {
    const svc = find(synth('r134', { microk8s: { release: '1.34' } }), 'Service', 'proxy-public')!.object as any;
    assert.equal(svc.metadata.annotations['metallb.io/loadBalancerIPs'], '192.168.1.241');
    assert.equal(svc.metadata.annotations['metallb.universe.tf/loadBalancerIPs'], undefined);
    assert.equal(svc.spec.loadBalancerIP, undefined);
  });
});

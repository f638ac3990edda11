/**
 * Storage right for the components that consume it (NFS both ways, Mayastor, CephFS), default
 * StorageClass names that two hubs cannot share, and config changes the API server would refuse
 * (StorageClass and PVC fields) refused at synth with the manual steps. Asserted on dist/.
 *
 * What kube-apiserver v1.32 (../shared/envtest) answered, checked by hand with kubectl v1.32.3:
 * changing a StorageClass's parameters: "parameters: Forbidden: updates to parameters are
 * forbidden"; changing its mountOptions or allowVolumeExpansion: accepted; changing a PVC's
 * storageClassName, or its size while Pending: "spec: Forbidden: spec is immutable after creation
 * except resources.requests and volumeAttributesClassName for bound claims".
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultStorageClassName } from '../src/cluster/storage-backends';
import { parseConfig } from '../src/config/load';
import { synthesize } from '../src/output/synth';
import { requiredAddons } from '../src/tools/doctor';
import { baseConfig, find, readObjects, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}`, cpus: 16, memory: '64Gi' }));
const postgres = { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' };
let counter = 0;

/** Synthesizes `config` into `dir` (a fresh one unless given: the previous dist/ matters). */
function synth(config: unknown, dir = path.join(work, `case-${++counter}`), env: Record<string, string> = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const r = synthesize({ env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, config), HUB_DB_PASSWORD: 'SENTINEL-db-pw-77', ...env }) });
  return { r, dir, objects: readObjects(path.join(dir, 'dist')) };
}
const classes = (objs: ReturnType<typeof readObjects>) => objs.filter((o) => o.object.kind === 'StorageClass').map((o) => o.object as any);

function refuses(fn: () => unknown, ...says: RegExp[]): string {
  let message = '';
  assert.throws(fn, (e: Error) => {
    message = e.message;
    return true;
  });
  for (const re of says) assert.match(message, re);
  return message;
}

describe('NFS: both real setups', () => {
  it('the MicroK8s nfs addon: its in-cluster provisioner, parameters it honours, notebook group owns each volume', () => {
    const { objects } = synth({ ...baseConfig(), storage: { homes: 'nfs', nfs: { setup: 'microk8s-addon' } }, hubDatabase: postgres });
    const [sc] = classes(objects);
    // kubernetes-sigs/nfs-ganesha-server-and-external-provisioner, chart nfs-server-provisioner-1.4.0
    // (what microk8s-community-addons addons/nfs/enable installs, release "nfs-server-provisioner"):
    // templates/_helpers.tpl provisionerName = "cluster.local/<fullname>".
    assert.equal(sc.provisioner, 'cluster.local/nfs-server-provisioner');
    // Its image v3.0.0, pkg/volume/provision.go validateOptions: only gid, rootSquash and
    // mountOptions are accepted (anything else fails provisioning); createDirectory with a gid
    // makes the directory 2071 and chgrp's it, so gid 100 (the notebook user's group) can write.
    assert.deepEqual(sc.parameters, { gid: '100' });
    assert.deepEqual(sc.mountOptions, ['vers=3']); // as the chart's own class "nfs" (values.yaml)
    assert.equal(sc.reclaimPolicy, 'Retain');
    assert.equal(sc.allowVolumeExpansion, undefined);
    assert.ok(requiredAddons(parseConfig({ ...baseConfig(), storage: { homes: 'nfs', nfs: { setup: 'microk8s-addon' } }, hubDatabase: postgres }, 't')).includes('nfs'));
  });

  it('an existing NFS server through csi-driver-nfs: no addon asked for; mountPermissions for root-squashed exports', () => {
    const cfg = { ...baseConfig(), storage: { homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: '10.0.0.5', share: '/export/hub', mountPermissions: '0' } }, hubDatabase: postgres };
    const [sc] = classes(synth(cfg).objects);
    assert.equal(sc.provisioner, 'nfs.csi.k8s.io');
    // "0": csi-driver-nfs v4.13.4 skips its chmod (nodeserver.go "skip chmod ... mountPermissions is set as 0").
    assert.equal(sc.parameters.mountPermissions, '0');
    assert.deepEqual(requiredAddons(parseConfig(cfg, 't')), ['dns', 'metallb']);
  });

  it('an old config (storage.nfs without setup) gets a clear error naming both setups', () => {
    const msg = refuses(
      () => parseConfig({ ...baseConfig(), storage: { homes: 'nfs', nfs: { server: 'nfs.example.org', share: '/export/jupyterhub' } }, hubDatabase: postgres }, 't'),
      /storage\.nfs\.setup/, /is required: one of "csi-driver-nfs", "microk8s-addon"/, /add storage\.nfs\.setup: "csi-driver-nfs" for an existing NFS server/,
    );
    assert.doesNotMatch(msg, /at .*\.ts:\d+/, 'no stack trace');
    refuses(() => parseConfig({ ...baseConfig(), storage: { nfs: { setup: 'microk8s-addon', server: 'x.example.org' } } }, 't'), /storage\.nfs\.server/, /belongs to storage\.nfs\.setup "csi-driver-nfs"/);
    refuses(() => parseConfig({ ...baseConfig(), storage: { nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e', mountPermissions: '777' } } }, 't'), /storage\.nfs\.mountPermissions/, /octal/);
  });
});

describe('Mayastor (addon 2.0.0-microk8s-1b)', () => {
  const mayastor = (n: number, replicas?: number) => ({
    ...baseConfig(), cluster: { nodes: nodes(n) }, storage: { homes: 'mayastor', hubDatabase: 'mayastor', mayastor: replicas === undefined ? {} : { replicas } },
  });
  it('refuses more replicas than nodes (one pool per node, one replica per pool)', () => {
    refuses(() => parseConfig(mayastor(2, 3), 't'), /storage\.mayastor\.replicas/, /is more than the 2 nodes in cluster\.nodes/, /set at most 2/);
    refuses(() => parseConfig(mayastor(1, 2), 't'), /is more than the 1 node in cluster\.nodes/);
  });
  it('defaults to one replica per node up to 3, and never promises volume expansion', () => {
    for (const [n, want] of [[1, '1'], [2, '2'], [5, '3']] as const) {
      const [sc] = classes(synth(mayastor(n)).objects);
      assert.equal(sc.parameters.repl, want, `${n} nodes`);
      // openebs/mayastor-control-plane v2.0.0 csi-driver controller.rs: no EXPAND_VOLUME capability,
      // ControllerExpandVolume answers "Not implemented".
      assert.equal(sc.allowVolumeExpansion, undefined);
      assert.equal(sc.provisioner, 'io.openebs.csi-mayastor');
    }
  });
});

describe('CephFS through Rook', () => {
  const ceph = (cephfs: Record<string, unknown>) => ({ ...baseConfig(), storage: { cephfs }, sharedData: { teamFolder: { type: 'backend', backend: 'cephfs' } } });
  it('the external-Ceph path: provisioner from the operator namespace, clusterID and secrets from rook-ceph-external', () => {
    const [sc] = classes(synth(ceph({ setup: 'external-ceph', fsName: 'cephfs', pool: 'cephfs.cephfs.data' })).objects).filter((c) => c.provisioner.includes('ceph'));
    // microk8s-core-addons 1.32 addons/rook-ceph/plugin/.rook-import-external-cluster.sh:
    // OPERATOR_NAMESPACE=rook-ceph, CEPHFS_PROVISIONER=$OPERATOR_NAMESPACE.cephfs.csi.ceph.com,
    // CLUSTER_ID_CEPHFS=$NAMESPACE ("rook-ceph-external", connect-external-ceph --namespace default).
    assert.equal(sc.provisioner, 'rook-ceph.cephfs.csi.ceph.com');
    assert.equal(sc.parameters.clusterID, 'rook-ceph-external');
    assert.equal(sc.parameters['csi.storage.k8s.io/provisioner-secret-namespace'], 'rook-ceph-external');
    assert.equal(sc.parameters['csi.storage.k8s.io/node-stage-secret-name'], 'rook-csi-cephfs-node');
    assert.equal(sc.parameters.fsName, 'cephfs');
    refuses(() => parseConfig(ceph({ setup: 'external-ceph' }), 't'), /storage\.cephfs\.fsName/, /is required/);
  });
  it('an operator in another namespace changes the provisioner, not clusterID; old configs mean the addon', () => {
    const [sc] = classes(synth(ceph({ operatorNamespace: 'rook-operator', clusterID: 'ceph-a' })).objects).filter((c) => c.provisioner.includes('ceph'));
    assert.equal(sc.provisioner, 'rook-operator.cephfs.csi.ceph.com');
    assert.equal(sc.parameters.clusterID, 'ceph-a');
    assert.equal(parseConfig(ceph({ clusterID: 'rook-ceph' }), 't').storage.cephfs?.setup, 'microk8s-addon');
  });
});

describe('StorageClass names on a cluster with several hubs', () => {
  it('defaults differ per namespace and release, cannot collide by concatenation, and the default hub keeps its names', () => {
    assert.equal(defaultStorageClassName('jupyterhub', 'jupyterhub', 'hostpath'), 'jupyterhub-hostpath');
    const a = defaultStorageClassName('a-b', 'c', 'nfs');
    const b = defaultStorageClassName('a', 'b-c', 'nfs');
    assert.notEqual(a, b);
    assert.match(a, /^a-b-c-nfs-[0-9a-f]{6}$/);
    const other = defaultStorageClassName('jupyterhub', 'team-b', 'hostpath');
    assert.notEqual(other, 'jupyterhub-hostpath');
    const one = classes(synth(baseConfig()).objects);
    const two = classes(synth({ ...baseConfig(), namespace: 'team-b' }).objects);
    assert.deepEqual(one.map((c) => c.metadata.name), ['jupyterhub-hostpath']);
    assert.deepEqual(two.map((c) => c.metadata.name), [defaultStorageClassName('team-b', 'jupyterhub', 'hostpath')]);
  });
  it('an explicitly configured name is used as written; an addon\'s own class name or a shared one is refused', () => {
    const { objects } = synth({ ...baseConfig(), storage: { storageClassName: 'fast-disk' } });
    assert.deepEqual(classes(objects).map((c) => c.metadata.name), ['fast-disk']);
    assert.equal((find(objects, 'PersistentVolumeClaim', 'hub-db-dir')!.object as any).spec.storageClassName, 'fast-disk');
    refuses(() => parseConfig({ ...baseConfig(), storage: { storageClassName: 'microk8s-hostpath' } }, 't'), /storage\.storageClassName/, /hostpath-storage addon/);
    refuses(() => parseConfig({ ...baseConfig(), storage: { nfs: { setup: 'microk8s-addon', storageClassName: 'nfs' } } }, 't'), /storage\.nfs\.storageClassName/, /the nfs addon/);
    refuses(() => parseConfig({ ...baseConfig(), storage: { storageClassName: 'x', mayastor: { storageClassName: 'x' } } }, 't'), /storage\.mayastor\.storageClassName/, /one StorageClass cannot serve two backends/);
  });
});

describe('changes the API server would refuse are refused at synth, with the steps', () => {
  it('a StorageClass parameter change: delete-the-class steps; the override lets it through; dist/ untouched until then', () => {
    const cfg = (replicas: number) => ({ ...baseConfig(), cluster: { nodes: nodes(3) }, storage: { homes: 'mayastor', mayastor: { replicas } }, hubDatabase: postgres });
    const { dir } = synth(cfg(2));
    const before = fs.readFileSync(path.join(dir, 'dist', '01-cluster.yaml'), 'utf8');
    refuses(() => synth(cfg(3), dir), /StorageClass jupyterhub-mayastor:\n {4}parameters\.repl: "2" -> "3"/,
      /1\. microk8s kubectl delete storageclass jupyterhub-mayastor {3}\(deletes only the class/, /2\. HUB_ALLOW_STORAGE_CLASS_CHANGE=1 npm run synth/, /dist\/ is unchanged/);
    assert.equal(fs.readFileSync(path.join(dir, 'dist', '01-cluster.yaml'), 'utf8'), before);
    synth(cfg(3), dir, { HUB_ALLOW_STORAGE_CLASS_CHANGE: '1' });
    assert.match(fs.readFileSync(path.join(dir, 'dist', '01-cluster.yaml'), 'utf8'), /repl: "3"/);
  });

  it('a mutable StorageClass field (mountOptions) passes; an unchanged config passes', () => {
    const cfg = (opt: string) => ({ ...baseConfig(), storage: { homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e', mountOptions: [opt] } }, hubDatabase: postgres });
    const { dir } = synth(cfg('nfsvers=4.1'));
    synth(cfg('nfsvers=4.1'), dir);
    synth(cfg('nfsvers=4.2'), dir);
  });

  it('the hub database claim: a new class is a data move with steps; shrinking or growing a non-expandable claim says what to set back', () => {
    const { dir } = synth(baseConfig());
    refuses(() => synth({ ...baseConfig(), storage: { storageClassName: 'fast-disk' } }, dir),
      /PersistentVolumeClaim jupyterhub\/hub-db-dir:\n {4}spec\.storageClassName: "jupyterhub-hostpath" -> "fast-disk"/,
      /scale deployment hub --replicas=0/, /persistentVolumeReclaimPolicy":"Retain"/, /delete pvc hub-db-dir/);
    assert.doesNotMatch(
      refuses(() => synth({ ...baseConfig(), storage: { storageClassName: 'fast-disk' } }, dir)),
      /moves where user homes/, 'a new class name alone moves no data',
    );
    refuses(() => synth({ ...baseConfig(), storage: { hubDatabaseCapacity: '512Mi' } }, dir),
      /spec\.resources\.requests\.storage: "1Gi" -> "512Mi"/, /never shrinks a claim: set storage\.hubDatabaseCapacity back to "1Gi"/);
    refuses(() => synth({ ...baseConfig(), storage: { hubDatabaseCapacity: '2Gi' } }, dir),
      /does not allow volume expansion .*set storage\.hubDatabaseCapacity back to "1Gi"/);
  });

  it('growing a claim on an expandable class (CephFS) passes', () => {
    const cfg = (size: string) => ({ ...baseConfig(), sharedData: { teamFolder: { type: 'backend', backend: 'cephfs', size } } });
    const { dir } = synth(cfg('100Gi'));
    synth(cfg('200Gi'), dir);
  });

  it('the data-move guard is about where data lives: host directory and backend location', () => {
    const { dir } = synth(baseConfig());
    refuses(() => synth({ ...baseConfig(), storage: { hostDirectory: '/mnt/big/jupyterhub' } }, dir),
      /moves where user homes and the hub database live/, /homes: hostpath \/srv\/jupyterhub -> hostpath \/mnt\/big\/jupyterhub/,
      /StorageClass jupyterhub-hostpath:\n {4}parameters\.pvDir: "\/srv\/jupyterhub" -> "\/mnt\/big\/jupyterhub"/);
    const nfs = (share: string) => ({ ...baseConfig(), storage: { homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share } }, hubDatabase: postgres });
    const d2 = synth(nfs('/a')).dir;
    refuses(() => synth(nfs('/b'), d2), /homes: nfs n\.example\.org:\/a -> nfs n\.example\.org:\/b/);
  });
});

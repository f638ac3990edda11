/**
 * Outgrowing one machine: 1, 3 and 10 node configs, storage backends, scheduling, the hub
 * database, unsafe combinations refused, and the per-node plan. Asserted on dist/.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { capacityPlan } from '../src/cluster/capacity';
import { ConfigError } from '../src/config/errors';
import { parseConfig } from '../src/config/load';
import { readChartDefaults, readChartSchema } from '../src/hub/chart-source';
import { checkValues, coalesceValues } from '../src/hub/values-schema';
import { diffDists, summaryLine } from '../src/output/object-diff';
import { synthesize } from '../src/output/synth';
import { requiredAddons } from '../src/tools/doctor';
import { baseConfig, chartValuesFrom, find, FIXTURE_CHART, readObjects, ROOT, SHARED_Z2JH, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

const nodes = (n: number, gpuOn = -1) =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}`, cpus: 16, memory: '64Gi', ...(i === gpuOn ? { gpus: 2 } : {}) }));

const nfs = { setup: 'csi-driver-nfs', server: 'nfs.example.org', share: '/export/jupyterhub' };
const postgres = { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' };
const multiNode = (n: number) => ({
  ...baseConfig(),
  cluster: { nodes: nodes(n, n - 1), systemPodsOn: 'node-1', userPlaceholders: 2 },
  storage: { homes: 'nfs', nfs },
  hubDatabase: postgres,
  sharedData: { datasets: { type: 'backend', backend: 'nfs', size: '500Gi' }, teamFolder: { type: 'backend', backend: 'cephfs' } },
});

function synthCase(name: string, config: unknown) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const r = synthesize({ env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, config), HUB_DB_PASSWORD: 'SENTINEL-hub-db-password-31' }) });
  const objects = readObjects(path.join(dir, 'dist'));
  return { r, objects, values: chartValuesFrom(objects) };
}

const always = (objs: ReturnType<typeof readObjects>) =>
  objs.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.object.kind)).map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort();

describe('one node (the default)', () => {
  const { objects, values } = synthCase('n1', baseConfig());
  it('hostpath homes and SQLite on a Retain class, no scheduler, no placeholders, no priorities', () => {
    assert.deepEqual(objects.filter((o) => o.object.kind === 'StorageClass').map((o) => o.object.metadata.name), ['jupyterhub-hostpath']);
    assert.equal(values.hub.db.type, 'sqlite-pvc');
    assert.equal(values.scheduling.userScheduler.enabled, false);
    assert.equal(values.scheduling.userPlaceholder.enabled, false);
    assert.equal(values.scheduling.podPriority.enabled, false);
    assert.deepEqual(always(objects), ['DaemonSet/continuous-image-puller', 'Deployment/autohttps', 'Deployment/hub', 'Deployment/proxy']);
  });
});

for (const n of [3, 10]) {
  describe(`${n} nodes, NFS homes, CephFS team folder, PostgreSQL`, () => {
    const { objects, values, r } = synthCase(`n${n}`, multiNode(n));

    it('creates exactly the storage classes in use, Retain, with the right provisioners', () => {
      const classes = objects.filter((o) => o.object.kind === 'StorageClass').map((o) => o.object as any);
      assert.deepEqual(classes.map((c) => c.metadata.name).sort(), ['jupyterhub-cephfs', 'jupyterhub-nfs']);
      const nfsClass = classes.find((c) => c.metadata.name === 'jupyterhub-nfs');
      // kubernetes-csi/csi-driver-nfs v4.13.4 pkg/nfs/controllerserver.go CreateVolume accepts exactly
      // server, share, subDir, mountPermissions, onDelete (lower-cased); subDir's ${pvc.*} placeholders
      // come from --extra-create-metadata, which its chart sets (csi-nfs-controller.yaml).
      assert.equal(nfsClass.provisioner, 'nfs.csi.k8s.io');
      assert.deepEqual(nfsClass.parameters, {
        server: 'nfs.example.org', share: '/export/jupyterhub', subDir: '${pvc.metadata.namespace}-${pvc.metadata.name}', mountPermissions: '0777',
      });
      assert.deepEqual(nfsClass.mountOptions, ['nfsvers=4.1']);
      assert.equal(nfsClass.allowVolumeExpansion, undefined);
      const ceph = classes.find((c) => c.metadata.name === 'jupyterhub-cephfs');
      // rook/rook v1.11.9 pkg/operator/ceph/csi/spec.go: CephFSDriverName = "<OperatorNamespace>.cephfs.csi.ceph.com".
      assert.equal(ceph.provisioner, 'rook-ceph.cephfs.csi.ceph.com');
      assert.equal(ceph.parameters.clusterID, 'rook-ceph');
      for (const c of classes) assert.equal(c.reclaimPolicy, 'Retain');
      assert.equal(values.singleuser.storage.dynamic.storageClass, 'jupyterhub-nfs');
    });

    it('shares data through ReadWriteMany claims we create and never prune', () => {
      const ds = find(objects, 'PersistentVolumeClaim', 'shared-datasets')!.object as any;
      assert.deepEqual(ds.spec.accessModes, ['ReadWriteMany']);
      assert.equal(ds.spec.storageClassName, 'jupyterhub-nfs');
      assert.equal(ds.spec.resources.requests.storage, '500Gi');
      const team = find(objects, 'PersistentVolumeClaim', 'shared-team-folder')!.object as any;
      assert.deepEqual(team.spec.accessModes, ['ReadWriteMany']);
      assert.equal(team.spec.storageClassName, 'jupyterhub-cephfs');
      assert.deepEqual(values.singleuser.storage.extraVolumes.map((v: any) => v.persistentVolumeClaim), [
        { claimName: 'shared-datasets', readOnly: true }, { claimName: 'shared-team-folder', readOnly: false },
      ]);
    });

    it('moves the hub database to PostgreSQL with the password from a Secret', () => {
      assert.equal(values.hub.db.type, 'postgres');
      assert.equal(values.hub.db.url, 'postgresql://jupyterhub@db.example.org:5432/jupyterhub');
      assert.ok(!values.hub.db.password, 'no password in values');
      assert.deepEqual(values.hub.extraEnv.PGPASSWORD, { valueFrom: { secretKeyRef: { name: 'hub-db-password', key: 'password' } } });
      const s = find(objects, 'Secret', 'hub-db-password')!;
      assert.equal(s.file, '02-secrets.secret.yaml');
      assert.equal(find(objects, 'PersistentVolumeClaim', 'hub-db-dir'), undefined, 'no SQLite volume');
      for (const [file, text] of r.files) if (!file.endsWith('.secret.yaml')) assert.ok(!text.includes('SENTINEL-hub-db-password-31'), file);
    });

    it('packs users with the user-scheduler, keeps system pods on node-1, GPU profile on GPU nodes, placeholders on', () => {
      assert.equal(values.scheduling.userScheduler.enabled, true);
      assert.deepEqual(values.scheduling.userScheduler.nodeSelector, { 'kubernetes.io/hostname': 'node-1' });
      assert.deepEqual(values.hub.nodeSelector, { 'kubernetes.io/hostname': 'node-1' });
      assert.deepEqual(values.proxy.chp.nodeSelector, { 'kubernetes.io/hostname': 'node-1' });
      assert.deepEqual(values.scheduling.userPlaceholder, { ...values.scheduling.userPlaceholder, enabled: true, replicas: 2 });
      assert.equal(values.scheduling.podPriority.enabled, true);
      const gpu = (values.singleuser.profileList as any[]).find((p) => p.slug === 'gpu');
      assert.deepEqual(gpu.kubespawner_override.node_selector, { 'nvidia.com/gpu.present': 'true' });
      assert.deepEqual(values.singleuser.nodeSelector ?? {}, {}, 'NFS homes: users may run anywhere');
      assert.ok(always(objects).includes('Deployment/user-scheduler'));
      assert.ok(always(objects).includes('StatefulSet/user-placeholder'));
      const uss = find(objects, 'Deployment', 'user-scheduler')!.object as any;
      assert.deepEqual(uss.spec.template.spec.nodeSelector, { 'kubernetes.io/hostname': 'node-1' });
    });

    it('plans per node and in total, packing users by guarantees', () => {
      const c = parseConfig(multiNode(n), 't');
      const p = capacityPlan(c);
      assert.equal(p.allocatable.length, n);
      // node-1 carries the system pods: 16 - 1 - (0.2 + 0.1 + 0.1 + 0.1) = 14.5 cores -> 29 users
      assert.equal(p.packing.perNode.get('node-1'), 29);
      for (let i = 2; i <= n; i++) assert.equal(p.packing.perNode.get(`node-${i}`), 30); // 15 cores / 0.5
      assert.equal(p.activeServerLimit, 29 + 30 * (n - 1));
      assert.equal(p.packing.unplaced, 0);
    });

    it('asks doctor for the rook-ceph and gpu addons, not the nfs addon (csi-driver-nfs is no addon) nor helm3', () => {
      const addons = requiredAddons(parseConfig(multiNode(n), 't'));
      assert.deepEqual(addons, ['dns', 'metallb', 'rook-ceph', 'gpu']);
    });
  });
}

describe('unsafe combinations are refused', () => {
  const refuse = (config: unknown, pathRe: RegExp, says: RegExp) => {
    assert.throws(() => parseConfig(config, 't'), (e: Error) => e instanceof ConfigError && pathRe.test(e.message) && says.test(e.message));
  };
  it('hostpath homes across nodes, unless pinned', () => {
    const cfg = { ...baseConfig(), cluster: { nodes: nodes(3) }, hubDatabase: postgres };
    refuse(cfg, /storage\.homes = "hostpath"/, /3 nodes/);
    const pinned = parseConfig({ ...cfg, storage: { pinHostpathToNode: 'node-2' } }, 't');
    assert.equal(pinned.storage.pinHostpathToNode, 'node-2');
  });
  it('SQLite on a node-local disk across nodes', () => {
    refuse({ ...baseConfig(), cluster: { nodes: nodes(3) }, storage: { homes: 'nfs', nfs } }, /hubDatabase\.type/, /PostgreSQL|postgres/);
  });
  it('ReadWriteOnce or hostPath shared data across nodes', () => {
    const base = { ...baseConfig(), cluster: { nodes: nodes(3) }, storage: { homes: 'nfs', nfs }, hubDatabase: postgres };
    refuse({ ...base, sharedData: { datasets: { type: 'backend', backend: 'mayastor' } } }, /sharedData\.datasets\.backend/, /ReadWriteOnce/);
    refuse({ ...base, sharedData: { datasets: { type: 'hostPath', path: '/srv/data' } } }, /sharedData\.datasets\.type/, /different data/);
  });
  it('pinned hostpath keeps users and the hub on that node', () => {
    const { values } = synthCase('pinned', { ...baseConfig(), cluster: { nodes: nodes(3) }, storage: { pinHostpathToNode: 'node-2' } });
    assert.deepEqual(values.singleuser.nodeSelector, { 'kubernetes.io/hostname': 'node-2' });
    assert.deepEqual(values.hub.nodeSelector, { 'kubernetes.io/hostname': 'node-2' });
    const p = capacityPlan(parseConfig({ ...baseConfig(), cluster: { nodes: nodes(3) }, storage: { pinHostpathToNode: 'node-2' } }, 't'));
    assert.equal(p.packing.perNode.get('node-1'), 0);
    assert.equal(p.packing.perNode.get('node-3'), 0);
  });
});

describe('examples/three-nodes-nfs.yaml', () => {
  it('synthesizes, and the diff from one node is a coherent set of changes', () => {
    const one = synthCase('ex1', yaml.load(fs.readFileSync(path.join(ROOT, 'examples', 'minimal.yaml'), 'utf8')));
    const three = synthCase('ex3', yaml.load(fs.readFileSync(path.join(ROOT, 'examples', 'three-nodes-nfs.yaml'), 'utf8')));
    const d = diffDists(one.r.files, three.r.files);
    assert.ok(d.added.includes('StorageClass/jupyterhub-nfs'));
    assert.ok(d.added.includes('Deployment/jupyterhub/user-scheduler'));
    assert.ok(d.added.includes('PersistentVolumeClaim/jupyterhub/shared-datasets'));
    assert.ok(d.removed.includes('StorageClass/jupyterhub-hostpath'));
    assert.ok(d.removed.includes('PersistentVolumeClaim/jupyterhub/hub-db-dir'));
    assert.match(summaryLine(d), /^\d+ added, \d+ changed, \d+ removed$/);
  });
});

describe('multi-node values fit the chart schemas', () => {
  for (const n of [1, 3, 10]) {
    it(`${n} nodes`, (t) => {
      const cfg = n === 1 ? baseConfig() : multiNode(n);
      const { values } = synthCase(`schema-${n}`, cfg);
      delete values.Chart;
      delete values.Release;
      const fixture = { kind: 'local' as const, path: FIXTURE_CHART, version: '3.1.0', origin: 'fixture' };
      assert.deepEqual(checkValues(coalesceValues(readChartDefaults(fixture), values), readChartSchema(fixture)!), []);
      const schemaFile = path.join(SHARED_Z2JH, 'values.schema.json');
      if (!fs.existsSync(schemaFile)) {
        t.diagnostic(`SKIPPED real-schema check: ${schemaFile} not present`);
        return;
      }
      const defaults = yaml.load(fs.readFileSync(path.join(SHARED_Z2JH, 'values.yaml'), 'utf8'));
      assert.deepEqual(checkValues(coalesceValues(defaults, values), JSON.parse(fs.readFileSync(schemaFile, 'utf8'))), []);
    });
  }
});

describe('examples/three-nodes-cephfs.yaml', () => {
  it('homes and SQLite on Mayastor (3 replicas, no expansion), the team folder on CephFS of the rook-ceph addon', () => {
    const { objects, values } = synthCase('ex-ceph', yaml.load(fs.readFileSync(path.join(ROOT, 'examples', 'three-nodes-cephfs.yaml'), 'utf8')));
    const may = find(objects, 'StorageClass', 'jupyterhub-mayastor')!.object as any;
    assert.equal(may.parameters.repl, '3');
    assert.equal(may.allowVolumeExpansion, undefined);
    const ceph = find(objects, 'StorageClass', 'jupyterhub-cephfs')!.object as any;
    assert.equal(ceph.provisioner, 'rook-ceph.cephfs.csi.ceph.com');
    assert.equal((find(objects, 'PersistentVolumeClaim', 'hub-db-dir')!.object as any).spec.storageClassName, 'jupyterhub-mayastor');
    assert.deepEqual((find(objects, 'PersistentVolumeClaim', 'shared-team-folder')!.object as any).spec.accessModes, ['ReadWriteMany']);
    assert.equal(values.singleuser.storage.dynamic.storageClass, 'jupyterhub-mayastor');
    assert.deepEqual(requiredAddons(parseConfig(yaml.load(fs.readFileSync(path.join(ROOT, 'examples', 'three-nodes-cephfs.yaml'), 'utf8')), 't')), ['dns', 'metallb', 'mayastor', 'rook-ceph']);
  });
});

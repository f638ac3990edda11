/**
 * `npm run deploy` against a real Kubernetes API server (envtest kube-apiserver v1.32, MetalLB
 * v0.13.3 CRDs as MicroK8s 1.28-1.32 install them): pruning (cluster-scoped and metallb-system
 * objects included), what it must never delete, two hubs on one cluster with the same release
 * name, and config changes applied over the previous dist/: every change synth allows must be
 * accepted by the server, or refused by synth first with a message that says what to do.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HUB_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../src/cluster/labels';
import type { HubConfigInput } from '../src/config/schema';
import { baseConfig, TLS_DIR } from './helpers';
import { Cluster, clusterWithMetalLb, deployTo, ownPlaneSkipReason, resynth, synthTo, Synthesized, tmpdir } from './support/envtest-hub';

const skip = ownPlaneSkipReason();
const work = tmpdir('mk8s-jh-envtest-deploy-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A hub in `namespace` with its own domain and addresses; everything else as given. */
function hub(namespace: string, n: number, extra: Partial<HubConfigInput> = {}): HubConfigInput {
  const b = baseConfig();
  return {
    ...b,
    namespace,
    domain: `${namespace}.example.org`,
    loadBalancer: { addressPool: `192.168.${n}.240-192.168.${n}.250`, hubIP: `192.168.${n}.241` },
    ...extra,
    // Several nodes need homes and the hub database pinned to one node (or shared storage).
    storage: { storageClassName: `${namespace}-homes`, ...(extra.cluster ? { pinHostpathToNode: 'n1' } : {}), ...extra.storage },
  };
}
const threeNodes = { nodes: [{ name: 'n1', cpus: 8, memory: '32Gi' }, { name: 'n2', cpus: 8, memory: '32Gi' }, { name: 'n3', cpus: 8, memory: '32Gi' }] };

/** Every object of this program owned by the hub in `ns`, as "Kind/namespace/name@resourceVersion" (PVCs without it). */
function ownedBy(c: Cluster, ns: string): string[] {
  const kinds = 'configmaps,secrets,services,serviceaccounts,deployments.apps,daemonsets.apps,statefulsets.apps,roles,rolebindings,clusterroles,' +
    'clusterrolebindings,networkpolicies,poddisruptionbudgets,priorityclasses,ipaddresspools.metallb.io,l2advertisements.metallb.io,' +
    'storageclasses,persistentvolumeclaims,persistentvolumes,namespaces';
  const items = JSON.parse(c.ok(['get', kinds, '--all-namespaces', '--selector', `${HUB_LABEL}=${ns}`, '--output', 'json'])).items as any[];
  // A PVC's resourceVersion moves on every apply even when nothing changes (measured with
  // kube-apiserver v1.32: same spec, labels and managedFields): compare its identity only.
  return items.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}${o.kind === 'PersistentVolumeClaim' ? '' : `@${o.metadata.resourceVersion}`}`).sort();
}
const names = (list: string[]) => list.map((x) => x.split('@')[0]);

function deployOk(c: Cluster, s: Synthesized, args: string[] = []): string {
  const r = deployTo(c, s, args);
  assert.equal(r.status, 0, `npm run deploy failed (exit ${r.status}):\n${r.stderr}\n${r.stdout.slice(-3000)}`);
  return r.stdout;
}

describe('npm run deploy against a real API server', { skip }, () => {
  let c: Cluster;
  before(() => { c = clusterWithMetalLb('v0.13.3'); });
  after(() => c?.stop());

  let a: Synthesized;

  it('deploys a fresh hub; deploying again prunes nothing and changes nothing', () => {
    a = synthTo(work, 'hub-a', hub('hub-a', 11, { cluster: threeNodes }));
    deployOk(c, a);
    const first = ownedBy(c, 'hub-a');
    assert.ok(names(first).includes('ClusterRole//jupyterhub-user-scheduler'), 'three nodes bring the user scheduler\'s cluster-scoped objects');
    assert.ok(names(first).includes('IPAddressPool/metallb-system/hub-a'), 'the pool is named after the namespace by default');
    const out = deployOk(c, a);
    assert.match(out, /# nothing to prune/);
    assert.deepEqual(ownedBy(c, 'hub-a'), first, 'same objects, same resourceVersions');
  });

  it('prunes what the config no longer generates (cluster-scoped and metallb-system included), never a PVC, PV, Namespace or StorageClass', () => {
    // Objects that hold or define user data, carrying this hub's labels as if we had made them.
    const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [HUB_LABEL]: 'hub-a' };
    c.ok(['apply', '--server-side', '--filename', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'hub-a-old-pv', labels }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/srv/x' } } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim-alice', namespace: 'hub-a', labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    ] }));
    // One node (no user scheduler), PostgreSQL (no hub-db-dir PVC), another pool name and storage class.
    a = resynth(a, hub('hub-a', 11, {
      loadBalancer: { addressPool: '192.168.11.240-192.168.11.250', hubIP: '192.168.11.241', poolName: 'hub-a-v2' },
      storage: { storageClassName: 'hub-a-homes-v2' },
      hubDatabase: { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' },
      // A pool rename over the same addresses: synth asks for HUB_ALLOW_POOL_RENAME (on a real cluster
      // MetalLB's webhook refuses the overlapping new pool until the old one is deleted by hand;
      // envtest runs no webhook, so here deploy's prune removes the old one).
    }), { HUB_ALLOW_DATA_MOVE: '1', HUB_ALLOW_POOL_RENAME: '1' });
    const refused = deployTo(c, a);
    assert.equal(refused.status, 1, 'the cluster records another storage class: deploy refuses without --allow-data-move');
    assert.match(refused.stderr, /hubDatabase: hostpath \/srv\/jupyterhub on node n1 -> postgres[\s\S]*--allow-data-move/);
    const out = deployOk(c, a, ['--allow-data-move']);
    const now = names(ownedBy(c, 'hub-a'));
    for (const gone of ['ClusterRole//jupyterhub-user-scheduler', 'ClusterRoleBinding//jupyterhub-user-scheduler', 'Deployment/hub-a/user-scheduler',
      'IPAddressPool/metallb-system/hub-a', 'L2Advertisement/metallb-system/hub-a']) {
      assert.ok(!now.includes(gone), `${gone} is pruned`);
    }
    assert.match(out, /delete clusterroles\.rbac\.authorization\.k8s\.io jupyterhub-user-scheduler/);
    for (const kept of ['PersistentVolumeClaim/hub-a/hub-db-dir', 'PersistentVolumeClaim/hub-a/claim-alice', 'PersistentVolume//hub-a-old-pv',
      'Namespace//hub-a', 'StorageClass//hub-a-homes', 'StorageClass//hub-a-homes-v2', 'IPAddressPool/metallb-system/hub-a-v2']) {
      assert.ok(now.includes(kept), `${kept} is kept`);
    }
  });

  it('two hubs with the same release name: deploying one never touches the other\'s objects, and two state records raise no false refusal', () => {
    const b = synthTo(work, 'hub-b', hub('hub-b', 12, { cluster: threeNodes }));
    deployOk(c, b);
    const before = ownedBy(c, 'hub-b');
    assert.ok(names(before).includes('ClusterRole//jupyterhub-user-scheduler') && names(before).includes('IPAddressPool/metallb-system/hub-b'));
    // hub A again, with a change, and a prune run: hub B's objects stay exactly as they were.
    a = resynth(a, hub('hub-a', 11, {
      loadBalancer: { addressPool: '192.168.11.240-192.168.11.250', hubIP: '192.168.11.242', poolName: 'hub-a-v2' },
      storage: { storageClassName: 'hub-a-homes-v2' },
      hubDatabase: { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' },
      auth0: { ...baseConfig().auth0, allowedUsers: ['a@example.org', 'b@example.org'] },
    }));
    deployOk(c, a);
    assert.deepEqual(ownedBy(c, 'hub-b'), before, 'hub B: same objects, same resourceVersions');
    deployOk(c, b);
  });

  it('refuses to take over another hub\'s cluster-scoped object (same release name, both with three nodes), before changing anything', () => {
    a = resynth(a, hub('hub-a', 11, {
      cluster: threeNodes,
      loadBalancer: { addressPool: '192.168.11.240-192.168.11.250', hubIP: '192.168.11.242', poolName: 'hub-a-v2' },
      storage: { storageClassName: 'hub-a-homes-v2' },
      hubDatabase: { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' },
    }));
    const before = ownedBy(c, 'hub-b');
    const r = deployTo(c, a);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /another hub on this cluster owns[\s\S]*ClusterRole\/jupyterhub-user-scheduler \(hub in namespace hub-b\)[\s\S]*releaseName/);
    assert.deepEqual(ownedBy(c, 'hub-b'), before);
  });

  it('two hubs that differ only in namespace, domain and addresses (default names) both deploy', () => {
    const d1 = synthTo(work, 'hub-d1', { ...hub('hub-d1', 21), storage: undefined });
    const d2 = synthTo(work, 'hub-d2', { ...hub('hub-d2', 22), storage: undefined });
    deployOk(c, d1);
    deployOk(c, d2);
  });
});

describe('config changes applied over the previous dist/ (real API server)', { skip }, () => {
  let c: Cluster;
  let s: Synthesized;
  let config: HubConfigInput;
  before(() => {
    c = clusterWithMetalLb('v0.13.3');
    config = hub('changes', 31);
    s = synthTo(work, 'changes', config);
    deployOk(c, s);
  });
  after(() => c?.stop());

  /** Synthesizes `next` over the previous dist/ and deploys it: the server must accept it. */
  const change = (next: HubConfigInput, env: Record<string, string> = {}, deployArgs: string[] = []) => {
    s = resynth(s, next, env);
    const out = deployOk(c, s, deployArgs);
    config = next;
    return out;
  };

  it('users added (100 more allowlisted users)', () => {
    change({ ...config, auth0: { ...config.auth0, allowedUsers: Array.from({ length: 100 }, (_, i) => `u${i}@example.org`) } });
    assert.match(c.get('configmap', 'auth0-allowlist', 'changes').data.allowed_users, /u99@example\.org/);
  });

  it('a profile added', () => {
    change({ ...config, profiles: [{ preset: 'data-science', default: true }, { preset: 'deep-learning' }, { name: 'extra', displayName: 'Extra', image: { name: 'quay.io/jupyter/base-notebook', tag: '2024-05-27' } }] });
  });

  it('pool changed: other addresses and hub IP, then another pool name (the old pool is pruned)', () => {
    change({ ...config, loadBalancer: { addressPool: '192.168.32.0/28', hubIP: '192.168.32.5' } });
    assert.deepEqual(c.get('ipaddresspools.metallb.io', 'changes', 'metallb-system').spec.addresses, ['192.168.32.0/28']);
    assert.equal(c.get('service', 'proxy-public', 'changes').metadata.annotations['metallb.universe.tf/loadBalancerIPs'], '192.168.32.5');
    // Renamed over the same addresses: refused by synth without HUB_ALLOW_POOL_RENAME (see test/upgrade-names.test.ts).
    change({ ...config, loadBalancer: { ...config.loadBalancer, poolName: 'changes-v2' } }, { HUB_ALLOW_POOL_RENAME: '1' });
    assert.equal(c.get('ipaddresspools.metallb.io', 'changes', 'metallb-system'), undefined);
    assert.equal(c.get('service', 'proxy-public', 'changes').metadata.annotations['metallb.universe.tf/address-pool'], 'changes-v2');
  });

  it('tls mode changed: letsencrypt -> secret -> none (the TLS Secret is pruned)', () => {
    change({ ...config, tls: { mode: 'secret', certFile: path.join(TLS_DIR, 'hub.example.org.crt'), keyFile: path.join(TLS_DIR, 'hub.example.org.key') } as any, domain: 'hub.example.org' });
    assert.ok(c.get('secret', 'jupyterhub-tls', 'changes'));
    change({ ...config, tls: { mode: 'none', allowInsecureCallback: true } });
    assert.equal(c.get('secret', 'jupyterhub-tls', 'changes'), undefined);
  });

  it('storage class parameters changed (host directory): synth refuses first, saying what to do', () => {
    const next = { ...config, storage: { ...config.storage, hostDirectory: '/srv/elsewhere' } };
    assert.throws(() => resynth(s, next), /hostDirectory: \/srv\/jupyterhub -> \/srv\/elsewhere[\s\S]*Moving user data[\s\S]*HUB_ALLOW_DATA_MOVE=1/);
  });

  /** A hub of its own (fresh names), deployed; returns it and its config. */
  const freshHub = (ns: string, n: number) => {
    const base = hub(ns, n);
    const h = synthTo(work, ns, base);
    deployOk(c, h);
    return { h, base };
  };

  /**
   * An immutable StorageClass field changed: synth refuses first with the manual steps; done in
   * that order (delete the class, synth with HUB_ALLOW_STORAGE_CLASS_CHANGE=1, deploy), the
   * server accepts the new dist/.
   */
  const storageClassChange = (ns: string, n: number, edit: (b: HubConfigInput) => HubConfigInput, field: RegExp, env: Record<string, string> = {}, args: string[] = []) => {
    const { h, base } = freshHub(ns, n);
    const next = edit(base);
    assert.throws(() => resynth(h, next, env), (err: Error) => {
      assert.match(err.message, new RegExp(`StorageClass ${ns}-homes:[\\s\\S]*${field.source}[\\s\\S]*microk8s kubectl delete storageclass ${ns}-homes[\\s\\S]*HUB_ALLOW_STORAGE_CLASS_CHANGE=1[\\s\\S]*dist/ is unchanged`));
      return true;
    });
    c.ok(['delete', 'storageclass', `${ns}-homes`]);
    deployOk(c, resynth(h, next, { ...env, HUB_ALLOW_STORAGE_CLASS_CHANGE: '1' }), args);
    assert.ok(c.get('storageclass', `${ns}-homes`), 'the class exists again, with the new content');
  };

  it('storage class parameters changed after moving the data: synth gives the steps, and the server accepts the result', () => {
    storageClassChange('imm-params', 41, (b) => ({ ...b, storage: { ...b.storage, hostDirectory: '/srv/elsewhere' } }), /parameters\.pvDir: "\/srv\/jupyterhub" -> "\/srv\/elsewhere"/,
      { HUB_ALLOW_DATA_MOVE: '1' }, ['--allow-data-move']);
  });

  it('reclaimPolicy changed: synth gives the steps, and the server accepts the result', () => {
    storageClassChange('imm-reclaim', 42, (b) => ({ ...b, storage: { ...b.storage, reclaimPolicy: 'Delete' } }), /reclaimPolicy: "Retain" -> "Delete"/);
  });

  it('hub database capacity grown on a class that cannot expand: synth refuses first, saying what to do', () => {
    const { h, base } = freshHub('imm-pvc', 43);
    assert.throws(() => resynth(h, { ...base, storage: { ...base.storage, hubDatabaseCapacity: '2Gi' } }),
      /PersistentVolumeClaim imm-pvc\/hub-db-dir:[\s\S]*"1Gi" -> "2Gi"[\s\S]*set storage\.hubDatabaseCapacity back to "1Gi"[\s\S]*dist\/ is unchanged/);
  });
});

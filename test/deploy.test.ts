/**
 * npm run deploy: the exact kubectl commands, pruning that only touches this hub's objects and
 * never user data, refusals, and kubectl failing part-way. The kubectl here is a stand-in that
 * honours selectors (test/support/fake-kubectl.cjs); test/envtest-deploy.test.ts runs the same
 * against a real API server.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HUB_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, RELEASE_LABEL } from '../src/cluster/labels';
import type { KubeObject } from '../src/output/kube-object';
import { synthesize } from '../src/output/synth';
import { deploy, ownershipConflicts, pruneCandidates, recordOfThisHub } from '../src/tools/deploy';
import { baseConfig, ROOT, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));
const FAKE = path.join(__dirname, 'support', 'fake-kubectl.cjs');

function synthInto(name: string, config: unknown, extra: Record<string, string | undefined> = {}) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, config), ...extra });
  synthesize({ env });
  return { dir, env, dist: path.join(dir, 'dist') };
}

/** Labels of an object owned by the hub in `hub` (release name "jupyterhub", as both hubs here). */
const owned = (hub: string) => ({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RELEASE_LABEL]: 'jupyterhub', [HUB_LABEL]: hub });
const obj = (kind: string, name: string, namespace: string | undefined, labels: Record<string, string> | undefined, extra: object = {}): KubeObject =>
  ({ apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) }, ...extra }) as KubeObject;

interface Fake {
  readonly env: NodeJS.ProcessEnv;
  log(): string[];
  state(): KubeObject[];
}

function fakeCluster(dir: string, live: KubeObject[], faults: object = {}): Fake {
  const d = path.join(dir, 'cluster');
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'state.json'), JSON.stringify(live));
  fs.writeFileSync(path.join(d, 'faults.json'), JSON.stringify(faults));
  fs.writeFileSync(path.join(d, 'kubectl.log'), '');
  return {
    env: { KUBECTL: `${process.execPath} ${FAKE}`, FAKE_KUBECTL_DIR: d, FAKE_KUBECTL_JS_YAML: require.resolve('js-yaml', { paths: [ROOT] }) },
    log: () => fs.readFileSync(path.join(d, 'kubectl.log'), 'utf8').trim().split('\n').filter(Boolean),
    state: () => JSON.parse(fs.readFileSync(path.join(d, 'state.json'), 'utf8')) as KubeObject[],
  };
}

const run = (dist: string, fake: Fake, allowDataMove = false) => deploy({ dir: dist, dryRun: false, allowDataMove, env: fake.env, out: () => {} });
const ids = (os: readonly KubeObject[]) => os.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();

describe('deploy --dry-run', () => {
  it('prints server-side apply and a listing of every object of this program, and prunes by this hub\'s namespace label', () => {
    const s = synthInto('dry', baseConfig());
    const r = runTs('src/tools/deploy.ts', ['--dry-run', s.dist], { ...s.env, KUBECTL: 'microk8s kubectl' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes(`$ microk8s kubectl apply --server-side --field-manager=microk8s-jupyterhub --force-conflicts --filename ${s.dist}`), r.stdout);
    const list = lines.find((l) => l.includes(' get configmaps,'))!;
    assert.match(list, /--selector app\.kubernetes\.io\/managed-by=microk8s-jupyterhub --output json/);
    assert.match(r.stdout, /labelled app\.kubernetes\.io\/managed-by=microk8s-jupyterhub,microk8s-jupyterhub\/hub-namespace=jupyterhub/);
    assert.match(list, /deployments\.apps/);
    const resources = list.split(' get ')[1].split(' ')[0].split(',');
    for (const never of ['persistentvolumeclaims', 'persistentvolumes', 'namespaces']) assert.ok(!resources.some((x) => x.startsWith(never)), never);
    assert.match(r.stdout, /dry run: nothing was changed/);
  });

  it('patches the hostpath provisioner before applying when configured', () => {
    const s = synthInto('dry-patch', { ...baseConfig(), storage: { method: 'provisionerPatch' } });
    const out: string[] = [];
    deploy({ dir: s.dist, dryRun: true, allowDataMove: false, env: { KUBECTL: 'kubectl' }, out: (l) => out.push(l) });
    const patch = out.findIndex((l) => l.includes('patch deployment hostpath-provisioner --type strategic --patch-file'));
    const apply = out.findIndex((l) => l.includes(' apply --server-side'));
    assert.ok(patch >= 0 && patch < apply, out.join('\n'));
    assert.match(out[patch], /--namespace kube-system/);
  });

  it('refuses unknown options and two folders with a usage error (exit 2)', () => {
    const s = synthInto('usage', baseConfig());
    const r = runTs('src/tools/deploy.ts', ['--dryrun', s.dist], s.env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /Unknown option '--dryrun'[\s\S]*Usage: npm run deploy/);
    const two = runTs('src/tools/deploy.ts', ['--dry-run', s.dist, s.dist], s.env);
    assert.equal(two.status, 2);
    assert.match(two.stderr, /One dist\/ folder at most/);
  });
});

describe('deploy against a (fake) cluster', () => {
  const s = synthInto('live', baseConfig());

  it('deletes only this hub\'s stale objects, cluster-scoped and in metallb-system included; never PVCs, PVs, Namespaces, StorageClasses, nor another hub\'s', () => {
    const ours = owned('jupyterhub');
    const other = owned('staging'); // another hub, same (default) release name
    const live = [
      obj('Deployment', 'user-scheduler', 'jupyterhub', ours),
      obj('ClusterRole', 'jupyterhub-user-scheduler', undefined, ours),
      obj('PriorityClass', 'jupyterhub-default-priority', undefined, ours),
      obj('IPAddressPool', 'old-pool', 'metallb-system', ours),
      obj('PersistentVolumeClaim', 'claim-alice', 'jupyterhub', ours),
      obj('Namespace', 'old', undefined, ours),
      obj('StorageClass', 'old-homes', undefined, ours),
      // the other hub: namespaced, cluster-scoped and in metallb-system
      obj('Deployment', 'hub', 'staging', other),
      obj('Secret', 'hub', 'staging', other),
      obj('ClusterRole', 'jupyterhub-user-scheduler-staging', undefined, other),
      obj('IPAddressPool', 'staging', 'metallb-system', other),
      obj('L2Advertisement', 'staging', 'metallb-system', other),
      // objects of an older version of this program (no hub label) and of nobody (no labels)
      obj('ConfigMap', 'legacy', 'jupyterhub', { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RELEASE_LABEL]: 'jupyterhub' }),
      obj('ConfigMap', 'users-own', 'jupyterhub', undefined),
    ];
    const fake = fakeCluster(s.dir, live);
    assert.equal(run(s.dist, fake), 0);
    const deletes = fake.log().filter((l) => l.startsWith('delete'));
    assert.deepEqual(deletes.sort(), [
      'delete clusterroles.rbac.authorization.k8s.io jupyterhub-user-scheduler',
      'delete deployments.apps user-scheduler --namespace jupyterhub',
      'delete ipaddresspools.metallb.io old-pool --namespace metallb-system',
      'delete priorityclasses.scheduling.k8s.io jupyterhub-default-priority',
    ]);
    const left = ids(fake.state());
    for (const kept of ['PersistentVolumeClaim/jupyterhub/claim-alice', 'Namespace//old', 'StorageClass//old-homes', 'Deployment/staging/hub',
      'ClusterRole//jupyterhub-user-scheduler-staging', 'IPAddressPool/metallb-system/staging', 'ConfigMap/jupyterhub/users-own']) {
      assert.ok(left.includes(kept), `${kept} must survive`);
    }
    // The apply ran before any delete: a failed apply never leaves the hub half-pruned.
    const log = fake.log();
    assert.ok(log.findIndex((l) => l.startsWith('apply')) < log.findIndex((l) => l.startsWith('delete')));
  });

  it('refuses to overwrite an object another hub owns (e.g. a shared default name), before changing anything', () => {
    const fake = fakeCluster(s.dir, [obj('StorageClass', 'jupyterhub-hostpath', undefined, owned('staging')), obj('Deployment', 'gone', 'jupyterhub', owned('jupyterhub'))]);
    assert.throws(() => run(s.dist, fake), /another hub on this cluster owns[\s\S]*StorageClass\/jupyterhub-hostpath \(hub in namespace staging\)[\s\S]*Nothing was changed/);
    assert.deepEqual(fake.log().filter((l) => !l.startsWith('get')), [], 'no apply, no delete');
  });

  it('stops when kubectl apply fails: nothing pruned, exit 1 with what to do', () => {
    const fake = fakeCluster(s.dir, [obj('Deployment', 'gone', 'jupyterhub', owned('jupyterhub'))], { apply: 1 });
    assert.throws(() => run(s.dist, fake), /failed \(exit 1\)[\s\S]*nothing was pruned[\s\S]*npm run deploy` again/);
    assert.equal(fake.log().filter((l) => l.startsWith('delete')).length, 0);
  });

  it('reports a deletion failing part-way: which were deleted, which are left; a second run finishes', () => {
    const stale = [obj('Deployment', 'a-gone', 'jupyterhub', owned('jupyterhub')), obj('Deployment', 'b-gone', 'jupyterhub', owned('jupyterhub'))];
    const fake = fakeCluster(s.dir, stale, { failDeleteNumber: 2 });
    assert.throws(() => run(s.dist, fake), /pruning stopped after 1 of 2 deletions\. Not deleted yet: Deployment\/jupyterhub\/b-gone/);
    fs.writeFileSync(path.join(fake.env.FAKE_KUBECTL_DIR!, 'faults.json'), '{}');
    assert.equal(run(s.dist, fake), 0);
    assert.ok(!ids(fake.state()).some((x) => x.includes('-gone')));
  });

  it('a kubectl that prints something other than JSON gives a clear exit 1, not an internal error', () => {
    const fake = fakeCluster(s.dir, [], { getStdout: 'Welcome to my-kubectl-wrapper!\n{"items": [' });
    const r = runTs('src/tools/deploy.ts', [s.dist], { ...s.env, ...fake.env });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /printed something that is not JSON \("Welcome to my-kubectl-wrapper!"\)[\s\S]*KUBECTL/);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/);
  });
});

describe('deploy reads the state record of THIS hub', () => {
  const s = synthInto('records', baseConfig());
  const record = (namespace: string, data: Record<string, string>) => obj('ConfigMap', 'microk8s-jupyterhub-state', namespace, owned(namespace), { data });
  const mine = { namespace: 'jupyterhub', domain: 'hub.example.org', storageClassName: 'jupyterhub-hostpath', hostDirectory: '/srv/jupyterhub', storageMethod: 'storageClass' };

  it('two hubs\' records on the cluster: no false data-move refusal', () => {
    const other = { namespace: 'staging', domain: 'staging.example.org', storageClassName: 'staging-homes', hostDirectory: '/srv/staging', storageMethod: 'storageClass' };
    const fake = fakeCluster(s.dir, [record('staging', other), record('jupyterhub', mine)]);
    assert.equal(run(s.dist, fake), 0);
    // and with only the other hub's record (first deploy of this hub)
    assert.equal(run(s.dist, fakeCluster(s.dir, [record('staging', other)])), 0);
  });

  it('refuses when this hub\'s record says its homes live elsewhere, unless --allow-data-move', () => {
    const fake = fakeCluster(s.dir, [record('jupyterhub', { ...mine, hostDirectory: '/old/place' })]);
    assert.throws(() => run(s.dist, fake), /hostDirectory: \/old\/place -> \/srv\/jupyterhub[\s\S]*--allow-data-move/);
    assert.ok(!fake.log().some((l) => l.startsWith('apply')), 'nothing applied');
    assert.equal(run(s.dist, fake, true), 0);
  });

  it('refuses a namespace change of this hub (its record, same domain, in another namespace)', () => {
    const fake = fakeCluster(s.dir, [record('old-hub', { ...mine, namespace: 'old-hub' })]);
    assert.throws(() => run(s.dist, fake), /namespace: old-hub -> jupyterhub/);
  });

  it('recordOfThisHub prefers the record in the hub\'s namespace', () => {
    const a = { metadata: { namespace: 'a' }, data: { domain: 'x.org' } };
    const b = { metadata: { namespace: 'b' }, data: { domain: 'x.org' } };
    assert.equal(recordOfThisHub([a, b], 'b', 'x.org'), b);
    assert.equal(recordOfThisHub([a], 'b', 'x.org'), a);
    assert.equal(recordOfThisHub([a], 'b', 'y.org'), undefined);
  });
});

describe('deploy refusals before any kubectl', () => {
  it('refuses a dist/ without its Secrets file (as checked out from git): it would prune the live ones', () => {
    const s = synthInto('no-secrets', baseConfig());
    fs.rmSync(path.join(s.dist, '02-secrets.secret.yaml'));
    const fake = fakeCluster(s.dir, []);
    assert.throws(() => run(s.dist, fake), /has no 02-secrets\.secret\.yaml/);
    assert.deepEqual(fake.log(), [], 'kubectl never ran');
  });

  it('refuses placeholder secrets', () => {
    const s = synthInto('ph', baseConfig(), { HUB_SECRETS: 'placeholder' });
    assert.throws(() => deploy({ dir: s.dist, dryRun: true, allowDataMove: false, env: {}, out: () => {} }), /placeholder secrets/);
  });
});

describe('pruneCandidates and ownershipConflicts', () => {
  it('keep everything dist/ still has, every never-prune kind and every object of another hub', () => {
    const o = (kind: string, name: string, namespace?: string, hub = 'x') => obj(kind, name, namespace, owned(hub));
    const live = [o('ConfigMap', 'a', 'x'), o('ConfigMap', 'b', 'x'), o('PersistentVolumeClaim', 'hub-db-dir', 'x'), o('StorageClass', 's'), o('Pod', 'p', 'x'),
      o('ConfigMap', 'b', 'y', 'y'), o('ClusterRole', 'r', undefined, 'y'), o('ClusterRole', 'mine')];
    assert.deepEqual(ids(pruneCandidates(live, [o('ConfigMap', 'a', 'x')], 'x')), ['ClusterRole//mine', 'ConfigMap/x/b']);
    assert.deepEqual(ids(ownershipConflicts(live, [o('ClusterRole', 'r'), o('ConfigMap', 'a', 'x')], 'x')), ['ClusterRole//r']);
  });
});

/**
 * The storage objects we emit, and the changes synth lets through or refuses, against a real
 * kube-apiserver v1.32 (envtest, test/support/envtest.ts): what synth allows, the API server
 * accepts; what synth refuses, the API server would refuse too; and the manual steps synth prints
 * for a StorageClass change work. Also runs README "Moving user data" commands (steps 1 and 3)
 * against PersistentVolumes laid out as the hostpath provisioner makes them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import type { KubeObject } from '../src/output/kube-object';
import { synthesize } from '../src/output/synth';
import { baseConfig, ROOT, synthEnv, tmpdir, writeConfig } from './helpers';
import { envtestSkipReason, kubectl, kubectlBinary, kubectlOk, sharedControlPlane } from './support/envtest';

const skip = envtestSkipReason();
const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));
let kubeconfig = '';
before(() => {
  if (!skip) kubeconfig = sharedControlPlane().kubeconfig;
});

const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}`, cpus: 16, memory: '64Gi' }));
const postgres = { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' };
const STORAGE_KINDS = new Set(['Namespace', 'StorageClass', 'PersistentVolumeClaim']);

/** The Namespace, StorageClasses and PVCs synth would write for `config` (guards off: we want the objects). */
function storageObjects(config: unknown, dir: string): KubeObject[] {
  fs.mkdirSync(dir, { recursive: true });
  const r = synthesize({ dryRun: true, allowDataMove: true, env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, config), HUB_DB_PASSWORD: 'not-a-secret-42' }) });
  return r.objects.filter((o) => STORAGE_KINDS.has(o.kind));
}

/** Does synth, with `first` as the previous dist/, refuse `second`? (message, or undefined) */
function synthRefuses(first: unknown, second: unknown, dir: string): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  synthesize({ env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, first), HUB_DB_PASSWORD: 'not-a-secret-42' }) });
  try {
    synthesize({ env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, second, 'second.yaml'), HUB_DB_PASSWORD: 'not-a-secret-42' }) });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const apply = (objs: readonly KubeObject[]) =>
  kubectl(kubeconfig, ['apply', '--server-side', '--validate=strict', '--field-manager=microk8s-jupyterhub', '-f', '-'], objs.map((o) => yaml.dump(o)).join('---\n'));

interface Case {
  readonly name: string;
  readonly first: unknown;
  readonly second: unknown;
  /** What the API server says to the second apply when synth refuses it. */
  readonly serverSays?: RegExp;
}

const ns = (n: string, extra: Record<string, unknown>) => ({ ...baseConfig(), namespace: `h3-${n}`, ...extra });
const CASES: readonly Case[] = [
  {
    name: 'mayastor replicas 2 -> 3',
    first: ns('repl', { cluster: { nodes: nodes(3) }, storage: { homes: 'mayastor', hubDatabase: 'mayastor', mayastor: { replicas: 2 } } }),
    second: ns('repl', { cluster: { nodes: nodes(3) }, storage: { homes: 'mayastor', hubDatabase: 'mayastor', mayastor: { replicas: 3 } } }),
    serverSays: /parameters: Forbidden: updates to parameters are forbidden/,
  },
  {
    name: 'hostpath reclaim policy Retain -> Delete',
    first: ns('reclaim', {}),
    second: ns('reclaim', { storage: { reclaimPolicy: 'Delete' } }),
    serverSays: /reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden/,
  },
  {
    name: 'NFS mount options (mutable)',
    first: ns('mount', { storage: { homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e' } }, hubDatabase: postgres }),
    second: ns('mount', { storage: { homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e', mountOptions: ['nfsvers=4.2'] } }, hubDatabase: postgres }),
  },
  {
    name: 'hub-db-dir on another (named) class',
    first: ns('dbclass', {}),
    second: ns('dbclass', { storage: { storageClassName: 'h3-dbclass-fast' } }),
    serverSays: /spec is immutable after creation except resources\.requests/,
  },
  {
    name: 'hub-db-dir shrunk',
    first: ns('shrink', {}),
    second: ns('shrink', { storage: { hubDatabaseCapacity: '512Mi' } }),
    serverSays: /Forbidden/,
  },
  {
    name: 'NFS setup csi-driver-nfs -> microk8s-addon (a data move and a new provisioner)',
    first: ns('setup', { storage: { homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'n.example.org', share: '/e' } }, hubDatabase: postgres }),
    second: ns('setup', { storage: { homes: 'nfs', nfs: { setup: 'microk8s-addon' } }, hubDatabase: postgres }),
    serverSays: /provisioner: Forbidden: updates to provisioner are forbidden/,
  },
];

describe('storage changes against a real API server', { skip }, () => {
  for (const c of CASES) {
    it(`${c.name}: synth ${c.serverSays ? 'refuses' : 'allows'} it, and so does the API server`, () => {
      const dir = path.join(work, c.name.replace(/\W+/g, '-'));
      const first = storageObjects(c.first, path.join(dir, 'objects-1'));
      const second = storageObjects(c.second, path.join(dir, 'objects-2'));
      const r1 = apply(first);
      assert.equal(r1.status, 0, r1.stderr);
      const refused = synthRefuses(c.first, c.second, path.join(dir, 'synth'));
      const r2 = apply(second);
      if (c.serverSays) {
        assert.ok(refused, 'synth let it through');
        assert.notEqual(r2.status, 0, 'the API server accepted what synth refused');
        assert.match(r2.stderr, c.serverSays);
      } else {
        assert.equal(refused, undefined, refused);
        assert.equal(r2.status, 0, r2.stderr);
      }
    });
  }

  it('the steps synth prints for a StorageClass change work: delete the class, apply; the claim stays', () => {
    const dir = path.join(work, 'steps');
    const first = ns('steps', { cluster: { nodes: nodes(3) }, storage: { homes: 'mayastor', hubDatabase: 'mayastor', mayastor: { replicas: 2 } } });
    const second = ns('steps', { cluster: { nodes: nodes(3) }, storage: { homes: 'mayastor', hubDatabase: 'mayastor', mayastor: { replicas: 3 } } });
    assert.equal(apply(storageObjects(first, path.join(dir, 'a'))).status, 0);
    const message = synthRefuses(first, second, path.join(dir, 'synth'))!;
    const del = /1\. microk8s kubectl (delete storageclass \S+)/.exec(message);
    assert.ok(del, message);
    kubectlOk(kubeconfig, del[1].split(' '));
    const r = apply(storageObjects(second, path.join(dir, 'b')));
    assert.equal(r.status, 0, r.stderr);
    const claim = JSON.parse(kubectlOk(kubeconfig, ['-n', 'h3-steps', 'get', 'pvc', 'hub-db-dir', '-o', 'json']));
    assert.equal(claim.metadata.namespace, 'h3-steps');
  });

  it('two hubs on one API server: their default StorageClasses and claims side by side', () => {
    const objs = [...storageObjects(ns('hub-one', {}), path.join(work, 'two-1')), ...storageObjects(ns('hub-two', {}), path.join(work, 'two-2'))];
    const names = objs.filter((o) => o.kind === 'StorageClass').map((o) => o.metadata.name);
    assert.equal(new Set(names).size, 2, names.join(', '));
    const r = apply(objs);
    assert.equal(r.status, 0, r.stderr);
  });
});

/** The ```sh blocks of README "Moving user data", in order. */
function movingDataBlocks(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Moving user data'), readme.indexOf('\n## ', readme.indexOf('### Moving user data')));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].replace(/^ {3}/gm, ''));
}

describe('README "Moving user data" commands', { skip }, () => {
  it('finds each home by its claim, keeps the volumes, copies old homes into new ones without overwriting', () => {
    const [before, copy] = movingDataBlocks();
    assert.ok(before && copy, 'two sh blocks');
    const tree = path.join(work, 'tree');
    const oldDir = path.join(tree, 'srv', 'jupyterhub');
    const newDir = path.join(tree, 'mnt', 'big');
    // hostpath-provisioner: <pvDir>/<namespace>-<pvc name>-<pv name>; PV names are pvc-<uid>.
    const homes = [
      { ns: 'h3-old', claim: 'claim-alice', pv: 'pvc-0f5a1c9e-1111-4c7e-9a1b-000000000001', dir: oldDir },
      { ns: 'h3-old', claim: 'claim-alice-2', pv: 'pvc-0f5a1c9e-1111-4c7e-9a1b-000000000002', dir: oldDir },
      { ns: 'h3-old', claim: 'claim-bob', pv: 'pvc-0f5a1c9e-1111-4c7e-9a1b-000000000003', dir: oldDir },
      { ns: 'h3-old-dev', claim: 'claim-carol', pv: 'pvc-0f5a1c9e-1111-4c7e-9a1b-000000000004', dir: oldDir },
      { ns: 'h3-new', claim: 'claim-alice', pv: 'pvc-0f5a1c9e-2222-4c7e-9a1b-000000000001', dir: newDir },
      { ns: 'h3-new', claim: 'claim-alice-2', pv: 'pvc-0f5a1c9e-2222-4c7e-9a1b-000000000002', dir: newDir },
    ];
    const pvs: KubeObject[] = [];
    for (const h of homes) {
      const d = path.join(h.dir, `${h.ns}-${h.claim}-${h.pv}`);
      fs.mkdirSync(d, { recursive: true });
      pvs.push({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: h.pv },
        spec: {
          capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: 'jupyterhub-hostpath', hostPath: { path: d }, claimRef: { namespace: h.ns, name: h.claim },
        },
      });
    }
    fs.writeFileSync(path.join(oldDir, `h3-old-claim-alice-${homes[0].pv}`, 'notebook.ipynb'), 'alice old');
    fs.writeFileSync(path.join(oldDir, `h3-old-claim-alice-${homes[0].pv}`, 'data.csv'), 'alice data');
    fs.writeFileSync(path.join(oldDir, `h3-old-claim-alice-2-${homes[1].pv}`, 'notebook.ipynb'), 'alice-2 old');
    fs.writeFileSync(path.join(oldDir, `h3-old-dev-claim-carol-${homes[3].pv}`, 'secret-project.ipynb'), 'carol');
    fs.writeFileSync(path.join(newDir, `h3-new-claim-alice-${homes[4].pv}`, 'notebook.ipynb'), 'alice already changed it');
    const create = kubectl(kubeconfig, ['create', '-f', '-'], pvs.map((o) => yaml.dump(o)).join('---\n'));
    assert.equal(create.status, 0, create.stderr);

    // `microk8s kubectl` and `sudo` as on the machine, against the test API server and this tree.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'microk8s'), `#!/bin/sh\n[ "$1" = kubectl ] && shift\nexec '${kubectlBinary()}' --kubeconfig '${kubeconfig}' "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    const run = (script: string) => {
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: tree, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      assert.equal(r.status, 0, `${script}\n${r.stderr}`);
      return r.stdout;
    };
    run(before.replace('OLD_NS=jupyterhub', 'OLD_NS=h3-old'));
    assert.deepEqual(fs.readFileSync(path.join(tree, 'homes-before.tsv'), 'utf8').trim().split('\n'), [
      `claim-alice\t${oldDir}/h3-old-claim-alice-${homes[0].pv}`,
      `claim-alice-2\t${oldDir}/h3-old-claim-alice-2-${homes[1].pv}`,
      `claim-bob\t${oldDir}/h3-old-claim-bob-${homes[2].pv}`,
    ], 'only the old namespace, not h3-old-dev');
    for (const h of homes) {
      const policy = kubectlOk(kubeconfig, ['get', 'pv', h.pv, '-o', 'jsonpath={.spec.persistentVolumeReclaimPolicy}']);
      assert.equal(policy, h.ns === 'h3-old' ? 'Retain' : 'Delete', h.pv);
    }
    const out = run(copy.replace('NEW_NS=jupyterhub', 'NEW_NS=h3-new'));
    const aliceNew = path.join(newDir, `h3-new-claim-alice-${homes[4].pv}`);
    assert.equal(fs.readFileSync(path.join(aliceNew, 'notebook.ipynb'), 'utf8'), 'alice already changed it', 'never overwrites');
    assert.equal(fs.readFileSync(path.join(aliceNew, 'data.csv'), 'utf8'), 'alice data');
    assert.equal(fs.readFileSync(path.join(newDir, `h3-new-claim-alice-2-${homes[5].pv}`, 'notebook.ipynb'), 'utf8'), 'alice-2 old');
    assert.match(out, /^claim-bob\t/m, 'bob has no new home yet: listed');
    assert.ok(!fs.readdirSync(newDir).some((d) => d.includes('carol')), 'another namespace is left alone');
    assert.ok(fs.existsSync(path.join(oldDir, `h3-old-claim-alice-${homes[0].pv}`, 'notebook.ipynb')), 'the old home is kept');
  });
});

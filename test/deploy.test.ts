/** npm run deploy: the exact kubectl commands, pruning that never touches user data, refusals. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { synthesize } from '../src/output/synth';
import { deploy, pruneCandidates } from '../src/tools/deploy';
import { baseConfig, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function synthInto(name: string, config: unknown, extra: Record<string, string | undefined> = {}) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, config), ...extra });
  synthesize({ env });
  return { dir, env, dist: path.join(dir, 'dist') };
}

/** A fake kubectl that logs its arguments and answers `get` from recorded JSON. */
function fakeKubectl(dir: string, answers: { record?: object; live?: object[] }): string {
  const log = path.join(dir, 'kubectl.log');
  const script = path.join(dir, 'kubectl');
  fs.writeFileSync(path.join(dir, 'record.json'), JSON.stringify({ items: answers.record ? [answers.record] : [] }));
  fs.writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ items: answers.live ?? [] }));
  fs.writeFileSync(script, `#!/bin/sh
echo "$*" >> ${log}
case "$*" in
  *"metadata.name=microk8s-jupyterhub-state"*) cat ${path.join(dir, 'record.json')} ;;
  "get "*|*" get "*) cat ${path.join(dir, 'live.json')} ;;
esac
exit 0
`, { mode: 0o755 });
  return script;
}

describe('deploy --dry-run', () => {
  it('prints server-side apply and a prune listing by label that excludes PVCs, PVs, Namespaces and StorageClasses', () => {
    const s = synthInto('dry', baseConfig());
    const r = runTs('src/tools/deploy.ts', ['--dry-run', s.dist], { ...s.env, KUBECTL: 'microk8s kubectl' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes(`$ microk8s kubectl apply --server-side --field-manager=microk8s-jupyterhub --force-conflicts --filename ${s.dist}`), r.stdout);
    const list = lines.find((l) => l.includes(' get configmaps,'))!;
    assert.match(list, /--selector app\.kubernetes\.io\/managed-by=microk8s-jupyterhub,microk8s-jupyterhub\/release=jupyterhub/);
    assert.match(list, /deployments\.apps/);
    const resources = list.split(' get ')[1].split(' ')[0].split(',');
    for (const never of ['persistentvolumeclaims', 'persistentvolumes', 'namespaces', 'storageclasses']) assert.ok(!resources.some((r) => r.startsWith(never)), never);
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
});

describe('deploy against a (fake) cluster', () => {
  it('deletes only stale objects of ours, never PVCs or namespaces', () => {
    const s = synthInto('live', baseConfig());
    const stale = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'user-scheduler', namespace: 'jupyterhub' } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim-alice', namespace: 'jupyterhub' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hub', namespace: 'jupyterhub' } },
      // another hub with the same release name in another namespace: not ours
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hub', namespace: 'staging' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub', namespace: 'staging' } },
    ];
    const kubectl = fakeKubectl(s.dir, { live: stale });
    const out: string[] = [];
    deploy({ dir: s.dist, dryRun: false, allowDataMove: false, env: { KUBECTL: kubectl }, out: (l) => out.push(l) });
    const log = fs.readFileSync(path.join(s.dir, 'kubectl.log'), 'utf8').trim().split('\n');
    const deletes = log.filter((l) => l.startsWith('delete'));
    assert.deepEqual(deletes, ['delete deployments.apps user-scheduler --namespace jupyterhub']);
  });

  it('refuses when the cluster records another storage location, unless --allow-data-move', () => {
    const s = synthInto('moved', baseConfig());
    const record = { data: { namespace: 'jupyterhub', storageClassName: 'jupyterhub-hostpath', hostDirectory: '/old/place', storageMethod: 'storageClass' } };
    const kubectl = fakeKubectl(s.dir, { record });
    const run = (allow: boolean) => deploy({ dir: s.dist, dryRun: false, allowDataMove: allow, env: { KUBECTL: kubectl }, out: () => {} });
    assert.throws(() => run(false), /hostDirectory: \/old\/place -> \/srv\/jupyterhub[\s\S]*--allow-data-move/);
    assert.ok(!fs.readFileSync(path.join(s.dir, 'kubectl.log'), 'utf8').includes('apply'), 'nothing applied');
    assert.equal(run(true), 0);
  });

  it('refuses a namespace change recorded in the cluster', () => {
    const s = synthInto('ns-move', baseConfig());
    const record = { metadata: { namespace: 'old-hub' }, data: { namespace: 'old-hub', storageClassName: 'jupyterhub-hostpath', hostDirectory: '/srv/jupyterhub', storageMethod: 'storageClass' } };
    const kubectl = fakeKubectl(s.dir, { record });
    assert.throws(() => deploy({ dir: s.dist, dryRun: false, allowDataMove: false, env: { KUBECTL: kubectl }, out: () => {} }), /namespace: old-hub -> jupyterhub/);
  });

  it('refuses a dist/ without its Secrets file (as checked out from git): it would prune the live ones', () => {
    const s = synthInto('no-secrets', baseConfig());
    fs.rmSync(path.join(s.dist, '02-secrets.secret.yaml'));
    const kubectl = fakeKubectl(s.dir, {});
    assert.throws(() => deploy({ dir: s.dist, dryRun: false, allowDataMove: false, env: { KUBECTL: kubectl }, out: () => {} }), /has no 02-secrets\.secret\.yaml/);
    assert.equal(fs.existsSync(path.join(s.dir, 'kubectl.log')), false, 'kubectl never ran');
  });

  it('refuses placeholder secrets', () => {
    const s = synthInto('ph', baseConfig(), { HUB_SECRETS: 'placeholder' });
    assert.throws(() => deploy({ dir: s.dist, dryRun: true, allowDataMove: false, env: {}, out: () => {} }), /placeholder secrets/);
  });
});

describe('pruneCandidates', () => {
  it('keeps everything dist/ still has and every never-prune kind', () => {
    const o = (kind: string, name: string, namespace?: string) => ({ apiVersion: 'v1', kind, metadata: { name, namespace } });
    const live = [o('ConfigMap', 'a', 'x'), o('ConfigMap', 'b', 'x'), o('PersistentVolumeClaim', 'hub-db-dir', 'x'), o('StorageClass', 's'), o('Pod', 'p', 'x')];
    assert.deepEqual(pruneCandidates(live as any, [o('ConfigMap', 'a', 'x')] as any).map((x) => x.metadata.name), ['b']);
  });
});

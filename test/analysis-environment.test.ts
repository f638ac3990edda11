/**
 * The data-analysis environment: per-user resources, profiles with pre-pulled images, the team
 * image, idle culling, GPUs, shared data, the single-machine footprint and the capacity plan.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { capacityPlan, renderPlan } from '../src/cluster/capacity';
import { parseConfig } from '../src/config/load';
import { memoryBytes } from '../src/config/quantity';
import { parseQuantity } from '../src/config/quantity';
import { synthesize } from '../src/output/synth';
import { imageBuildCommands } from '../src/tools/image-build';
import { baseConfig, chartValuesFrom, find, readObjects, ROOT, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function synthObjects(name: string, config: unknown) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  synthesize({ env: synthEnv(dir, { HUB_CONFIG: writeConfig(dir, config) }) });
  const objects = readObjects(path.join(dir, 'dist'));
  return { objects, values: chartValuesFrom(objects) };
}

function pullerImages(objects: ReturnType<typeof readObjects>): string[] {
  const ds = find(objects, 'DaemonSet', 'continuous-image-puller')!.object as any;
  return (ds.spec.template.spec.initContainers as any[]).map((c) => c.image);
}

describe('defaults for a small team on one machine', () => {
  const { objects, values } = synthObjects('defaults', baseConfig());

  it('bounds every user: CPU, memory and a home volume; JupyterLab by default', () => {
    assert.deepEqual(values.singleuser.cpu, { guarantee: 0.5, limit: 2 });
    // Bytes: KubeSpawner's ByteSpecification (jupyterhub 4.0.2 traitlets.py) refuses "Gi" and reads "G" as 2^30.
    assert.deepEqual(values.singleuser.memory, { guarantee: 1e9, limit: 4e9 });
    assert.equal(values.singleuser.storage.capacity, '10Gi');
    assert.equal(values.singleuser.defaultUrl, '/lab');
  });

  it('offers data-science (default) and deep-learning profiles, pinned, and pre-pulls both', () => {
    const list = values.singleuser.profileList as any[];
    assert.deepEqual(list.map((p) => p.slug), ['data-science', 'deep-learning']);
    assert.equal(list[0].default, true);
    assert.equal(list[0].kubespawner_override.image, 'quay.io/jupyter/scipy-notebook:2024-05-27');
    assert.equal(list[1].kubespawner_override.image, 'quay.io/jupyter/tensorflow-notebook:2024-05-27');
    assert.equal(list[1].kubespawner_override.mem_limit, 8e9, 'deep learning gets more memory (8G, in bytes)');
    for (const p of list) assert.doesNotMatch(p.kubespawner_override.image, /:latest$/);
    const pulled = pullerImages(objects);
    for (const p of list) assert.ok(pulled.includes(p.kubespawner_override.image), `${p.slug} image pre-pulled`);
    assert.equal(values.prePuller.hook.enabled, false);
  });

  it('culls idle servers after an hour and limits active servers from the plan', () => {
    assert.equal(values.cull.enabled, true);
    assert.equal(values.cull.timeout, 3600);
    // 8 cores - 1 reserved - 0.4 system = 6.6 cores / 0.5 = 13; memory allows 31
    assert.equal(values.hub.activeServerLimit, 13);
  });

  it('keeps the always-on footprint to hub, proxy, autohttps and the image puller', () => {
    const always = objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.object.kind)).map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort();
    assert.deepEqual(always, ['DaemonSet/continuous-image-puller', 'Deployment/autohttps', 'Deployment/hub', 'Deployment/proxy']);
    assert.equal(objects.filter((o) => o.object.kind === 'PriorityClass').length, 0);
  });

  it('the capacity plan counts exactly the requests the always-on pods carry in dist/', () => {
    // What the scheduler reserves is what reaches the cluster; the plan's "users that fit" is only
    // right if it subtracts the same amounts (the chart could drop or rename a resources value).
    const planned = capacityPlan(parseConfig(baseConfig(), 't')).systemPods;
    assert.deepEqual(planned.map((p) => p.name).sort(), ['autohttps', 'continuous-image-puller', 'hub', 'proxy']);
    for (const p of planned) {
      const o = find(objects, p.perNode ? 'DaemonSet' : 'Deployment', p.name)?.object as any;
      assert.ok(o, `${p.name}: no such workload in dist/`);
      const replicas = p.perNode ? 1 : (o.spec.replicas ?? 1);
      const sum = (key: 'cpu' | 'memory') => replicas * (o.spec.template.spec.containers as any[])
        .reduce((a, c) => a + (parseQuantity(c.resources?.requests?.[key] ?? 0) ?? NaN), 0);
      assert.equal(sum('cpu'), p.cpu, `${p.name}: CPU requested in dist/ vs planned`);
      assert.equal(sum('memory'), p.memory, `${p.name}: memory requested in dist/ vs planned`);
    }
  });
});

describe('everything configured (examples/full.yaml)', () => {
  const dir = path.join(work, 'full');
  fs.mkdirSync(dir, { recursive: true });
  synthesize({ env: synthEnv(dir, { HUB_CONFIG: path.join(ROOT, 'examples', 'full.yaml') }) });
  const objects = readObjects(path.join(dir, 'dist'));
  const values = chartValuesFrom(objects);
  const list = values.singleuser.profileList as any[];

  it('lists presets and custom profiles with per-profile overrides', () => {
    assert.deepEqual(list.map((p) => p.slug), ['data-science', 'deep-learning', 'team', 'gpu', 'r-stats']);
    assert.equal(list.find((p) => p.default)?.slug, 'data-science');
    assert.equal(list[1].kubespawner_override.mem_limit, 12e9, 'profile field beats preset');
    assert.equal(list[4].kubespawner_override.cpu_guarantee, 0.5);
    assert.equal(list[4].display_name, 'R statistics');
    assert.equal(list[2].kubespawner_override.image, 'localhost:32000/team-notebook:2024.11.1');
  });

  it('gives the GPU profile nvidia.com/gpu and no other profile', () => {
    assert.deepEqual(list[3].kubespawner_override.extra_resource_limits, { 'nvidia.com/gpu': '1' });
    assert.equal(list[3].kubespawner_override.image, 'quay.io/jupyter/tensorflow-notebook:cuda-2024-05-27');
    for (const p of list.filter((x) => x.slug !== 'gpu')) assert.equal(p.kubespawner_override.extra_resource_limits, undefined);
  });

  it('pre-pulls every CPU profile image on every node, and the CUDA image only on GPU nodes', () => {
    const pulled = pullerImages(objects);
    for (const p of list.filter((x) => x.slug !== 'gpu')) assert.ok(pulled.includes(p.kubespawner_override.image), p.slug);
    const cuda = 'quay.io/jupyter/tensorflow-notebook:cuda-2024-05-27';
    assert.ok(!pulled.includes(cuda), 'the continuous puller runs on every user node: no CUDA image there');
    assert.equal(values.prePuller.pullProfileListImages, false);
    const gpu = find(objects, 'DaemonSet', 'gpu-image-puller')!.object as any;
    assert.deepEqual(gpu.spec.template.spec.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.deepEqual((gpu.spec.template.spec.initContainers as any[]).map((c) => c.image), [cuda]);
  });

  it('mounts the dataset read-only and the team folder read-write, creating neither', () => {
    assert.deepEqual(values.singleuser.storage.extraVolumes, [
      { name: 'shared-datasets', hostPath: { path: '/srv/datasets', type: 'Directory' } },
      { name: 'shared-team-folder', persistentVolumeClaim: { claimName: 'team-folder', readOnly: false } },
    ]);
    assert.deepEqual(values.singleuser.storage.extraVolumeMounts, [
      { name: 'shared-datasets', mountPath: '/home/jovyan/datasets', readOnly: true },
      { name: 'shared-team-folder', mountPath: '/home/jovyan/shared', readOnly: false },
    ]);
    assert.equal(find(objects, 'PersistentVolumeClaim', 'team-folder'), undefined, 'the admin owns it; we never create or prune it');
  });

  it('uses the configured activeServerLimit and cull timeout', () => {
    assert.equal(values.hub.activeServerLimit, 20);
    assert.equal(values.cull.timeout, 7200);
  });
});

describe('GPU profile appears only with GPUs', () => {
  it('is offered by default when a node has a GPU', () => {
    const cfg = { ...baseConfig(), cluster: { nodes: [{ name: 'box', cpus: 8, memory: '32Gi', gpus: 2 }] }, gpu: { perUser: 2 } };
    const { values } = synthObjects('gpu-default', cfg);
    const gpu = (values.singleuser.profileList as any[]).find((p) => p.slug === 'gpu');
    assert.deepEqual(gpu.kubespawner_override.extra_resource_limits, { 'nvidia.com/gpu': '2' });
    assert.equal(gpu.kubespawner_override.node_selector, undefined, 'one node: nothing to select');
  });

  it('is absent without GPUs', () => {
    const { values } = synthObjects('no-gpu', baseConfig());
    assert.ok(!(values.singleuser.profileList as any[]).some((p) => p.slug === 'gpu'));
  });
});

describe('allowlist and admins', () => {
  it('makes admins JupyterHub admins and scales the allowlist to thousands', () => {
    const users = Array.from({ length: 5000 }, (_, i) => `user${i}@example.org`);
    const cfg = { ...baseConfig(), auth0: { ...baseConfig().auth0, allowedUsers: users, adminUsers: ['lead@example.org', 'second@example.org'] } };
    const { values, objects } = synthObjects('many-users', cfg);
    const a = values.hub.config.Auth0OAuthenticator;
    // The allowlist lives in a ConfigMap the hub mounts and reads (hub.extraConfig), not in values.
    const list = (find(objects, 'ConfigMap', 'auth0-allowlist')!.object as any).data.allowed_users as string;
    assert.equal(list.trimEnd().split('\n').length, 5000);
    assert.equal(a.allowed_users, undefined);
    assert.match(values.hub.extraConfig['10-auth0-authenticator'], /c\.Auth0OAuthenticator\.allowed_users = set\(_ALLOWED\)/);
    assert.deepEqual(values.hub.extraVolumeMounts, [{ name: 'auth0-allowlist', mountPath: '/usr/local/etc/jupyterhub/auth0-allowlist', readOnly: true }]);
    const hub = find(objects, 'Deployment', 'hub')!.object as any;
    assert.match(hub.spec.template.metadata.annotations['microk8s-jupyterhub/allowlist-sha256'], /^[0-9a-f]{64}$/);
    assert.ok(hub.spec.template.spec.volumes.some((v: any) => v.configMap?.name === 'auth0-allowlist'), 'mounted into the hub');
    // Admins are a static role list (JupyterHub clears removed admins at start), not admin_users.
    assert.equal(a.admin_users, undefined);
    assert.deepEqual(values.hub.loadRoles['hub-admin'].users, ['lead@example.org', 'second@example.org']);
    assert.deepEqual(values.hub.loadRoles.admin, { users: [] });
    // The chart's default admin_access: true (a no-op at JupyterHub 4.0.2) and "dummy" class are removed.
    assert.deepEqual(values.hub.config.JupyterHub ?? {}, {}, 'no deprecated JupyterHub.admin_access');
  });
});

describe('team image', () => {
  it('builds from images/team and pushes to the MicroK8s registry', () => {
    const c = parseConfig({ ...baseConfig(), teamImage: { enabled: true, tag: '2025.1.0' } }, 't');
    const [build, push] = imageBuildCommands(c);
    assert.deepEqual(build, ['docker', 'build', '--pull', '--build-arg', 'BASE_IMAGE=quay.io/jupyter/scipy-notebook:2024-05-27', '--tag', 'localhost:32000/team-notebook:2025.1.0', path.join(ROOT, 'images', 'team')]);
    assert.deepEqual(push, ['docker', 'push', 'localhost:32000/team-notebook:2025.1.0']);
    assert.ok(fs.existsSync(path.join(ROOT, 'images', 'team', 'Dockerfile')));
    const req = fs.readFileSync(path.join(ROOT, 'images', 'team', 'requirements.txt'), 'utf8');
    for (const line of req.split('\n').filter((l) => l && !l.startsWith('#'))) assert.match(line, /==/, `pinned: ${line}`);
  });

  it('prints the commands with --dry-run', () => {
    const dir = path.join(work, 'img');
    fs.mkdirSync(dir, { recursive: true });
    const r = runTs('src/tools/image-build.ts', ['--dry-run'], { ...process.env, HUB_CONFIG: writeConfig(dir, { ...baseConfig(), teamImage: { enabled: true } }) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\$ docker push localhost:32000\/team-notebook:2024\.11\.1/);
  });
});

describe('capacity plan', () => {
  const plan = (nodes: unknown[], extra: Record<string, unknown> = {}) => {
    const c = parseConfig({ ...baseConfig(), cluster: { nodes }, ...extra }, 't');
    return { c, p: capacityPlan(c) };
  };

  it('8 cores, 32 GiB, 1 TB: 13 data-science users fit (CPU-bound)', () => {
    const { p, c } = plan([{ name: 'box', cpus: 8, memory: '32Gi', diskFree: '1T' }]);
    // allocatable CPU: 8 - 1 reserved - (0.2 hub + 0.1 proxy + 0.1 autohttps) = 6.6 -> 6.6 / 0.5 = 13
    // allocatable memory: 32Gi - 2Gi - (512+256+128)Mi = 29.125Gi -> / 1G (0.931Gi) = 31
    const ds = p.fits.find((f) => f.profile.slug === 'data-science')!;
    assert.deepEqual([ds.byCpu, ds.byMemory, ds.fit], [13, 31, 13]);
    const dl = p.fits.find((f) => f.profile.slug === 'deep-learning')!;
    assert.deepEqual([dl.byCpu, dl.byMemory, dl.fit], [13, 15, 13]); // 29.125Gi / 2G (1.863Gi) = 15
    assert.equal(p.activeServerLimit, 13);
    // 1 allowed + 1 admin homes x 10Gi + 1Gi = 21Gi
    assert.equal(p.homes, 2);
    assert.equal(p.diskNeeded, 21 * 2 ** 30);
    assert.equal(p.diskFree, 1e12);
    const text = renderPlan(p, c);
    assert.match(text, /\| data-science \(default\) \| 0\.5 \/ 2 \| 1G \/ 4G \| 0 \| 13 \| 31 \| - \| 13 \|/);
  });

  it('4 cores, 8 GiB: memory-bound, and a 16G limit is more than the machine', () => {
    const { p } = plan([{ name: 'small', cpus: 4, memory: '8Gi' }], { resources: { memoryGuarantee: '2G', memoryLimit: '16G' } });
    // memory: 8Gi - 2Gi - 0.875Gi = 5.125Gi / 2G (1.863Gi) = 2; CPU: 4 - 1 - 0.4 = 2.6 / 0.5 = 5
    const ds = p.fits.find((f) => f.profile.slug === 'data-science')!;
    assert.deepEqual([ds.byCpu, ds.byMemory, ds.fit], [5, 2, 2]);
    assert.ok(p.warnings.some((w) => /memory limit 16G is more than the largest node has/.test(w)));
  });

  it('counts GPUs: 1 GPU means 1 GPU user', () => {
    const { p } = plan([{ name: 'gpu-box', cpus: 16, memory: '64Gi', gpus: 1 }]);
    const g = p.fits.find((f) => f.profile.slug === 'gpu')!;
    assert.equal(g.byGpu, 1);
    assert.equal(g.fit, 1);
  });

  it('warns when the configured activeServerLimit overcommits guarantees and when disk runs short', () => {
    const { p } = plan([{ name: 'box', cpus: 8, memory: '32Gi', diskFree: '20Gi' }], { capacity: { activeServerLimit: 20 } });
    assert.ok(p.warnings.some((w) => /activeServerLimit 20 overcommits the guarantees: 7 of 20/.test(w)));
    assert.ok(p.warnings.some((w) => /need 21\.0 GiB but only 20\.0 GiB is free/.test(w)));
  });

  it('counts memory in the bytes the quantity means, as the pods request them', () => {
    // KubeSpawner gets these integers (jupyterhub 4.0.2 traitlets.py ByteSpecification reads "1G" as 2^30
    // and refuses "1Gi"): test/hub-runtime.test.ts shows the pods holding the same numbers.
    assert.equal(memoryBytes('4Gi'), 4 * 2 ** 30);
    assert.equal(memoryBytes('512Mi'), 512 * 2 ** 20);
    assert.equal(memoryBytes('1G'), 1e9);
    assert.equal(memoryBytes('1.5Gi'), 1610612736);
    assert.equal(memoryBytes('1.0005k'), 1001, 'a fraction of a byte rounds up');
    const { p } = plan([{ name: 'box', cpus: 64, memory: '32Gi' }], { resources: { memoryGuarantee: '4Gi', memoryLimit: '8Gi', cpuGuarantee: 0.1 } });
    const ds = p.fits.find((f) => f.profile.slug === 'data-science')!;
    assert.equal(ds.profile.memoryGuaranteeBytes, 4 * 2 ** 30);
    // 32Gi - 2Gi - 0.875Gi system = 29.125Gi / 4Gi = 7
    assert.equal(ds.byMemory, 7);
  });

  it('runs as npm run plan', () => {
    const dir = path.join(work, 'plan');
    fs.mkdirSync(dir, { recursive: true });
    const r = runTs('src/tools/plan.ts', [], { ...process.env, HUB_CONFIG: writeConfig(dir, baseConfig()) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /hub\.activeServerLimit: 13 \(derived/);
  });
});

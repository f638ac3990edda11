/**
 * npm run doctor: the checklist against a fake `microk8s` on PATH that prints outputs recorded
 * from real MicroK8s formats (test/fixtures/microk8s/README.md), and against a fake probe.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load';
import type { HubConfig } from '../src/config/schema';
import {
  Check, DirectoryInfo, doctor, formatChecklist, imageTagVersion, parseMetalLbRange, parseMicrok8sStatus,
  parseMicrok8sVersion, Probe, readOnlyMountIn, runChecks, systemProbe,
} from '../src/tools/doctor';
import { storageDirectoryProblem } from '../src/config/cross-checks';
import { baseConfig, ROOT, runTs, SENTINELS, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-doctor-');
// Storage directories may not live under /tmp (the config refuses it), and the checkout itself
// may sit there (CI clones anywhere): use the first writable place the config accepts.
const diskBase = [path.join(ROOT, '.cache'), '/var/tmp', os.homedir()].find((d) => {
  if (storageDirectoryProblem(d)) return false;
  try {
    fs.mkdirSync(d, { recursive: true });
    fs.accessSync(d, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
});
if (!diskBase) throw new Error('no writable directory outside /tmp for the doctor tests');
const disk = fs.mkdtempSync(path.join(diskBase, 'mk8s-jh-doctor-test-'));
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(disk, { recursive: true, force: true });
});

const FX = path.join(__dirname, 'fixtures', 'microk8s');
const fx = (f: string) => path.join(FX, f);
const SYSTEM_PATH = '/usr/bin:/bin';

/** What the fake prints for one command line: stdout file, stderr file, exit code. */
interface Answer {
  readonly out?: string;
  readonly err?: string;
  readonly code?: number;
  readonly sleep?: number;
}

const CMD = {
  version: 'version',
  status: 'status --format yaml',
  api: 'kubectl version --output=json',
  pools: 'kubectl get ipaddresspools.metallb.io --namespace metallb-system --output json',
  image: 'kubectl --namespace kube-system get deployment hostpath-provisioner --output jsonpath={..image}',
  csiDriverNfs: 'kubectl get csidriver nfs.csi.k8s.io --output name',
  cephfs: 'kubectl get cephfilesystems.ceph.rook.io myfs --namespace rook-ceph --output name',
  cephProvisionerSecret: 'kubectl get secret rook-csi-cephfs-provisioner --namespace rook-ceph --output name',
  cephNodeSecret: 'kubectl get secret rook-csi-cephfs-node --namespace rook-ceph --output name',
  extProvisionerSecret: 'kubectl get secret rook-csi-cephfs-provisioner --namespace rook-ceph-external --output name',
  extNodeSecret: 'kubectl get secret rook-csi-cephfs-node --namespace rook-ceph-external --output name',
} as const;
type Machine = { readonly [K in keyof typeof CMD]?: Answer };

/** A healthy MicroK8s 1.28 with the four addons, our pool deployed and the addon's pool elsewhere. */
const HEALTHY_128: Machine = {
  version: { out: fx('v1.28/version.txt') },
  status: { out: fx('v1.28/status-healthy.yaml') },
  api: { out: fx('v1.28/kubectl-version.json') },
  pools: { out: fx('v1.28/ipaddresspools-healthy.json') },
  image: { out: fx('v1.28/provisioner-image.txt') },
};

/**
 * Storage backends on a MicroK8s 1.32 machine, as kube-apiserver v1.32 + kubectl v1.32.3 answer
 * (recorded from ../shared/envtest, test/fixtures/microk8s/README.md): csi-driver-nfs and Rook
 * with a CephFilesystem "myfs" and its CSI secrets installed.
 */
const STORAGE_132: Machine = {
  csiDriverNfs: { out: fx('v1.32/csidriver-nfs.txt') },
  cephfs: { out: fx('v1.32/cephfilesystem.txt') },
  cephProvisionerSecret: { out: fx('v1.32/secret-rook-csi-cephfs-provisioner.txt') },
  cephNodeSecret: { out: fx('v1.32/secret-rook-csi-cephfs-node.txt') },
};

/** MicroK8s 1.24: no `microk8s version`, MetalLB 0.9 (no IPAddressPool CRD), provisioner 1.3.0. */
const OLD_124: Machine = {
  version: { out: fx('v1.24/version-not-a-subcommand.txt'), code: 1 },
  status: { out: fx('v1.24/status-healthy.yaml') },
  api: { out: fx('v1.24/kubectl-version.json') },
  pools: { err: fx('ipaddresspools-no-crd.stderr.txt'), code: 1 },
  image: { out: fx('v1.24/provisioner-image.txt') },
};

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let counter = 0;

/** A folder with a fake `microk8s` (answers by "$*") and a fake `helm` (v3.17.2). */
function fakeBin(machine: Machine, helmVersion = 'v3.17.2'): string {
  const dir = path.join(work, `bin-${++counter}`);
  fs.mkdirSync(dir);
  const lines = ['#!/bin/sh', 'case "$*" in'];
  for (const [key, a] of Object.entries(machine) as [keyof typeof CMD, Answer][]) {
    lines.push(`  ${shq(CMD[key])})`);
    if (a.sleep) lines.push(`    sleep ${a.sleep}`);
    if (a.out) lines.push(`    cat ${shq(a.out)}`);
    if (a.err) lines.push(`    cat ${shq(a.err)} >&2`);
    lines.push(`    exit ${a.code ?? 0} ;;`);
  }
  lines.push('  *) echo "fake microk8s: nothing recorded for: $*" >&2; exit 97 ;;', 'esac', '');
  fs.writeFileSync(path.join(dir, 'microk8s'), lines.join('\n'), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'helm'), `#!/bin/sh\necho ${helmVersion}\n`, { mode: 0o755 });
  return dir;
}

function storageDir(): string {
  const d = path.join(disk, `storage-${++counter}`);
  fs.mkdirSync(d);
  return d;
}

function configInput(extra: { storage?: Record<string, unknown>; loadBalancer?: Record<string, unknown> } = {}) {
  const b = baseConfig();
  return {
    ...b,
    loadBalancer: { ...b.loadBalancer, ...extra.loadBalancer },
    storage: { hostDirectory: storageDir(), ...extra.storage },
  };
}

function config(extra: Parameters<typeof configInput>[0] = {}): HubConfig {
  return parseConfig(configInput(extra), 'test');
}

function envFor(bin: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${SYSTEM_PATH}`, HELM: path.join(bin, 'helm'), ...extra };
  for (const k of ['KUBECTL', 'MICROK8S']) if (!(k in extra)) delete env[k];
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

function check(checks: readonly Check[], name: string | RegExp): Check {
  const c = checks.find((x) => (typeof name === 'string' ? x.name === name : name.test(x.name)));
  assert.ok(c, `no check ${name} in:\n${formatChecklist(checks)}`);
  return c;
}

const run = (machine: Machine, cfg: HubConfig = config(), env: Record<string, string | undefined> = {}) =>
  runChecks(cfg, systemProbe(envFor(fakeBin(machine), env)));

describe('doctor end to end (npm run doctor)', () => {
  it('passes on a healthy MicroK8s 1.28: every check ok, exit 0, no secret printed', () => {
    const bin = fakeBin(HEALTHY_128);
    const dir = path.join(work, 'e2e-healthy');
    fs.mkdirSync(dir);
    const env = envFor(bin, { HUB_CONFIG: writeConfig(dir, configInput()), AUTH0_CLIENT_SECRET: SENTINELS.auth0 });
    const r = runTs('src/tools/doctor.ts', [], env);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
    assert.equal(lines.length, 10, r.stdout);
    assert.ok(lines.every((l) => l.startsWith('[ok]')), r.stdout);
    for (const name of ['MicroK8s installed: MicroK8s v1.28.3 revision 6089', 'MicroK8s running', 'addon dns', 'addon hostpath-storage',
      'addon metallb', 'kubectl reaches the API server: API server v1.28.3', 'MetalLB pool for hub IP 192.168.1.241',
      'hostpath provisioner reads pvDir: cdkbot/hostpath-provisioner:1.4.2', 'Helm >= 3.5: Helm v3.17.2', 'storage directory']) {
      assert.ok(r.stdout.includes(name), `${name} missing:\n${r.stdout}`);
    }
    // Helm runs at synth time on this machine, never in the cluster: no helm3 addon is asked for.
    assert.doesNotMatch(r.stdout, /addon helm3/);
    assert.match(r.stdout, /0 failed, 0 warnings, 10 ok/);
    assert.ok(!r.stdout.includes(SENTINELS.auth0) && !r.stderr.includes(SENTINELS.auth0));
  });

  it('fails clearly, without crashing, where MicroK8s is not installed (exit 1)', (t) => {
    if (SYSTEM_PATH.split(':').some((d) => fs.existsSync(path.join(d, 'microk8s')))) {
      t.skip('this machine has a microk8s in /usr/bin or /bin');
      return;
    }
    const bin = fakeBin({}); // only the fake helm is used: the fake microk8s is removed
    fs.rmSync(path.join(bin, 'microk8s'));
    const dir = path.join(work, 'e2e-missing');
    fs.mkdirSync(dir);
    const r = runTs('src/tools/doctor.ts', [], envFor(bin, { HUB_CONFIG: writeConfig(dir, configInput()) }));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.match(r.stdout, /^\[FAIL\] MicroK8s installed: MicroK8s is not installed or not on PATH\n {7}fix: sudo snap install microk8s --classic$/m);
    assert.match(r.stdout, /^\[FAIL\] MicroK8s running: not checked/m);
    assert.match(r.stdout, /^\[FAIL\] kubectl reaches the API server: not checked/m);
    assert.match(r.stdout, /^\[ok\] {3}Helm >= 3\.5/m);
    assert.match(r.stdout, /^\[ok\] {3}storage directory/m);
    assert.match(r.stdout, /1 failed \(and 5 not checked because of them\), 0 warnings, 2 ok/);
  });

  it('fails on the provisioner of MicroK8s 1.24 with storage.method storageClass, and on its MetalLB 0.9', () => {
    const bin = fakeBin(OLD_124);
    const dir = path.join(work, 'e2e-old');
    fs.mkdirSync(dir);
    const r = runTs('src/tools/doctor.ts', [], envFor(bin, { HUB_CONFIG: writeConfig(dir, configInput()) }));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[ok\] {3}MicroK8s installed: MicroK8s older than 1\.25/m);
    assert.match(r.stdout, /^\[FAIL\] hostpath provisioner reads pvDir: the addon runs cdkbot\/hostpath-provisioner:1\.3\.0 \(older than 1\.4\.1\).*ignores the StorageClass parameter pvDir/m);
    assert.match(r.stdout, /fix: set storage\.method: provisionerPatch/);
    assert.match(r.stdout, /^\[FAIL\] MetalLB pool for hub IP 192\.168\.1\.241: the cluster has no IPAddressPool resource/m);
  });
});

describe('doctor checks against recorded MicroK8s outputs', () => {
  it('accepts KUBECTL and MICROK8S overrides', () => {
    const bin = fakeBin(HEALTHY_128);
    const checks = runChecks(config(), systemProbe(envFor(bin, { PATH: SYSTEM_PATH, MICROK8S: path.join(bin, 'microk8s'), KUBECTL: `${path.join(bin, 'microk8s')} kubectl` })));
    assert.deepEqual(checks.filter((c) => c.status !== 'ok'), []);
    const missing = runChecks(config(), systemProbe(envFor(bin, { MICROK8S: path.join(work, 'no-such-microk8s') })));
    assert.match(check(missing, 'MicroK8s installed').detail, /^MICROK8S=.*no-such-microk8s: no such command$/);
  });

  it('MicroK8s stopped: running fails with `microk8s start`, dependent checks are not checked', () => {
    const checks = run({ ...HEALTHY_128, status: { out: fx('stopped.txt') }, api: { err: fx('stopped.txt'), code: 1 } });
    const running = check(checks, 'MicroK8s running');
    assert.equal(running.status, 'fail');
    assert.equal(running.detail, 'MicroK8s is stopped');
    assert.equal(running.fix, 'microk8s start');
    assert.ok(check(checks, /^required addons/).notChecked);
    const api = check(checks, 'kubectl reaches the API server');
    assert.match(api.detail, /microk8s is not running, try microk8s start/);
    assert.equal(api.fix, 'microk8s start');
    assert.ok(check(checks, /^MetalLB pool/).notChecked);
    // The version still answers on a stopped MicroK8s, so the provisioner is judged by it.
    assert.equal(check(checks, 'hostpath provisioner reads pvDir').status, 'ok');
  });

  it('MicroK8s not ready: reports its own message', () => {
    const checks = run({ ...HEALTHY_128, status: { out: fx('v1.28/status-not-ready.yaml'), code: 1 }, api: { err: fx('kubectl-refused.stderr.txt'), code: 1 } });
    const running = check(checks, 'MicroK8s running');
    assert.equal(running.status, 'fail');
    assert.match(running.detail, /not ready: "microk8s is not running\. Use microk8s inspect for a deeper inspection\."/);
    assert.match(running.fix!, /microk8s status --wait-ready/);
    assert.match(check(checks, 'kubectl reaches the API server').detail, /connection to the server 127\.0\.0\.1:16443 was refused/);
  });

  it('a user outside the microk8s group gets the usermod fix', () => {
    const checks = run({ version: { err: fx('no-permission.stderr.txt'), code: 1 } });
    const c = check(checks, 'MicroK8s installed');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /not in the microk8s group/);
    assert.match(c.fix!, /^sudo usermod -a -G microk8s \$USER/);
  });

  it('metallb disabled: the fix enables it with the configured range', () => {
    const checks = run({ ...HEALTHY_128, status: { out: fx('v1.28/status-metallb-disabled.yaml') }, pools: { err: fx('ipaddresspools-no-crd.stderr.txt'), code: 1 } });
    const addon = check(checks, 'addon metallb');
    assert.equal(addon.status, 'fail');
    assert.equal(addon.detail, 'disabled');
    assert.match(addon.fix!, /^microk8s enable metallb:192\.168\.1\.240-192\.168\.1\.250\n/);
    assert.match(addon.fix!, /delete ipaddresspools\.metallb\.io default-addresspool/);
    assert.equal(check(checks, 'addon dns').status, 'ok');
    const pool = check(checks, /^MetalLB pool/);
    assert.equal(pool.status, 'fail');
    assert.match(pool.detail, /metallb addon is disabled/);
  });

  it('helm3 disabled (MicroK8s 1.24, where Helm 3 was an addon) is fine: helm runs at synth, on this machine', () => {
    const checks = run({ ...OLD_124, status: { out: fx('v1.24/status-helm3-disabled.yaml') } });
    assert.equal(checks.find((c) => /helm3/.test(c.name)), undefined, formatChecklist(checks));
    assert.equal(check(checks, 'addon hostpath-storage').status, 'ok');
    assert.equal(check(checks, 'Helm >= 3.5').status, 'ok');
  });

  it('fails when another MetalLB pool overlaps ours (the addon enabled with the same range)', () => {
    const checks = run({ ...HEALTHY_128, pools: { out: fx('v1.28/ipaddresspools-overlap.json') } });
    const c = check(checks, /^MetalLB pool/);
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /pool "default-addresspool" \(192\.168\.1\.240-192\.168\.1\.250\), which contains 192\.168\.1\.241, overlaps loadBalancer\.addressPool/);
    assert.match(c.detail, /MetalLB refuses pools whose addresses overlap/);
    assert.match(c.fix!, /microk8s kubectl -n metallb-system delete ipaddresspools\.metallb\.io default-addresspool/);
  });

  it('warns when our pool in the cluster does not contain the hub IP', () => {
    const checks = run({ ...HEALTHY_128, pools: { out: fx('v1.28/ipaddresspools-stale.json') } });
    const c = check(checks, /^MetalLB pool/);
    assert.equal(c.status, 'warn');
    assert.match(c.detail, /pool "jupyterhub" in the cluster has 192\.168\.1\.100-192\.168\.1\.110, which does not contain 192\.168\.1\.241/);
    assert.match(c.fix!, /npm run deploy/);
  });

  it('is fine when our pool does not exist yet and no other pool overlaps the configured range', () => {
    const pools = path.join(work, 'pools-addon-only.json');
    const healthy = JSON.parse(fs.readFileSync(fx('v1.28/ipaddresspools-healthy.json'), 'utf8'));
    healthy.items = healthy.items.filter((i: any) => i.metadata.name === 'default-addresspool');
    fs.writeFileSync(pools, JSON.stringify(healthy));
    const c = check(run({ ...HEALTHY_128, pools: { out: pools } }), /^MetalLB pool/);
    assert.equal(c.status, 'ok');
    assert.match(c.detail, /no pool "jupyterhub" yet: dist\/03-metallb\.yaml creates it with 192\.168\.1\.240-192\.168\.1\.250/);
    // A hub IP outside the configured pool is refused by the config schema before doctor runs.
    assert.throws(() => config({ loadBalancer: { hubIP: '192.168.1.100' } }), /outside the MetalLB pool/);
  });

  it('old MicroK8s: storageClass fails (by provisioner image, else by version); provisionerPatch is fine', () => {
    const byImage = check(run(OLD_124), 'hostpath provisioner reads pvDir');
    assert.equal(byImage.status, 'fail');
    assert.match(byImage.detail, /volumes would land in \/var\/snap\/microk8s\/common\/default-storage/);
    const noImage = check(run({ ...OLD_124, image: { err: fx('provisioner-not-found.stderr.txt'), code: 1 } }), 'hostpath provisioner reads pvDir');
    assert.equal(noImage.status, 'fail');
    assert.match(noImage.detail, /^MicroK8s older than 1\.25 ships hostpath-provisioner older than 1\.4\.1/);
    const patch = check(run(OLD_124, config({ storage: { method: 'provisionerPatch' } })), 'hostpath provisioner reads pvDir');
    assert.equal(patch.status, 'ok');
    // A new MicroK8s whose addon still runs an old image (not re-enabled after an upgrade) warns too.
    const stale = check(run({ ...HEALTHY_128, image: { out: fx('v1.24/provisioner-image.txt') } }), 'hostpath provisioner reads pvDir');
    assert.equal(stale.status, 'fail');
    assert.match(stale.fix!, /a snap refresh does not update the images of enabled addons/);
  });

  it('requires hostpath-provisioner 1.4.1 or newer: 1.4.0 reads pvDir but handles it wrongly', () => {
    // ../shared/reference/microk8s-addons/VERSIONS.md: pvDir is honoured from v1.4.0, correctly from v1.4.1.
    const image = path.join(work, 'provisioner-image-1.4.0.txt');
    fs.writeFileSync(image, 'cdkbot/hostpath-provisioner:1.4.0');
    const c = check(run({ ...HEALTHY_128, image: { out: image } }), 'hostpath provisioner reads pvDir');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /1\.4\.0 reads pvDir but handles it wrongly .* 1\.4\.1 or newer is needed/);
    assert.match(c.fix!, /storage\.method: provisionerPatch/);
    // MicroK8s 1.32's addon manifest (../shared/reference/microk8s-addons/hostpath-storage-1.32.yaml) runs 1.5.0.
    assert.equal(check(run({ ...HEALTHY_128, image: { out: fx('v1.32/provisioner-image.txt') } }), 'hostpath provisioner reads pvDir').status, 'ok');
  });

  it('Helm older than 3.5 fails with the resolver\'s fix', () => {
    const c = check(run(HEALTHY_128, config(), {}), 'Helm >= 3.5');
    assert.equal(c.status, 'ok');
    const bin = fakeBin(HEALTHY_128, 'v3.4.2');
    const old = check(runChecks(config(), systemProbe(envFor(bin))), 'Helm >= 3.5');
    assert.equal(old.status, 'fail');
    assert.match(old.detail, /is Helm v3\.4\.2; Helm >= 3\.5\.0 is required/);
    assert.equal(old.fix, 'point HELM at a newer Helm 3.');
  });

  it('every command has a timeout', () => {
    const bin = fakeBin({ version: { sleep: 5 } });
    const checks = runChecks(config(), systemProbe(envFor(bin), 300));
    const c = check(checks, 'MicroK8s installed');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /did not answer within 0\.3 s/);
  });
});

describe('doctor checks the storage backends in use, and only those', () => {
  const postgres = { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' };
  const backendConfig = (storage: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    parseConfig({ ...baseConfig(), storage, hubDatabase: postgres, ...extra }, 'test');
  const nfsCsi = () => backendConfig({ homes: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'nfs.example.org', share: '/export/jupyterhub' } });

  it('csi-driver-nfs: checks its CSIDriver, asks for no nfs or hostpath-storage addon, no provisioner or host directory', () => {
    const checks = run({ ...HEALTHY_128, ...STORAGE_132 }, nfsCsi());
    const c = check(checks, 'CSI driver nfs.csi.k8s.io');
    assert.equal(c.status, 'ok');
    for (const absent of [/^addon nfs$/, /^addon hostpath-storage$/, /^hostpath provisioner/, /^storage directory/, /helm3/]) {
      assert.equal(checks.find((x) => absent.test(x.name)), undefined, `${absent} in:\n${formatChecklist(checks)}`);
    }
    const missing = check(run({ ...HEALTHY_128, csiDriverNfs: { err: fx('v1.32/csidriver-nfs-not-found.stderr.txt'), code: 1 } }, nfsCsi()), 'CSI driver nfs.csi.k8s.io');
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /not installed: storage\.nfs\.setup csi-driver-nfs needs csi-driver-nfs/);
    // kubernetes-csi/csi-driver-nfs v4.13.4 charts/README.md: MicroK8s needs kubeletDir set to the snap's kubelet.
    assert.match(missing.fix!, /^helm repo add csi-driver-nfs https:\/\/raw\.githubusercontent\.com\/kubernetes-csi\/csi-driver-nfs\/master\/charts\n/);
    assert.match(missing.fix!, /helm install csi-driver-nfs csi-driver-nfs\/csi-driver-nfs --namespace kube-system --version 4\.13\.4 --set kubeletDir=\/var\/snap\/microk8s\/common\/var\/lib\/kubelet/);
  });

  it('the MicroK8s nfs addon: asks for the addon, not for csi-driver-nfs', () => {
    const checks = run(HEALTHY_128, backendConfig({ homes: 'nfs', nfs: { setup: 'microk8s-addon' } }));
    const addon = check(checks, 'addon nfs');
    // The recorded 1.28 status lists the community repository disabled, so none of its addons.
    assert.equal(addon.status, 'fail');
    assert.match(addon.detail, /community addons repository, which is not enabled/);
    assert.equal(addon.fix, 'microk8s enable community; microk8s enable nfs');
    assert.equal(checks.find((c) => /^CSI driver/.test(c.name)), undefined);
  });

  it('CephFS on the rook-ceph addon: the CephFilesystem and both CSI secrets the StorageClass names', () => {
    const cfg = backendConfig({}, { sharedData: { teamFolder: { type: 'backend', backend: 'cephfs' } } });
    const ok = run({ ...HEALTHY_128, ...STORAGE_132 }, cfg);
    assert.equal(check(ok, 'CephFilesystem rook-ceph/myfs').status, 'ok');
    const secrets = check(ok, 'Rook CSI secrets in rook-ceph');
    assert.equal(secrets.status, 'ok');
    assert.match(secrets.detail, /rook-csi-cephfs-provisioner and rook-csi-cephfs-node exist/);
    assert.equal(check(ok, 'addon rook-ceph').status, 'fail', 'the recorded 1.28 status has rook-ceph disabled');

    const noRook = run({ ...HEALTHY_128, cephfs: { err: fx('v1.32/cephfilesystems-no-crd.stderr.txt'), code: 1 },
      cephProvisionerSecret: { err: fx('v1.32/secret-provisioner-not-found.stderr.txt'), code: 1 },
      cephNodeSecret: { err: fx('v1.32/secret-node-not-found.stderr.txt'), code: 1 } }, cfg);
    const fsCheck = check(noRook, 'CephFilesystem rook-ceph/myfs');
    assert.equal(fsCheck.status, 'fail');
    assert.match(fsCheck.detail, /no CephFilesystem resource: Rook is not installed/);
    const missing = check(noRook, 'Rook CSI secrets in rook-ceph');
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /missing rook-csi-cephfs-provisioner and rook-csi-cephfs-node, which the CephFS StorageClass names/);

    const otherFs = check(run({ ...HEALTHY_128, ...STORAGE_132, cephfs: { err: fx('v1.32/cephfilesystem-not-found.stderr.txt'), code: 1 } }, cfg), 'CephFilesystem rook-ceph/myfs');
    assert.equal(otherFs.status, 'fail');
    assert.match(otherFs.detail, /must name a CephFilesystem in the CephCluster's namespace/);
  });

  it('CephFS on an external Ceph: secrets looked up in rook-ceph-external, no CephFilesystem (it lives outside)', () => {
    const cfg = backendConfig({ cephfs: { setup: 'external-ceph', fsName: 'cephfs', pool: 'cephfs.cephfs.data' } }, { sharedData: { teamFolder: { type: 'backend', backend: 'cephfs' } } });
    const checks = run({ ...HEALTHY_128, extProvisionerSecret: { err: fx('v1.32/secret-provisioner-not-found.stderr.txt'), code: 1 },
      extNodeSecret: { out: fx('v1.32/secret-rook-csi-cephfs-node.txt') } }, cfg);
    assert.equal(checks.find((c) => /^CephFilesystem/.test(c.name)), undefined);
    const c = check(checks, 'Rook CSI secrets in rook-ceph-external');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /^missing rook-csi-cephfs-provisioner,/);
    assert.match(c.fix!, /microk8s connect-external-ceph/);
  });

  it('never prints a Secret: only names are asked for', () => {
    for (const k of ['cephProvisionerSecret', 'cephNodeSecret', 'extProvisionerSecret', 'extNodeSecret'] as const) assert.match(CMD[k], /--output name$/);
  });
});

describe('doctor storage directory check', () => {
  it('missing directory: fix is sudo mkdir -p', () => {
    const dir = path.join(disk, 'does', 'not', 'exist');
    const c = check(run(HEALTHY_128, config({ storage: { hostDirectory: dir } })), `storage directory ${dir}`);
    assert.equal(c.status, 'fail');
    assert.equal(c.detail, 'does not exist');
    assert.equal(c.fix, `sudo mkdir -p ${dir}`);
  });

  it('a file instead of a directory fails', () => {
    const file = path.join(disk, 'a-file');
    fs.writeFileSync(file, '');
    const c = check(run(HEALTHY_128, config({ storage: { hostDirectory: file } })), /^storage directory/);
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /not a directory/);
  });

  it('reports free space; judges writability as the provisioner (root) would', () => {
    const cfg = config();
    const ok = check(run(HEALTHY_128, cfg), /^storage directory/);
    assert.equal(ok.status, 'ok');
    assert.match(ok.detail, /^a directory, writable; [\d.]+ [KMGTP]?i?B free$/);

    const bin = fakeBin(HEALTHY_128);
    const withDir = (d: Partial<DirectoryInfo>): Check => {
      const base: DirectoryInfo = { exists: true, isDirectory: true, writable: true, asRoot: false, freeBytes: 500 * 2 ** 30 };
      const probe: Probe = { ...systemProbe(envFor(bin)), directory: () => ({ ...base, ...d }) };
      return check(runChecks(cfg, probe), /^storage directory/);
    };
    const rootCannot = withDir({ writable: false, asRoot: true });
    assert.equal(rootCannot.status, 'fail');
    assert.match(rootCannot.detail, /not writable, even by root/);
    const userCannot = withDir({ writable: false, asRoot: false });
    assert.equal(userCannot.status, 'ok', 'a root-owned directory made with sudo mkdir is fine: the provisioner runs as root');
    assert.match(userCannot.detail, /not writable by you/);
    const readOnly = withDir({ readOnlyMount: '/srv' });
    assert.equal(readOnly.status, 'fail');
    assert.match(readOnly.fix!, /sudo mount -o remount,rw \/srv/);
    const full = withDir({ freeBytes: 2 * 2 ** 30 });
    assert.equal(full.status, 'warn');
    assert.match(full.detail, /only 2\.0 GiB free, less than one user home \(10Gi\) plus the hub database \(1Gi\)/);
  });

  it('a directory this (non-root) user cannot write to is reported, not failed', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root: every directory is writable');
      return;
    }
    const dir = storageDir();
    fs.chmodSync(dir, 0o555);
    const c = check(run(HEALTHY_128, config({ storage: { hostDirectory: dir } })), /^storage directory/);
    fs.chmodSync(dir, 0o755);
    assert.equal(c.status, 'ok');
    assert.match(c.detail, /not writable by you/);
  });
});

describe('doctor output and parsers', () => {
  it('prints each failure with its fix and exits 1 only on failures', () => {
    const dir = path.join(work, 'out');
    fs.mkdirSync(dir);
    const env = { HUB_CONFIG: writeConfig(dir, configInput()) };
    const bin = fakeBin(HEALTHY_128);
    const base = systemProbe(envFor(bin));
    const lines: string[] = [];
    const warnOnly: Probe = { ...base, directory: () => ({ exists: true, isDirectory: true, writable: true, asRoot: false, freeBytes: 1024 }) };
    assert.equal(doctor({ env, out: (l) => lines.push(l), probe: warnOnly }), 0);
    assert.match(lines.join('\n'), /^\[WARN\] storage directory .*\n {7}fix: free some space/m);
    const failing: Probe = { ...base, directory: () => ({ exists: false, isDirectory: false, writable: false, asRoot: false }) };
    lines.length = 0;
    assert.equal(doctor({ env, out: (l) => lines.push(l), probe: failing }), 1);
    assert.match(lines.join('\n'), /^\[FAIL\] storage directory .*: does not exist\n {7}fix: sudo mkdir -p /m);
  });

  it('parses the recorded status documents', () => {
    const healthy = parseMicrok8sStatus(fs.readFileSync(fx('v1.28/status-healthy.yaml'), 'utf8'))!;
    assert.equal(healthy.running, true);
    assert.equal(healthy.addons.get('metallb')?.status, 'enabled');
    assert.equal(healthy.addons.get('ingress')?.status, 'disabled');
    assert.equal(healthy.addons.get('rbac')?.version, undefined);
    const notReady = parseMicrok8sStatus(fs.readFileSync(fx('v1.28/status-not-ready.yaml'), 'utf8'))!;
    assert.equal(notReady.running, false);
    assert.match(notReady.message!, /microk8s is not running/);
    assert.equal(parseMicrok8sStatus(fs.readFileSync(fx('stopped.txt'), 'utf8')), undefined);
    assert.equal(parseMicrok8sStatus(fs.readFileSync(fx('v1.24/status-helm3-disabled.yaml'), 'utf8'))!.addons.get('helm3')?.status, 'disabled');
  });

  it('parses versions, MetalLB ranges and image tags', () => {
    assert.deepEqual(parseMicrok8sVersion('MicroK8s v1.28.3 revision 6089\n'), { major: 1, minor: 28, patch: 3, text: 'MicroK8s v1.28.3 revision 6089' });
    assert.equal(parseMicrok8sVersion('MicroK8s (unknown) revision (unknown)'), undefined);
    assert.deepEqual(parseMetalLbRange('192.168.1.240/24'), { first: 3232235776, last: 3232236031, text: '192.168.1.240/24' });
    assert.equal(parseMetalLbRange('192.168.1.240 - 192.168.1.250')?.last, 3232236026);
    assert.equal(parseMetalLbRange('fc00:f853:ccd:e799::/124'), undefined);
    assert.deepEqual(imageTagVersion('cdkbot/hostpath-provisioner:1.4.2'), [1, 4, 2]);
    assert.deepEqual(imageTagVersion('localhost:32000/hostpath-provisioner:v1.3.0'), [1, 3, 0]);
    assert.deepEqual(imageTagVersion('cdkbot/hostpath-provisioner:1.5'), [1, 5, 0]);
    assert.equal(imageTagVersion('cdkbot/hostpath-provisioner'), undefined);
  });

  it('finds a read-only mount from /proc/mounts text', () => {
    const mounts = [
      '/dev/sda2 / ext4 rw,relatime 0 0',
      '/dev/sdb1 /srv ext4 ro,relatime 0 0',
      '/dev/sdc1 /mnt/big\\040disk xfs rw,noatime 0 0',
      '/dev/sdd1 /mnt/old xfs ro 0 0',
      '/dev/sdd1 /mnt/old xfs rw 0 0',
    ].join('\n');
    assert.equal(readOnlyMountIn(mounts, '/srv/jupyterhub'), '/srv');
    assert.equal(readOnlyMountIn(mounts, '/srvx/jupyterhub'), undefined);
    assert.equal(readOnlyMountIn(mounts, '/mnt/big disk/jupyterhub'), undefined);
    assert.equal(readOnlyMountIn(mounts, '/mnt/old/jupyterhub'), undefined, 'the later rw mount hides the ro one');
  });
});

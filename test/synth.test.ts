/**
 * End to end: config -> dist/ against the fixture chart, asserting on the YAML that would reach
 * the cluster (issues: whole environment; re-appliable dist/).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { synthesize } from '../src/output/synth';
import { isClusterScoped } from '../src/output/kube-object';
import { isSecretFile } from '../src/output/manifests';
import {
  baseConfig, chartValuesFrom, find, FIXTURE_CHART, readObjects, ROOT, SENTINELS, snapshot, synthEnv, tmpdir, TLS_DIR, writeConfig,
} from './helpers';
import { resolveHelm } from '../src/hub/helm-binary';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function synthCase(name: string, config: unknown, extra: Record<string, string | undefined> = {}) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const env = synthEnv(dir, { HUB_CONFIG: config === undefined ? undefined : writeConfig(dir, config), ...extra });
  const result = synthesize({ env });
  return { dir, env, result, dist: path.join(dir, 'dist'), objects: readObjects(path.join(dir, 'dist')) };
}

describe('default config (src/config.ts)', () => {
  const r = synthCase('default', undefined);

  it('writes the numbered files kubectl applies in order, Secrets apart', () => {
    assert.deepEqual([...r.result.files.keys()], ['00-namespace.yaml', '01-cluster.yaml', '02-secrets.secret.yaml', '03-metallb.yaml', '10-jupyterhub.yaml', 'values/z2jh-values.yaml']);
    const ns = r.objects.filter((o) => o.object.kind === 'Namespace');
    assert.deepEqual(ns.map((o) => [o.file, o.object.metadata.name]), [['00-namespace.yaml', 'jupyterhub']]);
    for (const o of r.objects) {
      assert.equal(o.object.kind === 'Secret', isSecretFile(o.file), `${o.object.kind} ${o.object.metadata.name} in ${o.file}`);
    }
  });

  it('gives every namespaced object its namespace and no cluster object one', () => {
    for (const { object: o } of r.objects) {
      if (isClusterScoped(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else if (o.apiVersion.startsWith('metallb.io/')) assert.equal(o.metadata.namespace, 'metallb-system');
      else assert.equal(o.metadata.namespace, 'jupyterhub', `${o.kind}/${o.metadata.name}`);
    }
  });

  it('labels every object for pruning', () => {
    for (const { object: o } of r.objects) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'microk8s-jupyterhub', `${o.kind}/${o.metadata.name}`);
      assert.equal(o.metadata.labels?.['microk8s-jupyterhub/release'], 'jupyterhub');
    }
  });

  it('has no Helm hook objects and no Jobs', () => {
    for (const { object: o } of r.objects) {
      assert.equal(o.metadata.annotations?.['helm.sh/hook'], undefined, `${o.kind}/${o.metadata.name}`);
      assert.notEqual(o.kind, 'Job');
    }
    assert.equal(find(r.objects, 'DaemonSet', 'hook-image-puller'), undefined);
    assert.ok(find(r.objects, 'DaemonSet', 'continuous-image-puller'), 'continuous puller keeps images warm');
  });

  it('wires the Retain hostpath StorageClass into user homes and the hub database', () => {
    const sc = find(r.objects, 'StorageClass', 'jupyterhub-hostpath')!.object as any;
    assert.equal(sc.provisioner, 'microk8s.io/hostpath');
    assert.deepEqual(sc.parameters, { pvDir: '/srv/jupyterhub' });
    assert.equal(sc.reclaimPolicy, 'Retain');
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    const values = chartValuesFrom(r.objects);
    assert.equal(values.singleuser.storage.dynamic.storageClass, 'jupyterhub-hostpath');
    assert.equal(values.hub.db.pvc.storageClassName, 'jupyterhub-hostpath');
    const pvc = find(r.objects, 'PersistentVolumeClaim', 'hub-db-dir')!.object as any;
    assert.equal(pvc.spec.storageClassName, 'jupyterhub-hostpath');
  });

  it('pins proxy-public to the hub IP of the MetalLB pool', () => {
    const pool = find(r.objects, 'IPAddressPool', 'jupyterhub')!.object as any;
    assert.equal(pool.apiVersion, 'metallb.io/v1beta1');
    assert.deepEqual(pool.spec.addresses, ['192.168.1.240-192.168.1.250']);
    const l2 = find(r.objects, 'L2Advertisement', 'jupyterhub')!.object as any;
    assert.deepEqual(l2.spec.ipAddressPools, ['jupyterhub']);
    const svc = find(r.objects, 'Service', 'proxy-public')!.object as any;
    assert.equal(svc.spec.type, 'LoadBalancer');
    // One mechanism only: MetalLB v0.13.3/v0.14.9/v0.15.2 controller/service.go refuse a Service with
    // both spec.loadBalancerIP and the loadBalancerIPs annotation ("service can not have both").
    assert.equal(svc.spec.loadBalancerIP, undefined);
    assert.equal(svc.metadata.annotations['metallb.universe.tf/loadBalancerIPs'], '192.168.1.240');
  });

  it('configures Auth0 with a derived callback and the client secret only in a Secret', () => {
    const values = chartValuesFrom(r.objects);
    // An Auth0OAuthenticator subclass defined in extraConfig (test/hub-runtime.test.ts runs it).
    assert.match(values.hub.extraConfig['10-auth0-authenticator'], /^c\.JupyterHub\.authenticator_class = MicroK8sAuth0Authenticator$/m);
    const a = values.hub.config.Auth0OAuthenticator;
    assert.equal(a.oauth_callback_url, 'https://hub.example.org/hub/oauth_callback');
    assert.equal(a.auth0_domain, 'my-team.eu.auth0.com');
    assert.deepEqual(a.scope, ['openid', 'email']);
    assert.equal(a.allow_all, false);
    assert.deepEqual(values.hub.loadRoles['hub-admin'].users, ['admin@example.org'], 'admins: a role list, not admin_users');
    assert.equal(a.client_secret, undefined);
    assert.deepEqual(values.hub.extraEnv.OAUTH_CLIENT_SECRET, { valueFrom: { secretKeyRef: { name: 'auth0-client', key: 'client-secret' } } });
    const secret = find(r.objects, 'Secret', 'auth0-client')!;
    assert.equal(Buffer.from((secret.object as any).data['client-secret'], 'base64').toString(), SENTINELS.auth0);
    const hub = find(r.objects, 'Deployment', 'hub')!.object as any;
    const env = hub.spec.template.spec.containers[0].env as any[];
    assert.deepEqual(env.find((e) => e.name === 'OAUTH_CLIENT_SECRET').valueFrom.secretKeyRef, { name: 'auth0-client', key: 'client-secret' });
  });

  it('is byte-identical when synthesized again with the same secrets', () => {
    const before = snapshot(r.dist);
    synthesize({ env: r.env });
    assert.deepEqual(snapshot(r.dist), before);
  });

  it('keeps generated secrets in a 0600 store and out of every committed file', () => {
    const store = path.join(r.dir, 'secrets', 'jupyterhub.jupyterhub.json');
    assert.equal(fs.statSync(store).mode & 0o777, 0o600);
    const secrets = JSON.parse(fs.readFileSync(store, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(secrets).sort(), ['cookieSecret', 'cryptKeeperKey', 'proxySecretToken']);
    const values = chartValuesFrom(r.objects);
    assert.equal(values.proxy.secretToken, secrets.proxySecretToken);
    assert.equal(values.hub.cookieSecret, secrets.cookieSecret);
    assert.deepEqual(values.hub.config.CryptKeeper.keys, [secrets.cryptKeeperKey]);
    for (const [file, text] of snapshot(r.dist)) {
      if (isSecretFile(file)) continue;
      for (const s of [...Object.values(secrets), SENTINELS.auth0]) {
        assert.ok(!text.includes(s) && !text.includes(Buffer.from(s).toString('base64')), `secret leaked into ${file}`);
      }
    }
    assert.equal(fs.statSync(path.join(r.dist, '02-secrets.secret.yaml')).mode & 0o777, 0o600);
  });
});

describe('full example (examples/full.yaml)', () => {
  const dir = path.join(work, 'full');
  fs.mkdirSync(dir, { recursive: true });
  const env = synthEnv(dir, { HUB_CONFIG: path.join(ROOT, 'examples', 'full.yaml') });
  synthesize({ env });
  const objects = readObjects(path.join(dir, 'dist'));
  const values = chartValuesFrom(objects);

  it('builds the TLS Secret from the PEM files and points the proxy at it', () => {
    const tls = find(objects, 'Secret', 'team-hub-tls')!.object as any;
    assert.equal(tls.type, 'kubernetes.io/tls');
    assert.equal(tls.metadata.namespace, 'analytics');
    assert.equal(Buffer.from(tls.data['tls.crt'], 'base64').toString(), fs.readFileSync(path.join(TLS_DIR, 'hub.example.org.crt'), 'utf8'));
    assert.equal(Buffer.from(tls.data['tls.key'], 'base64').toString(), fs.readFileSync(path.join(TLS_DIR, 'hub.example.org.key'), 'utf8'));
    const https = values.proxy.https;
    assert.deepEqual([https.enabled, https.type, https.hosts], [true, 'secret', ['hub.example.org']]);
    assert.deepEqual(https.secret, { name: 'team-hub-tls', key: 'tls.key', crt: 'tls.crt' });
    const proxy = find(objects, 'Deployment', 'proxy')!.object as any;
    assert.ok(JSON.stringify(proxy.spec.template.spec.volumes).includes('team-hub-tls'));
  });

  it('uses every option: namespace, release, CIDR pool, own storage class, resources, cull', () => {
    const pool = find(objects, 'IPAddressPool', 'team-hub')!.object as any;
    assert.deepEqual(pool.spec.addresses, ['10.20.0.0/28']);
    assert.equal((find(objects, 'Service', 'proxy-public')!.object as any).metadata.annotations['metallb.universe.tf/loadBalancerIPs'], '10.20.0.5');
    const sc = find(objects, 'StorageClass', 'team-hub-homes')!.object as any;
    assert.deepEqual(sc.parameters, { pvDir: '/mnt/data/jupyterhub' });
    assert.equal(values.singleuser.storage.capacity, '20Gi');
    assert.equal(values.hub.db.pvc.storage, '2Gi');
    assert.deepEqual(values.singleuser.cpu, { guarantee: 1, limit: 4 });
    assert.deepEqual(values.singleuser.memory, { guarantee: 2e9, limit: 8e9 }, 'bytes, as KubeSpawner reads them');
    assert.deepEqual(values.cull, { ...values.cull, enabled: true, timeout: 7200 });
    assert.deepEqual(values.hub.config.Auth0OAuthenticator.scope, ['openid', 'email', 'profile']);
    const allow = find(objects, 'ConfigMap', 'auth0-allowlist')!.object as any;
    assert.equal(allow.data.allowed_users, 'analyst1@example.org\nanalyst2@example.org\n');
    assert.equal(values.hub.config.Auth0OAuthenticator.allowed_users, undefined, 'the allowlist is not in Helm values');
    assert.equal(values.Release.Name, 'team-hub');
    for (const { object: o } of objects) {
      if (!isClusterScoped(o.kind) && !o.apiVersion.startsWith('metallb.io/')) assert.equal(o.metadata.namespace, 'analytics');
    }
  });
});

describe('minimal example (examples/minimal.yaml)', () => {
  it('synthesizes with defaults for everything else', () => {
    const dir = path.join(work, 'minimal');
    fs.mkdirSync(dir, { recursive: true });
    synthesize({ env: synthEnv(dir, { HUB_CONFIG: path.join(ROOT, 'examples', 'minimal.yaml') }) });
    const objects = readObjects(path.join(dir, 'dist'));
    const values = chartValuesFrom(objects);
    assert.equal(values.proxy.https.type, 'letsencrypt');
    assert.equal(values.proxy.https.letsencrypt.contactEmail, 'admin@example.org');
    assert.equal(values.singleuser.storage.capacity, '10Gi');
    assert.ok(find(objects, 'Deployment', 'autohttps'), 'letsencrypt runs the autohttps pod');
  });
});

describe('storage for MicroK8s older than 1.25 (provisionerPatch)', () => {
  const cfg = { ...baseConfig(), storage: { method: 'provisionerPatch', hostDirectory: '/data/homes' } };
  const r = synthCase('patch', cfg);

  it('writes a strategic-merge patch apart from what kubectl apply -f dist/ reads', () => {
    assert.ok(r.result.files.has('patches/hostpath-provisioner.patch.yaml'));
    const [patch] = yaml.loadAll(r.result.files.get('patches/hostpath-provisioner.patch.yaml')!) as any[];
    assert.equal(patch.metadata.name, 'hostpath-provisioner');
    assert.equal(patch.metadata.namespace, 'kube-system');
    const c = patch.spec.template.spec.containers[0];
    assert.equal(c.name, 'hostpath-provisioner');
    assert.deepEqual(c.env, [{ name: 'PV_DIR', value: '/data/homes' }]);
    assert.deepEqual(c.volumeMounts, [{ name: 'pv-volume', mountPath: '/data/homes' }]);
    assert.deepEqual(patch.spec.template.spec.volumes, [{ name: 'pv-volume', hostPath: { path: '/data/homes' } }]);
    assert.equal(patch.spec.selector, undefined, 'a patch, not a replacement Deployment');
    assert.equal(patch.spec.template.spec.containers[0].image, undefined);
    assert.ok(r.objects.filter((o) => !o.file.includes('/')).every((o) => o.object.metadata.name !== 'hostpath-provisioner'));
  });

  it('still uses a Retain StorageClass, without pvDir', () => {
    const sc = find(r.objects, 'StorageClass', 'jupyterhub-hostpath')!.object as any;
    assert.equal(sc.parameters, undefined);
    assert.equal(sc.reclaimPolicy, 'Retain');
  });
});

describe('placeholder secrets (CI runners)', () => {
  it('are used on CI with no store, deterministic, marked, and write no store', () => {
    const a = synthCase('ph-a', baseConfig(), { HUB_SECRETS: undefined, CI: 'true', AUTH0_CLIENT_SECRET: undefined });
    const b = synthCase('ph-b', baseConfig(), { HUB_SECRETS: undefined, CI: 'true', AUTH0_CLIENT_SECRET: undefined });
    assert.deepEqual(snapshot(a.dist), snapshot(b.dist));
    assert.equal(fs.existsSync(path.join(a.dir, 'secrets')), false);
    assert.equal(a.result.placeholderReasons.length, 2);
    const values = chartValuesFrom(a.objects);
    assert.match(values.proxy.secretToken, /^PLACEHOLDER-NOT-DEPLOYABLE-/);
    for (const o of a.objects.filter((x) => x.object.kind === 'Secret')) {
      assert.equal(o.object.metadata.annotations?.['microk8s-jupyterhub/placeholder-secrets'], 'true');
    }
  });

  it('print a not-deployable warning from the synth command', () => {
    const dir = path.join(work, 'ph-cli');
    fs.mkdirSync(dir, { recursive: true });
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()), HUB_SECRETS: 'placeholder' });
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /NOT deployable/);
  });
});

describe('the fixture chart is as hostile as the real one', () => {
  it('generates new random secrets on every naive helm template', () => {
    const helm = resolveHelm().command;
    const render = () => spawnSync(helm, ['template', 'jupyterhub', FIXTURE_CHART, '--namespace', 'jupyterhub'], { encoding: 'utf8' }).stdout;
    const hubSecret = (text: string) => (yaml.loadAll(text) as any[]).find((o) => o?.kind === 'Secret' && o.metadata.name === 'hub');
    const a = hubSecret(render());
    const b = hubSecret(render());
    assert.notEqual(a.data['hub.config.ConfigurableHTTPProxy.auth_token'], b.data['hub.config.ConfigurableHTTPProxy.auth_token']);
    assert.notEqual(a.data['hub.config.JupyterHub.cookie_secret'], b.data['hub.config.JupyterHub.cookie_secret']);
    assert.notEqual(a.data['hub.config.CryptKeeper.keys'], b.data['hub.config.CryptKeeper.keys']);
    const text = render();
    assert.match(text, /helm\.sh\/hook/, 'hook objects by default');
    assert.match(text, /checksum\/secret/);
  });
});

describe('a failed synth', () => {
  it('leaves the previous dist/ exactly as it was', () => {
    const r = synthCase('keep', baseConfig());
    const before = snapshot(r.dist);
    const bad = { ...baseConfig(), loadBalancer: { addressPool: '192.168.1.240-192.168.1.250', hubIP: '10.0.0.1' } };
    assert.throws(() => synthesize({ env: { ...r.env, HUB_CONFIG: writeConfig(r.dir, bad, 'bad.yaml') } }), /loadBalancer\.hubIP/);
    assert.deepEqual(snapshot(r.dist), before);
    assert.deepEqual(fs.readdirSync(r.dir).filter((f) => f.startsWith('.dist-')), [], 'no temporary folders left');
  });
});

describe('data-move guard', () => {
  it('refuses a change of storage directory unless allowed', () => {
    const r = synthCase('move', baseConfig());
    const before = snapshot(r.dist);
    const moved = { ...baseConfig(), storage: { hostDirectory: '/mnt/other' } };
    const env = { ...r.env, HUB_CONFIG: writeConfig(r.dir, moved, 'moved.yaml') };
    assert.throws(() => synthesize({ env }), /hostDirectory: \/srv\/jupyterhub -> \/mnt\/other[\s\S]*HUB_ALLOW_DATA_MOVE=1/);
    assert.deepEqual(snapshot(r.dist), before);
    // pvDir is a StorageClass parameter, which the API server will not update: that needs its own go-ahead.
    assert.throws(() => synthesize({ env: { ...env, HUB_ALLOW_DATA_MOVE: '1' } }), /parameters\.pvDir: "\/srv\/jupyterhub" -> "\/mnt\/other"[\s\S]*HUB_ALLOW_STORAGE_CLASS_CHANGE=1/);
    synthesize({ env: { ...env, HUB_ALLOW_DATA_MOVE: '1', HUB_ALLOW_STORAGE_CLASS_CHANGE: '1' } });
    const sc = find(readObjects(r.dist), 'StorageClass', 'jupyterhub-hostpath')!.object as any;
    assert.equal(sc.parameters.pvDir, '/mnt/other');
  });

  it('refuses a change of storage class name: the hub database claim cannot change class', () => {
    const r = synthCase('move-sc', baseConfig());
    const moved = { ...baseConfig(), storage: { storageClassName: 'other-class' } };
    assert.throws(() => synthesize({ env: { ...r.env, HUB_CONFIG: writeConfig(r.dir, moved, 'moved.yaml') } }), /hub-db-dir:\n {4}spec\.storageClassName: "jupyterhub-hostpath" -> "other-class"/);
  });
});

describe('the commands users run', () => {
  it('npx cdk8s synth runs the app through the launcher and writes dist/ (staging listed by cdk8s)', () => {
    const dir = path.join(work, 'cdk8s-cli');
    fs.mkdirSync(dir, { recursive: true });
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    const r = spawnSync('npx', ['cdk8s', 'synth', '--no-check-upgrade'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Synthesized \d+ objects/, 'the summary reaches the user (cdk8s-cli swallows stdout)');
    assert.match(r.stdout, /\.cdk8s\.out\/10-jupyterhub\.yaml/);
    assert.ok(fs.existsSync(path.join(dir, 'dist', '10-jupyterhub.yaml')));
    assert.equal(fs.readFileSync(path.join(ROOT, '.cdk8s.out', '10-jupyterhub.yaml'), 'utf8'), fs.readFileSync(path.join(dir, 'dist', '10-jupyterhub.yaml'), 'utf8'));
    const before = snapshot(path.join(dir, 'dist'));
    const bad = spawnSync('npx', ['cdk8s', 'synth', '--no-check-upgrade'], {
      cwd: ROOT, env: { ...env, HUB_CONFIG: writeConfig(dir, { ...baseConfig(), auth0: { ...baseConfig().auth0, domain: 'https://x.auth0.com' } }, 'bad.yaml') }, encoding: 'utf8', timeout: 120_000,
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /auth0\.domain = "https:\/\/x\.auth0\.com"/);
    assert.doesNotMatch(bad.stderr, /^\s+at /m, 'no stack trace, not even from cdk8s-cli');
    assert.deepEqual(snapshot(path.join(dir, 'dist')), before);
  });

  it('a bad config through the launcher: exit 1, the path, no stack trace', () => {
    const dir = path.join(work, 'launch-bad');
    fs.mkdirSync(dir, { recursive: true });
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, { ...baseConfig(), domain: 'not a domain' }) });
    const r = spawnSync(process.execPath, [path.join(ROOT, 'src', 'launch.mjs'), 'src/main.ts'], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^  domain = "not a domain"$/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});

describe('an interrupted swap', () => {
  it('is repaired by the next synth: the previous dist/ comes back before anything is compared', () => {
    const r = synthCase('swap', baseConfig());
    const before = snapshot(r.dist);
    fs.renameSync(r.dist, path.join(r.dir, '.dist-old-crashed'));
    const moved = { ...baseConfig(), storage: { hostDirectory: '/mnt/elsewhere' } };
    assert.throws(() => synthesize({ env: { ...r.env, HUB_CONFIG: writeConfig(r.dir, moved, 'moved.yaml') } }), /hostDirectory/, 'the data-move guard still sees the old dist/');
    assert.deepEqual(snapshot(r.dist), before);
  });
});

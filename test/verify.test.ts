/**
 * `npm run verify` against a real Kubernetes API server (envtest) holding a real dist/, with the
 * controllers' parts played through the API (Deployment/DaemonSet/PVC/Service status written via
 * the status subresource as the kubelet, controllers and MetalLB would; Events created as they
 * would), and a local HTTPS server standing in for the hub and its Auth0 redirect (127.0.0.1
 * only, certificates made here with openssl).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load';
import type { HubConfig } from '../src/config/schema';
import { synthesize } from '../src/output/synth';
import { checkLoadBalancer, CheckLine, formatChecklist } from '../src/tools/verify/checks';
import { kubectlRunner } from '../src/tools/verify/probe';
import { main, parseAddress, verifyHub } from '../src/tools/verify';
import { baseConfig, synthEnv, tmpdir, writeConfig } from './helpers';
import { ControlPlane, envtestSkipReason, kubectl, kubectlBinary, kubectlOk, startControlPlane } from './support/envtest';

const OPENSSL = fs.existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : 'openssl';
const NS = 'verify-hub';
const HUB_IP = '192.168.1.241';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync(OPENSSL, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A private CA and leaf certificates for the stand-in hub (one valid, one for another host, one expired). */
function makePki(dir: string): { ca: string; leaf: (name: string) => { key: string; cert: string } } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/O=Verify Test CA/CN=Verify Test CA'], dir);
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = d', '[d]', `dir = ${dir}`, `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`,
    'default_md = sha256', 'policy = p', 'copy_extensions = copy', 'unique_subject = no', '[p]', 'commonName = supplied', '',
  ].join('\n'));
  const make = (host: string, file: string, dates: string[]) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`], dir);
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', `${file}.csr`, '-out', `${file}.crt`, '-notext', ...dates], dir);
  };
  make('hub.example.org', 'good', ['-days', '20']);
  make('other.example.org', 'other', ['-days', '20']);
  make('hub.example.org', 'expired', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { ca: read('ca.crt'), leaf: (name) => ({ key: read(`${name}.key`), cert: read(`${name}.crt`) }) };
}

/** The hub as seen from outside: /hub/health and the Auth0 login redirect. */
interface StandIn {
  port: number;
  callback: string;
  use(cert: { key: string; cert: string }): void;
  close(): Promise<void>;
}

async function startStandIn(initial: { key: string; cert: string }): Promise<StandIn> {
  const state = { callback: 'https://hub.example.org/hub/oauth_callback' };
  const server = https.createServer({ ...initial }, (req, res) => {
    if (req.url === '/hub/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else if (req.url === '/hub/oauth_login') {
      const q = new URLSearchParams({ response_type: 'code', redirect_uri: state.callback, client_id: 'abc123', state: 'x' });
      res.writeHead(302, { location: `https://team.eu.auth0.com/authorize?${q}` }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get callback() { return state.callback; },
    set callback(v: string) { state.callback = v; },
    use(cert) { server.setSecureContext(cert); },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const skip = envtestSkipReason();

describe('npm run verify against a real API server and a stand-in hub', { skip }, () => {
  let plane: ControlPlane;
  let work: string;
  let config: HubConfig;
  let pki: ReturnType<typeof makePki>;
  let hub: StandIn;
  let kc: string;

  const k = (args: string[], input?: string) => kubectlOk(kc, args, input);
  const patchStatus = (resource: string, name: string, status: unknown) =>
    k(['patch', resource, name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  const event = (name: string, kind: string, object: string, type: string, reason: string, message: string) => k(['create', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: NS },
    involvedObject: { kind, name: object, namespace: NS, apiVersion: 'v1' }, reason, message, type,
    firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(), count: 1, source: { component: 'test' },
  }));
  const healthy = () => {
    for (const d of ['hub', 'proxy']) patchStatus('deployment', d, { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    patchStatus('daemonset', 'continuous-image-puller', { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1, numberAvailable: 1 });
    patchStatus('persistentvolumeclaim', 'hub-db-dir', { phase: 'Bound' });
    patchStatus('service', 'proxy-public', { loadBalancer: { ingress: [{ ip: HUB_IP }] } });
    kubectl(kc, ['delete', 'events,pods', '--all', '-n', NS, '--wait=false']);
    hub.use(pki.leaf('good'));
    hub.callback = 'https://hub.example.org/hub/oauth_callback';
  };
  const run = (resolveTo: string[] = [HUB_IP]) => verifyHub({
    config,
    kubectl: kubectlRunner([kubectlBinary()!, '--kubeconfig', kc], 30_000),
    address: { host: '127.0.0.1', port: hub.port },
    ca: pki.ca,
    resolve: async () => resolveTo,
    timeoutMs: 5_000,
  });
  const line = (lines: CheckLine[], id: string) => {
    const l = lines.find((x) => x.id === id);
    assert.ok(l, `no line ${id} in:\n${formatChecklist(lines)}`);
    return l;
  };
  const failures = (lines: CheckLine[]) => lines.filter((l) => l.status === 'fail').map((l) => l.id);

  before(async () => {
    // Its own control plane: the MetalLB CRDs installed here must not clash with other test files'.
    work = tmpdir('mk8s-jh-verify-');
    plane = startControlPlane(path.join(work, 'envtest'));
    kc = plane.kubeconfig;
    const input = {
      ...baseConfig(), namespace: NS,
      tls: { mode: 'secret', certFile: path.join(__dirname, 'fixtures', 'tls', 'hub.example.org.crt'), keyFile: path.join(__dirname, 'fixtures', 'tls', 'hub.example.org.key') },
    };
    const file = writeConfig(work, input);
    config = parseConfig(input, file);
    await synthesize({ env: synthEnv(work, { HUB_CONFIG: file }) });
    const crds = path.resolve(__dirname, '..', '..', 'shared', 'reference', 'microk8s-addons', 'metallb-v0.13.3-crds.yaml');
    k(['apply', '--server-side', '-f', crds]);
    k(['create', 'namespace', 'metallb-system']);
    k(['wait', '--for=condition=Established', 'crd/ipaddresspools.metallb.io', '--timeout=60s']);
    k(['apply', '--server-side', '-f', path.join(work, 'dist')]);
    pki = makePki(fs.mkdtempSync(path.join(work, 'pki-')));
    hub = await startStandIn(pki.leaf('good'));
  });
  after(async () => {
    await hub?.close();
    plane?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('passes on a healthy hub, and prints the Auth0 settings to tick off', async (t) => {
    healthy();
    const lines = await run();
    t.diagnostic(formatChecklist(lines));
    assert.deepEqual(failures(lines), [], formatChecklist(lines));
    assert.equal(line(lines, 'loadbalancer:proxy-public').status, 'pass');
    assert.equal(line(lines, 'dns').status, 'pass');
    assert.match(line(lines, 'tls').title, /issued by Verify Test CA/);
    assert.equal(line(lines, 'hub:oauth_login').status, 'pass');
    assert.match(line(lines, 'auth0:callback').title, /https:\/\/hub\.example\.org\/hub\/oauth_callback/);
    assert.equal(line(lines, 'workload:Deployment/hub').status, 'pass');
  });

  it('names MetalLB\'s refusal when proxy-public stays <pending>', async (t) => {
    healthy();
    patchStatus('service', 'proxy-public', { loadBalancer: { ingress: null } });
    // MetalLB v0.13.3 controller/service.go records this event reason when it cannot assign.
    event('pp-alloc', 'Service', 'proxy-public', 'Warning', 'AllocationFailed', 'Failed to allocate IP for "verify-hub/proxy-public": no available IPs');
    const lines = await run();
    t.diagnostic(formatChecklist(lines));
    const lb = line(lines, 'loadbalancer:proxy-public');
    assert.equal(lb.status, 'fail');
    assert.match(lb.title, /<pending>/);
    assert.match(lb.details!.join('\n'), /AllocationFailed: Failed to allocate IP/);
    // The pool dist/ brings holds the hub IP, so the cause is MetalLB's own message.
    assert.match(lb.fix!, /MetalLB could not allocate: Failed to allocate IP/);
  });

  it('says the pool is missing when no IPAddressPool holds the hub IP', async () => {
    healthy();
    patchStatus('service', 'proxy-public', { loadBalancer: { ingress: null } });
    const pools = JSON.parse(k(['get', 'ipaddresspools.metallb.io', '-n', 'metallb-system', '-o', 'json'])).items;
    k(['delete', 'ipaddresspools.metallb.io', '--all', '-n', 'metallb-system']);
    try {
      const lb = line(await run(), 'loadbalancer:proxy-public');
      assert.equal(lb.status, 'fail');
      assert.match(lb.fix!, new RegExp(`no IPAddressPool in metallb-system contains ${HUB_IP.replace(/\./g, '\\.')}`));
    } finally {
      for (const p of pools) k(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: p.apiVersion, kind: p.kind, metadata: { name: p.metadata.name, namespace: 'metallb-system', labels: p.metadata.labels }, spec: p.spec }));
    }
  });

  it('fails on a wrong external IP', async () => {
    healthy();
    patchStatus('service', 'proxy-public', { loadBalancer: { ingress: [{ ip: '192.168.1.250' }] } });
    const lb = line(await run(), 'loadbalancer:proxy-public');
    assert.equal(lb.status, 'fail');
    assert.match(lb.title, /has external IP 192\.168\.1\.250, not loadBalancer\.hubIP 192\.168\.1\.241/);
  });

  it('fails on a certificate for another host', async () => {
    healthy();
    hub.use(pki.leaf('other'));
    const t = line(await run(), 'tls');
    assert.equal(t.status, 'fail');
    assert.match(t.title, /does not cover hub\.example\.org/);
    assert.match(t.details!.join(' '), /other\.example\.org/);
  });

  it('fails on an expired certificate', async () => {
    healthy();
    hub.use(pki.leaf('expired'));
    const t = line(await run(), 'tls');
    assert.equal(t.status, 'fail');
    assert.match(t.title, /has expired/);
  });

  it('fails when the login redirect carries another callback URL', async () => {
    healthy();
    hub.callback = 'https://old-name.example.org/hub/oauth_callback';
    const l = line(await run(), 'hub:oauth_login');
    assert.equal(l.status, 'fail');
    assert.match(l.details!.join('\n'), /redirect_uri \(callback URL\) is "https:\/\/old-name\.example\.org\/hub\/oauth_callback", expected "https:\/\/hub\.example\.org\/hub\/oauth_callback"/);
  });

  it('names ImagePullBackOff of a pod that keeps the hub unavailable', async (t) => {
    healthy();
    patchStatus('deployment', 'hub', { replicas: 1, updatedReplicas: 1, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 1 });
    const dep = JSON.parse(k(['get', 'deployment', 'hub', '-n', NS, '-o', 'json']));
    k(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'hub-7d9f-abcde', namespace: NS, labels: dep.spec.selector.matchLabels },
      spec: { containers: [{ name: 'hub', image: 'quay.io/jupyterhub/k8s-hub:9.9.9-missing' }] },
    }));
    patchStatus('pod', 'hub-7d9f-abcde', {
      phase: 'Pending',
      containerStatuses: [{ name: 'hub', ready: false, restartCount: 0, image: 'quay.io/jupyterhub/k8s-hub:9.9.9-missing', imageID: '',
        state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "quay.io/jupyterhub/k8s-hub:9.9.9-missing"' } } }],
    });
    event('hub-pull', 'Pod', 'hub-7d9f-abcde', 'Warning', 'Failed', 'Failed to pull image "quay.io/jupyterhub/k8s-hub:9.9.9-missing": not found');
    const lines = await run();
    t.diagnostic(formatChecklist(lines));
    const w = line(lines, 'workload:Deployment/hub');
    assert.equal(w.status, 'fail');
    assert.match(w.title, /0\/1 available/);
    assert.match(w.details!.join('\n'), /pod hub-7d9f-abcde: container hub: ImagePullBackOff/);
    assert.match(w.details!.join('\n'), /Failed to pull image/);
    assert.match(w.fix!, /cannot pull the image/);
  });

  it('names a PVC that does not bind, with its storage class', async () => {
    healthy();
    patchStatus('persistentvolumeclaim', 'hub-db-dir', { phase: 'Pending' });
    event('db-prov', 'PersistentVolumeClaim', 'hub-db-dir', 'Warning', 'ProvisioningFailed', 'storageclass.storage.k8s.io "jupyterhub-hostpath" not found');
    const lines = await run();
    const p = line(lines, 'pvc:hub-db-dir');
    assert.equal(p.status, 'fail');
    const sc = JSON.parse(k(['get', 'pvc', 'hub-db-dir', '-n', NS, '-o', 'json'])).spec.storageClassName;
    assert.match(p.title, new RegExp(`Pending \\(storage class ${sc}\\)`));
    assert.match(p.details!.join('\n'), /ProvisioningFailed/);
    assert.match(p.fix!, /npm run doctor/);
  });

  it('the CLI prints the checklist and exits 1 on a failure, 0 when healthy; --json for scripts', async () => {
    healthy();
    const file = path.join(work, 'config.yaml');
    const env = { ...synthEnv(work, { HUB_CONFIG: file }), KUBECTL: `${kubectlBinary()} --kubeconfig ${kc}` };
    let text = '';
    // DNS of hub.example.org does not point at the hub from here: a warning, not a failure.
    const code = await main(['--address', `127.0.0.1:${hub.port}`, '--ca', path.join(work, 'missing-ca.crt')], env, (s) => { text += s; })
      .catch((e: Error & { exitCode?: number }) => e.exitCode);
    assert.equal(code, 2);
    const ca = path.join(work, 'ca.crt');
    fs.writeFileSync(ca, pki.ca);
    text = '';
    assert.equal(await main(['--address', `127.0.0.1:${hub.port}`, '--ca', ca], env, (s) => { text += s; }), 0, text);
    assert.match(text, /\[ok\]\s+proxy-public has external IP 192\.168\.1\.241/);
    patchStatus('service', 'proxy-public', { loadBalancer: { ingress: null } });
    text = '';
    assert.equal(await main(['--json', '--address', `127.0.0.1:${hub.port}`, '--ca', ca], env, (s) => { text += s; }), 1);
    const report = JSON.parse(text);
    assert.equal(report.ok, false);
    assert.equal(report.checks.find((c: CheckLine) => c.id === 'loadbalancer:proxy-public').status, 'fail');
  });
});

describe('verify diagnoses (pure)', () => {
  const svc = (annotations: Record<string, string>, spec: Record<string, unknown>) => ({
    metadata: { name: 'proxy-public', annotations }, spec: { type: 'LoadBalancer', ...spec }, status: { loadBalancer: {} },
  });
  it('names a Service that asks for its IP in two ways (MetalLB refuses it)', () => {
    // metallb/metallb v0.13.3 controller/service.go: lbIPsFromService returns "service can not have
    // both metallb.universe.tf/loadBalancerIPs and svc.Spec.LoadBalancerIP", reported as event
    // LoadBalancerFailed "invalid requested loadbalancer IPs: ...".
    const l = checkLoadBalancer({
      service: svc({ 'metallb.universe.tf/loadBalancerIPs': HUB_IP }, { loadBalancerIP: HUB_IP }),
      events: [{ involvedObject: { kind: 'Service', name: 'proxy-public' }, type: 'Warning', reason: 'LoadBalancerFailed', message: 'invalid requested loadbalancer IPs: service can not have both metallb.universe.tf/loadBalancerIPs and svc.Spec.LoadBalancerIP' }],
      pools: [{ metadata: { name: 'jupyterhub' }, spec: { addresses: ['192.168.1.240-192.168.1.250'] } }],
      hubIP: HUB_IP, namespace: NS,
    });
    assert.equal(l.status, 'fail');
    assert.match(l.fix!, /sets both spec\.loadBalancerIP and a loadBalancerIPs annotation/);
    assert.match(l.details!.join('\n'), /LoadBalancerFailed/);
  });
  it('says MetalLB is not installed when its resource types are missing, and names overlapping pools', () => {
    const none = checkLoadBalancer({ service: svc({ 'metallb.universe.tf/loadBalancerIPs': HUB_IP }, {}), events: [], pools: undefined, hubIP: HUB_IP, namespace: NS });
    assert.match(none.fix!, /MetalLB is not installed/);
    const overlap = checkLoadBalancer({
      service: svc({}, {}), events: [], hubIP: HUB_IP, namespace: NS,
      pools: [{ metadata: { name: 'default-addresspool' }, spec: { addresses: ['192.168.1.200/24'] } }, { metadata: { name: 'jupyterhub' }, spec: { addresses: ['192.168.1.240-192.168.1.250'] } }],
    });
    assert.match(overlap.fix!, /pools overlap \(default-addresspool and jupyterhub\)/);
  });
});

describe('verify options', () => {
  it('reads HOST[:PORT] and refuses anything else with exit 2', () => {
    assert.deepEqual(parseAddress('192.168.1.240'), { host: '192.168.1.240', port: undefined });
    assert.deepEqual(parseAddress('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
    assert.throws(() => parseAddress('127.0.0.1:99999'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /port must be/.test(e.message));
  });
});

/**
 * What `npm run verify` reads: the live cluster through kubectl (read-only `get` calls), DNS,
 * and the hub over HTTPS from outside. Every reader returns data or an Error, never throws for a
 * failure of the thing being checked, and is bounded by a timeout.
 */
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { describeFailure, run } from '../../util/command';
import { UserError } from '../../util/errors';
import type { HttpAnswer, KEvent, KObject, ServedCertificate } from './checks';

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one kubectl command (argv, no shell). */
export type KubectlRunner = (args: readonly string[]) => Promise<KubectlResult>;

export function kubectlRunner(base: readonly string[], timeoutMs: number): KubectlRunner {
  return async (args) => {
    const r = await run([...base, ...args], { timeoutMs });
    if (r.failure) return { status: r.failure.kind === 'timeout' ? 124 : 127, stdout: r.stdout, stderr: describeFailure(r) };
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
}

async function getList(run: KubectlRunner, args: readonly string[]): Promise<KObject[]> {
  const r = await run(['get', ...args, '--output', 'json']);
  if (r.status !== 0) throw new ClusterReadError(args, r.stderr.trim());
  return ((JSON.parse(r.stdout) as { items?: KObject[] }).items ?? []);
}

export class ClusterReadError extends Error {
  constructor(readonly args: readonly string[], readonly stderr: string) {
    super(`kubectl get ${args.join(' ')}: ${stderr.split('\n')[0] || 'failed'}`);
  }
}

export interface ClusterState {
  readonly workloads: KObject[];
  readonly pods: KObject[];
  readonly pvcs: KObject[];
  readonly events: KEvent[];
  readonly service?: KObject;
  /** undefined when the MetalLB CRDs are not installed. */
  readonly pools?: KObject[];
}

/** Reads what the checks need from the hub's namespace and metallb-system. */
export async function readCluster(run: KubectlRunner, namespace: string): Promise<ClusterState> {
  const reach = await run(['version', '--output', 'json']);
  if (reach.status !== 0) {
    throw new UserError(`Cannot reach the cluster: ${reach.stderr.trim().split('\n').pop() || `kubectl exit ${reach.status}`}\n` +
      'Fix: is MicroK8s running (`microk8s status --wait-ready`)? Or set KUBECTL to the kubectl command of your cluster.');
  }
  const ns = ['--namespace', namespace];
  let lists: [KObject[], KObject[], KObject[], KEvent[]];
  try {
    lists = await Promise.all([
      getList(run, ['deployments.apps,daemonsets.apps,statefulsets.apps', ...ns]),
      getList(run, ['pods', ...ns]),
      getList(run, ['persistentvolumeclaims', ...ns]),
      getList(run, ['events', ...ns]) as Promise<KEvent[]>,
    ]);
  } catch (err) {
    if (err instanceof ClusterReadError) {
      throw new UserError(`Cannot read the hub's objects: ${err.message}\nFix: verify needs read access to namespace ${namespace} and metallb-system (the MicroK8s admin kubeconfig has it).`);
    }
    throw err;
  }
  const [workloads, pods, pvcs, events] = lists;
  const svc = await run(['get', 'service', 'proxy-public', ...ns, '--output', 'json']);
  const service = svc.status === 0 ? (JSON.parse(svc.stdout) as KObject) : undefined;
  let pools: KObject[] | undefined;
  try {
    pools = await getList(run, ['ipaddresspools.metallb.io', '--namespace', 'metallb-system']);
  } catch (err) {
    if (!(err instanceof ClusterReadError && /doesn't have a resource type|the server could not find the requested resource/i.test(err.stderr))) throw err;
  }
  return { workloads, pods, pvcs, events, service, pools };
}

/** The addresses a name resolves to, or the resolver's error. */
export type Resolver = (name: string) => Promise<string[]>;

export const systemResolver: Resolver = async (name) => (await dns.promises.lookup(name, { all: true, family: 4 })).map((a) => a.address);

export async function resolveName(resolve: Resolver, name: string): Promise<string[] | Error> {
  try {
    return await resolve(name);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export interface Endpoint {
  /** Where to connect (the hub IP, or --address). */
  readonly host: string;
  readonly port: number;
  /** The name the hub serves (SNI and Host header). */
  readonly servername: string;
  /** Extra CA certificates (PEM) to trust besides the system's. */
  readonly ca?: string;
  readonly timeoutMs: number;
}

/** The certificate served at the endpoint, checked against the system's roots (+ `ca`). */
export function servedCertificate(e: Endpoint): Promise<ServedCertificate | Error> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: e.host, port: e.port, servername: e.servername,
      ca: e.ca ? [...tls.rootCertificates, e.ca] : undefined,
      // Read the certificate even when it is bad: the check says what is wrong with it.
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => { socket.destroy(); resolve(new Error(`no answer within ${e.timeoutMs / 1000} s`)); }, e.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const c = socket.getPeerCertificate();
      const trustError = socket.authorized ? undefined : String(socket.authorizationError ?? 'not trusted');
      socket.end();
      if (!c || !c.valid_to) {
        resolve(new Error('no certificate served'));
        return;
      }
      const identity = tls.checkServerIdentity(e.servername, c);
      const issuer = [...new Set([c.issuer?.O, c.issuer?.CN].filter(Boolean))].join(', ') || 'unknown issuer';
      resolve({
        subjectCN: typeof c.subject?.CN === 'string' ? c.subject.CN : undefined,
        issuer,
        validFrom: new Date(c.valid_from),
        validTo: new Date(c.valid_to),
        identityError: identity ? identity.message : undefined,
        // An expired or wrong-host certificate is reported by those checks, not as "untrusted".
        trustError: trustError && !/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/.test(trustError) ? trustError : undefined,
        altNames: c.subjectaltname,
      });
    });
    socket.once('error', (err) => { clearTimeout(timer); resolve(err); });
  });
}

/** One GET, no redirects followed: status and Location. */
export function get(e: Endpoint, path: string, secure: boolean): Promise<HttpAnswer | Error> {
  return new Promise((resolve) => {
    const opts = {
      host: e.host, port: e.port, path, method: 'GET',
      headers: { Host: e.servername, 'User-Agent': 'microk8s-jupyterhub-verify' },
      servername: e.servername, rejectUnauthorized: false, timeout: e.timeoutMs,
    };
    const req = (secure ? https : http).request(opts, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: typeof res.headers.location === 'string' ? res.headers.location : undefined });
    });
    req.once('timeout', () => { req.destroy(new Error(`no answer within ${e.timeoutMs / 1000} s`)); });
    req.once('error', (err) => resolve(err));
    req.end();
  });
}

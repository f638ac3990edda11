/**
 * What the envtest tests share: a control plane of their own with one MetalLB CRD set installed
 * as MicroK8s's metallb addon does (CRDs + namespace metallb-system), synth of a config into a
 * folder, kubectl against it, and `npm run deploy` run as a user runs it.
 *
 * MetalLB's CRDs are cluster-scoped and differ between the versions MicroK8s installs, so each
 * CRD set gets a control plane of its own (not the shared one `npm test` starts, which other
 * test files use at the same time).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MetalLbVersion } from '../../src/cluster/microk8s-release';
import { synthesize, SynthResult } from '../../src/output/synth';
import { runTs, synthEnv, tmpdir, writeConfig } from '../helpers';
import { CONTROL_PLANE_SCRIPT, ControlPlane, envtestSkipReason, kubectl, kubectlBinary, kubectlOk, SHARED, startControlPlane } from './envtest';

export const CRD_DIR = path.join(SHARED, 'reference', 'microk8s-addons');

/** Why these tests cannot run here, or undefined. */
export function ownPlaneSkipReason(): string | undefined {
  const base = envtestSkipReason();
  if (base) return base;
  if (!fs.existsSync(CONTROL_PLANE_SCRIPT)) return `no envtest control-plane script at ${CONTROL_PLANE_SCRIPT} (../shared is absent): a control plane per MetalLB CRD set is needed`;
  if (!fs.existsSync(path.join(CRD_DIR, 'metallb-v0.13.3-crds.yaml'))) return `no MetalLB CRDs in ${CRD_DIR} (../shared is absent)`;
  return undefined;
}

export interface Cluster {
  readonly kubeconfig: string;
  /** kubectl; throws with stderr on failure. */
  ok(args: readonly string[], input?: string): string;
  /** kubectl; returns status and output. */
  run(args: readonly string[], input?: string): { status: number; stdout: string; stderr: string };
  /** `get -o json` of one object, or undefined when it does not exist. */
  get(resource: string, name: string, namespace?: string): any;
  stop(): void;
}

/**
 * The control-plane script picks the first free ports, so two planes starting at once (test
 * files run in parallel; other checkouts on the machine) can race for one port: try again.
 */
function startWithRetry(version: string): ControlPlane {
  for (let attempt = 1; ; attempt++) {
    try {
      return startControlPlane(fs.mkdtempSync(path.join(os.tmpdir(), `mk8s-jh-envtest-${version}-`)));
    } catch (err) {
      if (attempt >= 4 || !/address already in use/.test(String(err))) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500 + Math.floor(Math.random() * 2000));
    }
  }
}

/** A fresh control plane with MetalLB `version`'s CRDs and the metallb-system namespace. */
export function clusterWithMetalLb(version: MetalLbVersion): Cluster {
  const plane = startWithRetry(version);
  const kc = plane.kubeconfig;
  const c: Cluster = {
    kubeconfig: kc,
    ok: (args, input) => kubectlOk(kc, args, input),
    run: (args, input) => {
      const r = kubectl(kc, args, input);
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    get: (resource, name, namespace) => {
      const r = kubectl(kc, ['get', resource, name, ...(namespace ? ['--namespace', namespace] : []), '--output', 'json']);
      return r.status === 0 ? JSON.parse(r.stdout) : undefined;
    },
    stop: () => plane.stop(),
  };
  try {
    c.ok(['apply', '--server-side', '--filename', path.join(CRD_DIR, `metallb-${version}-crds.yaml`)]);
    c.ok(['create', 'namespace', 'metallb-system']);
    // CRDs serve a moment after they are created (discovery): wait until the kinds are usable.
    for (let i = 0; ; i++) {
      if (c.run(['get', 'ipaddresspools.metallb.io,l2advertisements.metallb.io', '--all-namespaces']).status === 0) break;
      if (i > 100) throw new Error(`MetalLB ${version} CRDs never became usable`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  } catch (err) {
    plane.stop();
    throw err;
  }
  return c;
}

/**
 * Removes every object the hub in `namespace` put there (its label), PVCs included (their
 * pvc-protection finalizer is cleared: envtest runs no controller), so that another example with
 * the same namespace starts fresh. The Namespace stays (envtest cannot finish deleting one).
 */
export function removeHub(c: Cluster, namespace: string): void {
  const selector = `microk8s-jupyterhub/hub-namespace=${namespace}`;
  const pvcs = JSON.parse(c.ok(['get', 'persistentvolumeclaims', '--all-namespaces', '--selector', selector, '--output', 'json'])).items as any[];
  for (const pvc of pvcs) c.ok(['patch', 'persistentvolumeclaim', pvc.metadata.name, '--namespace', pvc.metadata.namespace, '--type', 'merge', '--patch', '{"metadata":{"finalizers":null}}']);
  c.ok(['delete', 'configmaps,secrets,services,serviceaccounts,deployments.apps,daemonsets.apps,statefulsets.apps,roles,rolebindings,networkpolicies,' +
    'poddisruptionbudgets,persistentvolumeclaims,ipaddresspools.metallb.io,l2advertisements.metallb.io', '--all-namespaces', '--selector', selector, '--wait=false']);
  c.ok(['delete', 'clusterroles,clusterrolebindings,priorityclasses,storageclasses,persistentvolumes', '--selector', selector, '--wait=false']);
}

export interface Synthesized {
  readonly dir: string;
  readonly dist: string;
  readonly env: NodeJS.ProcessEnv;
  readonly result: SynthResult;
}

/** Synthesizes `config` (an object, or a path to a YAML file) with the fixture chart into a new folder under `work`. */
export function synthTo(work: string, name: string, config: unknown, extra: Record<string, string | undefined> = {}): Synthesized {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const hubConfig = typeof config === 'string' ? config : writeConfig(dir, config);
  const env = synthEnv(dir, { HUB_CONFIG: hubConfig, HUB_DB_PASSWORD: 'SENTINEL-hub-db-password-31', ...extra });
  const result = synthesize({ env });
  return { dir, dist: path.join(dir, 'dist'), env, result };
}

/** Synthesizes again into the same folder (same secret store), as a user changing the config does. */
export function resynth(s: Synthesized, config: unknown, extra: Record<string, string | undefined> = {}): Synthesized {
  const env = { ...s.env, HUB_CONFIG: writeConfig(s.dir, config, `config-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`), ...extra };
  return { ...s, env, result: synthesize({ env }) };
}

/** `npm run deploy` against the cluster, as a user runs it (KUBECTL names the bundled kubectl). */
export function deployTo(c: Cluster, s: Synthesized, args: readonly string[] = []) {
  const kubectlCmd = `'${kubectlBinary()}' --kubeconfig '${c.kubeconfig}'`;
  return runTs('src/tools/deploy.ts', [...args, s.dist], { ...s.env, KUBECTL: kubectlCmd });
}

export { tmpdir };

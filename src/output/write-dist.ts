import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSecretFile } from './manifests';

/**
 * Replaces `outdir` with exactly `files`, all or nothing: everything is written to a sibling
 * temporary folder first and swapped in with renames, so a failure at any point leaves the
 * previous dist/ as it was. Secret files are created mode 0600.
 */
export function writeDistAtomically(outdir: string, files: ReadonlyMap<string, string>): void {
  const parent = path.dirname(path.resolve(outdir));
  fs.mkdirSync(parent, { recursive: true });
  recoverInterruptedSwap(outdir);
  const tmp = fs.mkdtempSync(path.join(parent, '.dist-new-'));
  fs.chmodSync(tmp, 0o755);
  try {
    for (const [name, content] of files) {
      const file = path.join(tmp, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content, { mode: isSecretFile(name) ? 0o600 : 0o644 });
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (!fs.existsSync(outdir)) {
    fs.renameSync(tmp, outdir);
    return;
  }
  const old = `${tmp.replace('.dist-new-', '.dist-old-')}`;
  fs.renameSync(outdir, old);
  try {
    fs.renameSync(tmp, outdir);
  } catch (err) {
    fs.renameSync(old, outdir);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * A crash between the two renames below leaves no dist/ but a `.dist-old-*` beside it: put the
 * previous dist/ back before anything else happens.
 */
export function recoverInterruptedSwap(outdir: string): void {
  if (fs.existsSync(outdir)) return;
  const parent = path.dirname(path.resolve(outdir));
  const old = fs.readdirSync(parent).filter((n) => n.startsWith('.dist-old-')).sort();
  if (old.length > 0) fs.renameSync(path.join(parent, old[old.length - 1]), outdir);
}

/** Reads a dist/ folder back: relative path -> content (YAML files only, recursively). */
export function readDist(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(e.name)) out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

// Runs a TypeScript entry point of this project (what cdk8s.yaml's `app` and the npm scripts run):
// the entry and everything it imports from src/ and imports/ are bundled by esbuild into one
// CommonJS file, .cache/build/<entry>.cjs; packages from node_modules stay external (required at
// run time). Node then loads one file of ours instead of ~60, which is what makes synth start
// fast. The bundle is reused while none of its input files changed (size and mtime, from
// esbuild's metafile), so an unchanged project does not even load esbuild. No type checking
// happens here (as with tsx): `npm test` runs tsc, and the config schema checks values at run time.
//
// Usage: node src/launch.mjs src/main.ts [args...]
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as module from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, '.cache', 'build');
const require = createRequire(import.meta.url);

/** Size and mtime of every input of the last build; undefined when one changed or is gone. */
function stamp(inputs) {
  const out = {};
  for (const rel of inputs) {
    try {
      const st = fs.statSync(path.join(root, rel));
      out[rel] = `${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
  }
  return out;
}

function upToDate(bundle, stampFile) {
  let previous;
  try {
    previous = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return false;
  }
  if (!fs.existsSync(bundle)) return false;
  const now = stamp(Object.keys(previous));
  return now !== undefined && Object.entries(previous).every(([k, v]) => now[k] === v);
}

/** Writes `content` to `file` through a rename, so a concurrent run never reads half a file. */
function writeAtomically(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function build(entry, bundle, stampFile) {
  const started = Date.now();
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20', // lowest common syntax: the bundle may be reused by another Node version
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: bundle,
  });
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  writeAtomically(bundle, result.outputFiles[0].contents);
  // A file edited while esbuild read it must count as changed next time: no stamp then.
  const inputs = stamp(Object.keys(result.metafile.inputs));
  const edited = !inputs || Object.values(inputs).some((s) => Number(s.split(':')[1]) >= started);
  if (edited) fs.rmSync(stampFile, { force: true });
  else writeAtomically(stampFile, JSON.stringify(inputs));
}

const entryArg = process.argv[2];
if (!entryArg || !entryArg.endsWith('.ts')) {
  process.stderr.write('usage: node src/launch.mjs src/main.ts [args...]\n');
  process.exit(2);
}
const entry = path.relative(root, path.resolve(root, entryArg));
const bundle = path.join(cacheDir, entry.replace(/\.ts$/, '.cjs'));
const stampFile = `${bundle}.inputs.json`;
if (!upToDate(bundle, stampFile)) {
  try {
    build(entry, bundle, stampFile);
  } catch (err) {
    // esbuild reports syntax errors in the project's own files (src/config.ts after an edit).
    const errors = err.errors ?? [];
    process.stderr.write(errors.length
      ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`).join('\n') + '\n'
      : `${err.message}\n`);
    process.exit(1);
  }
}
// Node 22.1+: keep V8's compiled code of the bundle and of node_modules in .cache/ between runs.
module.enableCompileCache?.(path.join(root, '.cache', 'node-compile'));
// Run the bundle as the main module, so that `require.main === module` holds in the entry (the
// CLIs in src/tools/ start only then; none of them imports another).
process.argv.splice(1, 2, bundle);
module.runMain();

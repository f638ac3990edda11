/**
 * Compiling big JSON schemas with ajv costs seconds (the Kubernetes API schemas) or hundreds of
 * milliseconds (z2jh's values.schema.json) on every run. This compiles once per machine to
 * standalone JavaScript under .cache/validators/ (keyed by a hash of the schemas and the ajv
 * version) and loads that afterwards.
 *
 * The validators are megabytes of generated functions, which V8 compiles when first called, on
 * every run (Node's own compile cache holds a module's top level only). So they are loaded
 * through vm.Script with a V8 code cache made after they ran (saveValidatorCodeCaches, beside
 * each file, per V8 version): about 10 ms less per validator file and synth. The code cache is
 * compiled code of the generated source only; V8 ignores it when the source or V8 differs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { ValidateFunction } from 'ajv';
import { PROJECT_ROOT } from './project-root';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;

export function validatorCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HUB_CACHE_DIR ? path.join(env.HUB_CACHE_DIR, 'validators') : path.join(PROJECT_ROOT, '.cache', 'validators');
}

const loaded = new Map<string, Record<string, ValidateFunction>>();

/** Validator files loaded without a usable code cache: saveValidatorCodeCaches writes theirs. */
const uncached = new Map<string, vm.Script>();

function codeCacheFile(file: string): string {
  return `${file}.${process.versions.v8}.v8cache`;
}

/** Loads a generated validator file (CommonJS) as `require` would, with its V8 code cache when there is one. */
function loadValidatorFile(file: string): Record<string, ValidateFunction> {
  const cacheFile = codeCacheFile(file);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = new Module(file);
  mod.filename = file;
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  if (cachedData === undefined || script.cachedDataRejected) uncached.set(cacheFile, script);
  return mod.exports as Record<string, ValidateFunction>;
}

/**
 * Writes the V8 code cache of every validator file loaded without one, now that its functions
 * ran (and so are compiled). Call once the validators did their work; a read-only checkout just
 * goes without.
 */
export function saveValidatorCodeCaches(): void {
  for (const [cacheFile, script] of uncached) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // no cache this time
    }
  }
  uncached.clear();
}

/**
 * Validators for `entries` (export name -> schema id), with every schema from `getSchemas`
 * available for $ref. `fingerprint` must change whenever the schemas do (a version or a hash);
 * `getSchemas` only runs when nothing is cached. All errors reported, formats not checked.
 */
export function compileCached(
  name: string,
  fingerprint: string,
  getSchemas: () => ReadonlyMap<string, object>,
  entries: Readonly<Record<string, string>>,
): Record<string, ValidateFunction> {
  const hash = createHash('sha256');
  hash.update(`ajv ${AJV_VERSION}\n${fingerprint}\n`);
  hash.update(JSON.stringify(Object.entries(entries).sort()));
  const key = `${name}-${hash.digest('hex').slice(0, 20)}`;
  const hit = loaded.get(key);
  if (hit) return hit;
  const file = path.join(validatorCacheDir(), `${key}.js`);
  if (fs.existsSync(file)) {
    try {
      const mod = loadValidatorFile(file);
      // A file cut short or overwritten can still load: it must export every validator.
      if (!Object.keys(entries).every((k) => typeof mod?.[k] === 'function')) throw new Error('incomplete');
      loaded.set(key, mod);
      return mod;
    } catch {
      // corrupt: compile again
      fs.rmSync(file, { force: true });
      fs.rmSync(codeCacheFile(file), { force: true });
      uncached.delete(codeCacheFile(file));
    }
  }
  // ajv's compiler (~40 modules) is loaded only on a cache miss: the cached code needs its runtime only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, code: { source: true } });
  for (const [id, s] of getSchemas()) ajv.addSchema(s, id);
  const code = standaloneCode(ajv, { ...entries });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    const mod = loadValidatorFile(file);
    loaded.set(key, mod);
    return mod;
  } catch {
    // read-only checkout: compile in memory
    const mod = Object.fromEntries(Object.entries(entries).map(([k, id]) => [k, ajv.getSchema(id)!]));
    loaded.set(key, mod);
    return mod;
  }
}

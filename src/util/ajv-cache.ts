/**
 * Compiling big JSON schemas with ajv costs seconds (the Kubernetes API schemas) or hundreds of
 * milliseconds (z2jh's values.schema.json) on every run. This compiles once per machine to
 * standalone JavaScript under .cache/validators/ (keyed by a hash of the schemas and the ajv
 * version) and loads that afterwards.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { PROJECT_ROOT } from './project-root';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;

export function validatorCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HUB_CACHE_DIR ? path.join(env.HUB_CACHE_DIR, 'validators') : path.join(PROJECT_ROOT, '.cache', 'validators');
}

const loaded = new Map<string, Record<string, ValidateFunction>>();

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
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as Record<string, ValidateFunction>;
      // A file cut short or overwritten can still load: it must export every validator.
      if (!Object.keys(entries).every((k) => typeof mod?.[k] === 'function')) throw new Error('incomplete');
      loaded.set(key, mod);
      return mod;
    } catch {
      // corrupt: compile again (and load the new file, not the cached module of the old one)
      delete require.cache[require.resolve(file)];
      fs.rmSync(file, { force: true });
    }
  }
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, code: { source: true } });
  for (const [id, s] of getSchemas()) ajv.addSchema(s, id);
  const code = standaloneCode(ajv, { ...entries });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, ValidateFunction>;
    loaded.set(key, mod);
    return mod;
  } catch {
    // read-only checkout: compile in memory
    const mod = Object.fromEntries(Object.entries(entries).map(([k, id]) => [k, ajv.getSchema(id)!]));
    loaded.set(key, mod);
    return mod;
  }
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { ConfigError, ConfigIssue, formatPath, fromZodError, show } from './errors';
import { crossChecks } from './cross-checks';
import { HubConfig, HubConfigSchema } from './schema';
import { PROJECT_ROOT } from '../util/project-root';
import { formatPosition, parseStrictJson } from '../util/strict-json';

export interface LoadedConfig {
  readonly config: HubConfig;
  /** Where the config came from, for messages: `src/config.ts` or the HUB_CONFIG path. */
  readonly source: string;
  /** Relative file paths in the config (TLS files) resolve from here. */
  readonly baseDir: string;
}

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Validates raw input (from TypeScript, YAML or JSON) against the schema and the cross-field rules. */
export function parseConfig(input: unknown, source: string): HubConfig {
  const issues: ConfigIssue[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(source, [{
      path: '(top level)',
      message: `must be a mapping of settings, not ${input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input}`,
      fix: 'start from examples/minimal.yaml',
    }]);
  }
  const parsed = HubConfigSchema.safeParse(input);
  if (!parsed.success) issues.push(...fromZodError(parsed.error, input, HubConfigSchema));
  issues.push(...crossChecks(input, parsed.success ? parsed.data : undefined));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(source, dedupe(issues));
  return parsed.data;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Reads a YAML or JSON config file; syntax errors become ConfigErrors with a line number. */
export function readConfigFile(file: string): unknown {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new ConfigError(shown, [{ path: 'HUB_CONFIG', value: show(file), message: 'is not a file' }]);
    if (st.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(shown, [{ path: 'HUB_CONFIG', message: `file is ${st.size} bytes; configs over 16 MiB are refused` }]);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(shown, [{
      path: 'HUB_CONFIG',
      value: show(file),
      message: 'cannot be read (no such file, or no permission)',
      fix: 'point HUB_CONFIG at a YAML or JSON config file, e.g. HUB_CONFIG=examples/minimal.yaml',
    }]);
  }
  text = text.replace(/^\uFEFF/, ''); // a byte-order mark from some Windows editors
  const isJson = /\.json$/i.test(file);
  const data = isJson ? readJsonConfig(text, shown) : readYamlConfig(text, shown);
  if (data === undefined || data === null) {
    throw new ConfigError(shown, [{
      path: '(file)',
      message: 'holds no settings (the file is empty or only comments)',
      fix: 'start from examples/minimal.yaml',
    }]);
  }
  return data;
}

function readYamlConfig(text: string, shown: string): unknown {
  try {
    return yaml.load(text, { filename: shown, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    // Never err.message: js-yaml's snippet quotes the file's text, which may hold a secret
    // pasted in the wrong place. Only the reason and the position are shown.
    const reason = err instanceof yaml.YAMLException
      ? `${err.reason} at line ${err.mark.line + 1}, column ${err.mark.column + 1}`
      : 'unreadable';
    throw new ConfigError(shown, [{ path: '(file)', message: `is not valid YAML: ${reason}` }]);
  }
}

/**
 * JSON with the same strictness as YAML: a key written twice is refused (JSON.parse would keep
 * the last one silently, so a second "domain" would win without a word).
 */
function readJsonConfig(text: string, shown: string): unknown {
  const r = parseStrictJson(text);
  if (r.ok) return r.value;
  const issues: ConfigIssue[] = r.problems.map((p) => (p.path && p.first
    ? {
      path: formatPath(p.path),
      message: `is written twice, at ${formatPosition(p.first)} and at ${formatPosition(p)}; a JSON reader silently keeps the last one`,
      fix: 'keep one of them (YAML configs refuse duplicate keys the same way)',
    }
    : { path: '(file)', message: `is not valid JSON: ${p.reason} at ${formatPosition(p)}` }));
  throw new ConfigError(shown, issues);
}

/**
 * The config synth uses: the file named by env HUB_CONFIG when set, else the typed config in
 * src/config.ts. Both go through the same schema.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (env.HUB_CONFIG) {
    const file = path.resolve(env.HUB_CONFIG);
    const source = path.relative(process.cwd(), file) || file;
    return { config: parseConfig(readConfigFile(file), source), source, baseDir: path.dirname(file) };
  }
  // Loaded lazily so that a HUB_CONFIG run does not depend on src/config.ts compiling.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { config } = require('../config') as { config: unknown };
  return { config: parseConfig(config, 'src/config.ts'), source: 'src/config.ts', baseDir: PROJECT_ROOT };
}

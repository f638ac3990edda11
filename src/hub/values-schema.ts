/**
 * Checks generated values against the chart's own values.schema.json before helm runs, so a
 * misplaced key is reported with its path rather than as a stack of helm template errors.
 */
import { createHash } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileCached } from '../util/ajv-cache';
import { closestKey } from '../config/errors';

export interface ValuesProblem {
  /** Dotted path into the values, e.g. `proxy.service.typo`. */
  readonly path: string;
  readonly message: string;
}

function validatorFor(schema: object): ValidateFunction {
  const id = 'z2jh-values';
  const s = { ...schema } as Record<string, unknown>;
  delete s.$schema;
  delete s.$id;
  const fingerprint = createHash('sha256').update(JSON.stringify(s)).digest('hex');
  return compileCached('values', fingerprint, () => new Map([[id, s]]), { validate: id }).validate;
}

function toPath(instancePath: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') || '(top level)';
}

function describe(e: ErrorObject, schemaAt: (p: string) => unknown): ValuesProblem {
  const at = toPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const props = (schemaAt(e.schemaPath) as { properties?: Record<string, unknown> } | undefined)?.properties;
    const guess = props ? closestKey(key, Object.keys(props)) : undefined;
    return { path: at === '(top level)' ? key : `${at}.${key}`, message: `unknown key${guess ? ` (did you mean "${guess}"?)` : ''}` };
  }
  if (e.keyword === 'enum') {
    return { path: at, message: `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}` };
  }
  return { path: at, message: e.message ?? e.keyword };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Helm's coalescing of user values over chart defaults: maps merge key by key, anything else
 * replaces, and a null removes the default (a null for a key the defaults lack stays null).
 * Helm validates the schema against this result. (helm v3.17.2 pkg/chartutil/coalesce.go;
 * test/coalesce-values.test.ts compares with the helm binary.)
 */
export function coalesceValues(defaults: unknown, overrides: unknown): unknown {
  if (!isMap(defaults) || !isMap(overrides)) return overrides === undefined ? defaults : overrides;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null && k in defaults) delete out[k];
    else out[k] = k in defaults ? coalesceValues(defaults[k], v) : v;
  }
  return out;
}

/** Every way `values` breaks `schema` (empty when it fits). */
export function checkValues(values: unknown, schema: object): ValuesProblem[] {
  const validate = validatorFor(schema);
  if (validate(values)) return [];
  const schemaAt = (schemaPath: string): unknown => {
    // "#/properties/proxy/additionalProperties" -> the object schema holding it
    const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
    let cur: unknown = schema;
    for (const p of parts) cur = (cur as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
    return cur;
  };
  const seen = new Set<string>();
  return (validate.errors ?? []).map((e) => describe(e, schemaAt)).filter((p) => {
    const k = `${p.path}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

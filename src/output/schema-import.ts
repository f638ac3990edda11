/**
 * Turns the schemas the consumers publish into the JSON schemas offline validation compiles:
 * the Kubernetes API server's own OpenAPI v3 documents (`/openapi/v3/...`) and MetalLB's CRDs.
 * Pure functions: `npm run import:kubernetes` / `npm run import:metallb` write their output to
 * imports/, and the envtest tests regenerate it from the live server to prove it did not drift.
 */

type Json = Record<string, unknown>;

const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties'] as const;
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Keywords kept; descriptions, defaults and x-kubernetes-* hints do not decide validity. */
const KEPT = new Set(['type', 'properties', 'items', 'additionalProperties', 'required', 'enum', 'allOf', 'anyOf', 'oneOf', 'not',
  'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'format', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', '$ref', 'nullable']);

/**
 * One schema in the form ajv compiles, as strict as the API server with `--validate=strict`:
 * objects with declared properties refuse unknown ones (the server's "unknown field" error)
 * unless `x-kubernetes-preserve-unknown-fields` says they keep anything.
 * `$ref`s to `#/components/schemas/NAME` become refs to the schema id NAME.
 */
export function normalizeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalizeSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (!KEPT.has(k)) continue;
    if ((SCHEMA_MAP_KEYWORDS as readonly string[]).includes(k)) {
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([name, sub]) => [name, normalizeSchema(sub)]));
    } else if ((SCHEMA_LIST_KEYWORDS as readonly string[]).includes(k)) {
      out[k] = (v as unknown[]).map(normalizeSchema);
    } else if (k === 'items' || k === 'not' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = normalizeSchema(v);
    } else if (k === '$ref') {
      out[k] = String(v).replace(/^#\/(components\/schemas|definitions)\//, '');
    } else if (k === 'format' || k === 'nullable' || k.startsWith('x-kubernetes-')) {
      // formats are not checked (the server checks few); nullable: nulls are dropped before validation
    } else {
      out[k] = v;
    }
  }
  if (s['x-kubernetes-int-or-string'] === true && out.type === undefined && !out.anyOf && !out.oneOf) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const open = s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-embedded-resource'] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

/** The schema ids a schema refers to (transitively, through `schemas`). */
function reachable(roots: readonly string[], schemas: Readonly<Record<string, unknown>>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || !schemas[id]) continue;
    seen.add(id);
    JSON.stringify(schemas[id], (k, v) => {
      if (k === '$ref' && typeof v === 'string') stack.push(v);
      return v;
    });
  }
  return seen;
}

export interface KubernetesSchemas {
  readonly generatedBy: string;
  /** `kube-apiserver --version` of the server they came from, e.g. "v1.32.13". */
  readonly source: string;
  /** "apps/v1/Deployment" -> schema id. */
  readonly kinds: Record<string, string>;
  readonly schemas: Record<string, unknown>;
}

/**
 * Kubernetes schemas from the API server's OpenAPI v3 documents (one per group version), for
 * the top-level kinds the server serves (Lists, status-only and review kinds left out).
 */
export function kubernetesSchemasFrom(documents: readonly unknown[], source: string): KubernetesSchemas {
  const raw: Record<string, Json> = {};
  for (const d of documents) {
    const comp = (d as { components?: { schemas?: Record<string, Json> } }).components?.schemas ?? {};
    for (const [id, s] of Object.entries(comp)) raw[id] ??= s;
  }
  const kinds: Record<string, string> = {};
  for (const [id, s] of Object.entries(raw)) {
    const gvks = s['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined;
    const props = s.properties as Json | undefined;
    if (!gvks || gvks.length !== 1 || !props?.metadata || !props.apiVersion) continue;
    const { group, version, kind } = gvks[0];
    if (kind.endsWith('List') || kind.endsWith('Review')) continue;
    // Built-in kinds only: apimachinery's own types are no objects, and CRDs (ids such as
    // "io.metallb.v1beta1.IPAddressPool") come from their own files.
    if (/^io\.k8s\.apimachinery\./.test(id) || !/^io\.k8s\./.test(id)) continue;
    kinds[group ? `${group}/${version}/${kind}` : `${version}/${kind}`] = id;
  }
  const normalized = Object.fromEntries(Object.entries(raw).map(([id, s]) => [id, normalizeSchema(s)]));
  const keep = reachable(Object.values(kinds), normalized);
  const schemas = Object.fromEntries([...keep].sort().map((id) => [id, normalized[id]]));
  const sortedKinds = Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b)));
  return { generatedBy: 'npm run import:kubernetes', source, kinds: sortedKinds, schemas };
}

export interface CrdSchemas {
  /** "metallb.io/v1beta1/IPAddressPool" -> openAPIV3Schema (normalized). */
  readonly [gvk: string]: unknown;
}

/** The served versions of every CRD in `docs` (parsed YAML documents). */
export function crdSchemasFrom(docs: readonly unknown[]): CrdSchemas {
  const out: Record<string, unknown> = {};
  for (const d of docs as Json[]) {
    if (d?.kind !== 'CustomResourceDefinition') continue;
    const spec = d.spec as { group: string; names: { kind: string }; versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: unknown } }[] };
    for (const v of spec.versions) {
      if (v.served === false || !v.schema?.openAPIV3Schema) continue;
      out[`${spec.group}/${v.name}/${spec.names.kind}`] = normalizeSchema(v.schema.openAPIV3Schema);
    }
  }
  return out;
}

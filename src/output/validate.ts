/**
 * Offline validation of what reaches the cluster: every object against the Kubernetes API
 * schemas of `kubernetes-models` 4.3.1 (the API as of Kubernetes 1.27/1.28), MetalLB objects
 * against their CRD schemas (imports/metallb.io.schemas.json), plus the rules kubectl apply
 * relies on (names, namespaces, no Jobs or hooks). Messages never echo field values: a Secret's
 * data must not end up in a CI log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileCached } from '../util/ajv-cache';
import * as yaml from 'js-yaml';
import { isClusterScoped, KubeObject, objectId } from './kube-object';
import { isObjectFile } from './manifests';
import { PROJECT_ROOT } from '../util/project-root';

export interface ValidationProblem {
  readonly file: string;
  /** Kind/namespace/name of the object. */
  readonly object: string;
  /** JSON path inside the object, e.g. `/spec/replicas`. */
  readonly path: string;
  readonly message: string;
}

export interface ValidateOptions {
  /** Kinds (`Kind` or `group/version/Kind`) accepted without a schema. @default [] */
  readonly allowKinds?: readonly string[];
}

/**
 * The kinds validated through the compiled-once cache (everything z2jh 3.1.0 and this program
 * can render). Other kinds known to kubernetes-models fall back to its own (slow) validator.
 */
const CACHED_KINDS: readonly string[] = [
  'v1/Namespace', 'v1/Service', 'v1/ConfigMap', 'v1/Secret', 'v1/ServiceAccount', 'v1/PersistentVolumeClaim', 'v1/PersistentVolume', 'v1/Pod',
  'apps/v1/Deployment', 'apps/v1/DaemonSet', 'apps/v1/StatefulSet', 'batch/v1/Job',
  'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'networking.k8s.io/v1/NetworkPolicy', 'networking.k8s.io/v1/Ingress', 'networking.k8s.io/v1/IngressClass',
  'policy/v1/PodDisruptionBudget', 'scheduling.k8s.io/v1/PriorityClass', 'storage.k8s.io/v1/StorageClass',
];

/** "apps/v1/Deployment" -> "IoK8sApiAppsV1Deployment" (kubernetes-models' schema module name). */
function schemaModule(gvk: string): string {
  const parts = gvk.split('/');
  const kind = parts.pop()!;
  const version = parts.pop()!;
  const group = parts.length ? parts[0].replace(/\.k8s\.io$/, '').split('.')[0] : 'core';
  const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
  return `IoK8sApi${cap(group)}${cap(version)}${kind}`;
}

function schemaId(gvk: string): string {
  const m = schemaModule(gvk).replace(/^IoK8sApi/, '');
  const parts = gvk.split('/');
  const kind = parts.pop()!;
  const version = parts.pop()!;
  return `io.k8s.api.${m.slice(0, m.length - version.length - kind.length).toLowerCase()}.${version}.${kind}`;
}

/** Collects the JSON schemas kubernetes-models registers for the cached kinds. */
function collectK8sSchemas(): Map<string, object> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('@kubernetes-models/validate') as { register: (id: string, schema: object) => void };
  const schemas = new Map<string, object>();
  const original = registry.register;
  registry.register = (id, schema) => {
    if (!schemas.has(id)) schemas.set(id, schema);
  };
  // _schemas/ is not in the package's exports map: load the files by path.
  const dir = path.join(path.dirname(require.resolve('kubernetes-models/v1/Service')), '..', '_schemas');
  try {
    for (const gvk of CACHED_KINDS) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require(path.join(dir, `${schemaModule(gvk)}.js`)) as { addSchema: () => void }).addSchema();
    }
  } finally {
    registry.register = original;
  }
  return schemas;
}

let k8sValidators: Record<string, ValidateFunction> | undefined;

function cachedValidator(apiVersion: string, kind: string): ValidateFunction | undefined {
  const gvk = `${apiVersion}/${kind}`;
  if (!CACHED_KINDS.includes(gvk)) return undefined;
  if (!k8sValidators) {
    const pkg = path.join(path.dirname(require.resolve('kubernetes-models/v1/Service')), '..', 'package.json');
    const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
    const entries = Object.fromEntries(CACHED_KINDS.map((k) => [schemaModule(k), schemaId(k)]));
    k8sValidators = compileCached('k8s', `kubernetes-models ${version}`, collectK8sSchemas, entries);
  }
  return k8sValidators[schemaModule(gvk)];
}

/**
 * kubernetes-models writes nullable refs as oneOf [ref, {type: null}]: a mistake inside such a
 * field also fails the null branch and the oneOf. Keep only the specific error.
 */
function dropNullableNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const real = errors.filter((e) => !(e.keyword === 'type' && (e.params as { type?: string }).type === 'null') && e.keyword !== 'oneOf');
  return errors.filter((e) => {
    if (e.keyword === 'type' && (e.params as { type?: string }).type === 'null') return false;
    if (e.keyword === 'oneOf') return !real.some((r) => r.instancePath.startsWith(e.instancePath));
    return true;
  });
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

const modelCache = new Map<string, ModelClass | null>();

/** The kubernetes-models class for an apiVersion/kind, or null when the package has none. */
function modelFor(apiVersion: string, kind: string): ModelClass | null {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key)!;
  let cls: ModelClass | null = null;
  if (/^[a-z0-9.-]*\/?v[0-9a-z]+$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass>;
      cls = mod[kind] ?? null;
    } catch {
      cls = null;
    }
  }
  modelCache.set(key, cls);
  return cls;
}

let crdValidators: Record<string, ValidateFunction> | undefined;

function crdValidator(apiVersion: string, kind: string): ValidateFunction | undefined {
  if (!crdValidators) {
    const file = path.join(PROJECT_ROOT, 'imports', 'metallb.io.schemas.json');
    const text = fs.readFileSync(file, 'utf8');
    const schemas = (JSON.parse(text) as { schemas: Record<string, object> }).schemas;
    const entries = Object.fromEntries(Object.keys(schemas).map((k) => [k.replace(/\W/g, '_'), k]));
    crdValidators = compileCached('metallb', createHash('sha256').update(text).digest('hex'), () => new Map(Object.entries(schemas)), entries);
  }
  return crdValidators[`${apiVersion}/${kind}`.replace(/\W/g, '_')];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kinds whose name may hold ':' (RBAC allows path segment names). */
const RBAC_KINDS = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

function ruleProblems(o: KubeObject, file: string): ValidationProblem[] {
  const id = objectId(o);
  const out: ValidationProblem[] = [];
  const p = (pathStr: string, message: string) => out.push({ file, object: id, path: pathStr, message });
  const name = o.metadata?.name;
  if (typeof name !== 'string' || name === '') p('/metadata/name', 'is required');
  else if (name.length > 253 || (!DNS_SUBDOMAIN.test(name) && !(RBAC_KINDS.has(o.kind) && /^[^/%]+$/.test(name)))) {
    p('/metadata/name', 'must be a DNS subdomain name (lower-case letters, digits, "-" and ".")');
  }
  if (isClusterScoped(o.kind) && o.metadata?.namespace !== undefined) p('/metadata/namespace', `must not be set on the cluster-scoped kind ${o.kind}`);
  if (!isClusterScoped(o.kind) && !o.metadata?.namespace && !file.startsWith('patches/')) {
    p('/metadata/namespace', 'is required: `kubectl apply -f dist/` has no -n, so the object would land in "default"');
  }
  if (o.metadata?.annotations?.['helm.sh/hook']) p('/metadata/annotations/helm.sh~1hook', 'Helm hooks are ignored by kubectl: the object would linger');
  if (o.kind === 'Job') p('/kind', 'a Job\'s pod template is immutable, so a changed Job cannot be re-applied');
  return out;
}

/** Validates one object; `file` is only for messages. */
export function validateObject(o: KubeObject, file: string, opts: ValidateOptions = {}): ValidationProblem[] {
  if (!o || typeof o !== 'object' || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    return [{ file, object: '(unknown)', path: '', message: 'is not a Kubernetes object (apiVersion and kind are required)' }];
  }
  const id = objectId(o);
  const out = ruleProblems(o, file);
  const allowed = opts.allowKinds ?? [];
  const crd = o.apiVersion.startsWith('metallb.io/') ? crdValidator(o.apiVersion, o.kind) : undefined;
  if (crd) {
    if (!crd(o)) {
      for (const e of crd.errors ?? []) out.push({ file, object: id, path: e.instancePath || '/', message: e.message ?? e.keyword });
    }
    return out;
  }
  const cached = cachedValidator(o.apiVersion, o.kind);
  if (cached) {
    if (!cached(o)) {
      for (const e of dropNullableNoise(cached.errors ?? [])) out.push({ file, object: id, path: e.instancePath || '/', message: e.message ?? e.keyword });
    }
    return out;
  }
  const Cls = modelFor(o.apiVersion, o.kind);
  if (!Cls) {
    if (!allowed.includes(o.kind) && !allowed.includes(`${o.apiVersion}/${o.kind}`)) {
      out.push({ file, object: id, path: '/kind', message: `unknown kind ${o.apiVersion}/${o.kind} (not in Kubernetes 1.27 nor MetalLB); allow it with --allow-kind ${o.kind} if intended` });
    }
    return out;
  }
  try {
    new Cls(o).validate();
  } catch (err) {
    const errors = (err as { errors?: { instancePath?: string; message?: string; keyword?: string }[] }).errors;
    if (errors?.length) {
      for (const e of errors) out.push({ file, object: id, path: e.instancePath || '/', message: e.message ?? e.keyword ?? 'is invalid' });
    } else {
      out.push({ file, object: id, path: '/', message: 'does not match its schema' });
    }
  }
  return out;
}

/** Validates the files of a dist/ folder (relative path -> YAML). */
export function validateFiles(files: ReadonlyMap<string, string>, opts: ValidateOptions = {}): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  for (const [file, text] of files) {
    if (!isObjectFile(file)) continue;
    let docs: unknown[];
    try {
      docs = yaml.loadAll(text);
    } catch (err) {
      out.push({ file, object: '(file)', path: '', message: `is not valid YAML: ${err instanceof yaml.YAMLException ? err.reason : 'parse error'}` });
      continue;
    }
    for (const d of docs) {
      if (d === null || d === undefined) continue;
      // Patches are partial objects by design: only the generic rules apply to them.
      if (file.startsWith('patches/')) out.push(...ruleProblems(d as KubeObject, file));
      else out.push(...validateObject(d as KubeObject, file, opts));
    }
  }
  return out;
}

export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => `  ${p.file}: ${p.object} ${p.path}: ${p.message}`).join('\n');
}

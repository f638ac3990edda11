/**
 * Offline validation of what reaches the cluster: every built-in object against the Kubernetes
 * API server's own schemas (imports/kubernetes.schemas.json, from kube-apiserver's OpenAPI v3,
 * `npm run import:kubernetes`), MetalLB objects against the CRDs MicroK8s installs
 * (imports/metallb.io.schemas.json, every supported MetalLB version or the configured release's),
 * plus the rules kubectl apply relies on (names, namespaces, no Jobs or hooks). Messages never
 * echo field values: a Secret's data must not end up in a CI log.
 *
 * Why not kubernetes-models: its 4.x schemas stop at Kubernetes 1.27, its 5.x is ESM-only (this
 * program is CommonJS), and both are a third party's reading of the API. The server's own
 * documents are the consumer itself, and the envtest tests regenerate them to prove the file
 * matches the server.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileCached } from '../util/ajv-cache';
import * as yaml from 'js-yaml';
import { loadAllAsKubectl, NotJsonNumberError } from '../util/kubectl-yaml';
import { MetalLbVersion, metallbVersionsFor } from '../cluster/microk8s-release';
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
  /** MicroK8s release targeted (config `microk8s.release`). @default - every supported release */
  readonly microk8sRelease?: string;
}

const IMPORTS = path.join(PROJECT_ROOT, 'imports');

interface SchemaFile {
  readonly text: string;
  readonly doc: { source: string; kinds?: Record<string, string>; schemas?: Record<string, object>; versions?: Record<string, Record<string, object>> };
}

const schemaFiles = new Map<string, SchemaFile>();

function readSchemaFile(name: string): SchemaFile {
  let f = schemaFiles.get(name);
  if (!f) {
    const text = fs.readFileSync(path.join(IMPORTS, name), 'utf8');
    f = { text, doc: JSON.parse(text) as SchemaFile['doc'] };
    schemaFiles.set(name, f);
  }
  return f;
}

/** "Kubernetes v1.32.13 API" (where the built-in schemas come from), for messages. */
export function kubernetesSchemaSource(): string {
  return readSchemaFile('kubernetes.schemas.json').doc.source;
}

const exportName = (gvk: string) => gvk.replace(/\W/g, '_');

let k8sValidators: Record<string, ValidateFunction> | undefined;

function kubernetesValidator(apiVersion: string, kind: string): ValidateFunction | undefined {
  const f = readSchemaFile('kubernetes.schemas.json');
  const gvk = `${apiVersion}/${kind}`;
  if (!f.doc.kinds?.[gvk]) return undefined;
  if (!k8sValidators) {
    const entries = Object.fromEntries(Object.entries(f.doc.kinds).map(([k, id]) => [exportName(k), id]));
    k8sValidators = compileCached('k8s', createHash('sha256').update(f.text).digest('hex'), () => new Map(Object.entries(f.doc.schemas ?? {})), entries);
  }
  return k8sValidators[exportName(gvk)];
}

const crdValidators = new Map<MetalLbVersion, Record<string, ValidateFunction>>();

function crdValidator(version: MetalLbVersion, apiVersion: string, kind: string): ValidateFunction | undefined {
  const f = readSchemaFile('metallb.io.schemas.json');
  const schemas = f.doc.versions?.[version] ?? {};
  const gvk = `${apiVersion}/${kind}`;
  if (!schemas[gvk]) return undefined;
  let v = crdValidators.get(version);
  if (!v) {
    const entries = Object.fromEntries(Object.keys(schemas).map((k) => [exportName(k), k]));
    v = compileCached(`metallb-${version}`, createHash('sha256').update(JSON.stringify(schemas)).digest('hex'), () => new Map(Object.entries(schemas)), entries);
    crdValidators.set(version, v);
  }
  return v[exportName(gvk)];
}

/**
 * The object as the API server decodes it: a JSON null is an unset field (helm templates leave
 * `key:` with no value), so nulls inside objects are dropped before validation.
 */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
}

/** Only the most specific errors: an error inside an anyOf/oneOf branch also fails the whole. */
function specificErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  return errors.filter((e) => !((e.keyword === 'anyOf' || e.keyword === 'oneOf') && errors.some((r) => r !== e && r.instancePath.startsWith(e.instancePath) && r.keyword !== e.keyword)));
}

function schemaProblems(v: ValidateFunction, o: KubeObject, file: string, id: string): ValidationProblem[] {
  if (v(withoutNulls(o))) return [];
  return specificErrors(v.errors ?? []).map((e) => ({
    file,
    object: id,
    path: e.instancePath || '/',
    message: `${e.keyword === 'additionalProperties' ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}" (the API server refuses it)` : e.message ?? e.keyword}`,
  }));
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
  if (o.apiVersion.startsWith('metallb.io/')) {
    // Every MetalLB the targeted MicroK8s releases install must accept it; one line per problem,
    // naming the versions that refuse it.
    const byProblem = new Map<string, { p: ValidationProblem; versions: string[] }>();
    for (const version of metallbVersionsFor(opts.microk8sRelease)) {
      const v = crdValidator(version, o.apiVersion, o.kind);
      const found = v ? schemaProblems(v, o, file, id)
        : allowed.includes(o.kind) ? [] : [{ file, object: id, path: '/kind', message: `has no ${o.apiVersion}/${o.kind}` }];
      for (const p of found) {
        const key = `${p.path}\n${p.message}`;
        const seen = byProblem.get(key);
        if (seen) seen.versions.push(version);
        else byProblem.set(key, { p, versions: [version] });
      }
    }
    for (const { p, versions } of byProblem.values()) out.push({ ...p, message: `(MetalLB ${versions.join(', ')}) ${p.message}` });
    return out;
  }
  const v = kubernetesValidator(o.apiVersion, o.kind);
  if (v) {
    out.push(...schemaProblems(v, o, file, id));
  } else if (!allowed.includes(o.kind) && !allowed.includes(`${o.apiVersion}/${o.kind}`)) {
    out.push({ file, object: id, path: '/kind', message: `unknown kind ${o.apiVersion}/${o.kind} (not served by ${kubernetesSchemaSource()} nor MetalLB); allow it with --allow-kind ${o.kind} if intended` });
  }
  return out;
}

/** An object and the dist/ file it is written to (for messages; patches/ files get the generic rules only). */
export interface PlacedObject {
  readonly file: string;
  readonly object: KubeObject;
}

/** Validates objects as synth writes them (no YAML round trip: test/kubectl-yaml.test.ts shows dist/ reads back as written). */
export function validateObjects(objects: Iterable<PlacedObject>, opts: ValidateOptions = {}): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  for (const { file, object } of objects) {
    // Patches are partial objects by design: only the generic rules apply to them.
    if (file.startsWith('patches/')) out.push(...ruleProblems(object, file));
    else out.push(...validateObject(object, file, opts));
  }
  return out;
}

/** Validates the files of a dist/ folder (relative path -> YAML), as `npm run validate` reads them. */
export function validateFiles(files: ReadonlyMap<string, string>, opts: ValidateOptions = {}): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  for (const [file, text] of files) {
    if (!isObjectFile(file)) continue;
    let docs: unknown[];
    try {
      // Read as kubectl reads it (YAML 1.1 scalars).
      docs = loadAllAsKubectl(text);
    } catch (err) {
      const why = err instanceof yaml.YAMLException ? err.reason : err instanceof NotJsonNumberError ? 'holds .inf or .nan, which kubectl cannot turn into JSON' : 'parse error';
      out.push({ file, object: '(file)', path: '', message: `is not valid YAML: ${why}` });
      continue;
    }
    out.push(...validateObjects(docs.filter((d) => d !== null && d !== undefined).map((d) => ({ file, object: d as KubeObject })), opts));
  }
  return out;
}

export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => `  ${p.file}: ${p.object} ${p.path}: ${p.message}`).join('\n');
}

/**
 * Kubernetes limits the total size of an object's annotations (keys + values) to 256 KiB
 * (apimachinery ValidateAnnotationsSize, TotalAnnotationSizeLimitB = 262144). Client-side
 * `kubectl apply` stores the whole object as JSON in one annotation, so an object whose JSON
 * is near that size cannot be applied without `--server-side` (measured against the real API
 * server in test/envtest-apply.test.ts).
 */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Size in bytes of the annotations client-side `kubectl apply` would leave on `o`: its own
 * annotations plus the last-applied one (the object's JSON as kubectl writes it, which escapes
 * <, > and & as \u003c... like Go's encoding/json, plus a newline). Checked byte for byte against
 * kubectl 1.32's annotation in test/envtest-apply.test.ts.
 */
export function clientSideApplyAnnotationBytes(o: KubeObject): number {
  const own = Object.entries(o.metadata?.annotations ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
  // kubectl deletes its own key from the annotations map and serializes the rest: an object
  // without annotations gets `"annotations":{}` in the JSON.
  const asKubectlWrites = { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata?.annotations ?? {}) } } };
  const json = JSON.stringify(asKubectlWrites).replace(/[<>&\u2028\u2029]/g, '\\u0000');
  return own + Buffer.byteLength(LAST_APPLIED_ANNOTATION) + Buffer.byteLength(json) + 1;
}

/** Objects plain `kubectl apply -f dist/` cannot apply, as warnings saying what to do instead. */
export function clientSideApplyWarnings(objects: readonly KubeObject[]): string[] {
  return objects.filter((o) => clientSideApplyAnnotationBytes(o) > TOTAL_ANNOTATION_SIZE_LIMIT).map((o) =>
    `${objectId(o)} is too large for plain \`kubectl apply\` (it would store ${clientSideApplyAnnotationBytes(o)} bytes in annotations; ` +
    `Kubernetes allows ${TOTAL_ANNOTATION_SIZE_LIMIT}). Apply with \`npm run deploy\` or \`microk8s kubectl apply --server-side -f dist/\` instead` +
    (o.kind === 'ConfigMap' ? ' (a long auth0.allowedUsers list does this)' : '') + '.');
}

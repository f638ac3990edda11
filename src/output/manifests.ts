/**
 * Turns the synthesized objects into the files of dist/: every namespaced object gets its
 * namespace (z2jh's templates set none and the user's apply has no -n), cluster objects get
 * none, every object gets the labels deploy prunes on, and Secrets are split into gitignored
 * files. Files are numbered in the order kubectl must apply them.
 */
import * as yaml from 'js-yaml';
import { managedLabels, PLACEHOLDER_ANNOTATION } from '../cluster/labels';
import { UserError } from '../util/errors';
import { KUBECTL_WRITE_SCHEMA } from '../util/kubectl-yaml';
import { isClusterScoped, KubeObject, objectId } from './kube-object';

/** dist/ file names; kubectl applies files of a folder in lexical order. */
export const FILES = {
  namespace: '00-namespace.yaml',
  cluster: '01-cluster.yaml',
  secrets: '02-secrets.secret.yaml',
  metallb: '03-metallb.yaml',
  hub: '10-jupyterhub.yaml',
  provisionerPatch: 'patches/hostpath-provisioner.patch.yaml',
  /** The z2jh values, secrets redacted: for review and diffs; not a Kubernetes object. */
  values: 'values/z2jh-values.yaml',
} as const;

/** Files in dist/ that kubectl must not read as objects (sub-folders: `apply -f dist/` does not recurse). */
export function isObjectFile(file: string): boolean {
  return !file.startsWith('values/');
}

/** Files that hold Secret values; the project's .gitignore excludes them (`dist/*.secret.yaml`). */
export function isSecretFile(file: string): boolean {
  return file.endsWith('.secret.yaml');
}

export interface NormalizeOptions {
  readonly namespace: string;
  readonly release: string;
  /** Mark Secrets as holding placeholders. */
  readonly placeholders: boolean;
}

/** Where MetalLB (the MicroK8s addon) watches for pools; the hub adds its own pool there. */
export const METALLB_NAMESPACE = 'metallb-system';
/** The only objects the hub puts into METALLB_NAMESPACE: one of each (MetalLbPool). */
const METALLB_KINDS = ['IPAddressPool', 'L2Advertisement'] as const;

/**
 * Objects that would land outside what the hub owns: its own namespace, and metallb-system for
 * exactly one IPAddressPool and one L2Advertisement (ours). A chart renders no other namespace,
 * so anything else comes from a modified chart (say a privileged Pod in kube-system); applied,
 * it would change another part of the cluster and carry our labels, so deploy would treat it as
 * ours. A Namespace object other than the hub's counts too.
 */
export function foreignObjects(objects: readonly KubeObject[], namespace: string): string[] {
  const foreign: string[] = [];
  const metallb = new Map<string, number>();
  for (const o of objects) {
    const ns = o.metadata.namespace;
    if (o.kind === 'Namespace') {
      if (o.metadata.name !== namespace) foreign.push(objectId(o));
    } else if (isClusterScoped(o.kind) || ns === undefined || ns === namespace) {
      continue;
    } else if (ns === METALLB_NAMESPACE && o.apiVersion.startsWith('metallb.io/') && (METALLB_KINDS as readonly string[]).includes(o.kind)) {
      metallb.set(o.kind, (metallb.get(o.kind) ?? 0) + 1);
      if (metallb.get(o.kind)! > 1) foreign.push(objectId(o));
    } else {
      foreign.push(objectId(o));
    }
  }
  return foreign;
}

/** One object as it goes into dist/: its namespace filled in (none when cluster-scoped), our labels, the placeholder mark. */
export function normalizeObject(o: KubeObject, opts: NormalizeOptions): KubeObject {
  const metadata = { ...o.metadata };
  if (isClusterScoped(o.kind)) delete metadata.namespace;
  else metadata.namespace ??= opts.namespace;
  metadata.labels = { ...(metadata.labels ?? {}), ...managedLabels(opts.release, opts.namespace) };
  if (o.kind === 'Secret' && opts.placeholders) {
    metadata.annotations = { ...(metadata.annotations ?? {}), [PLACEHOLDER_ANNOTATION]: 'true' };
  }
  return { ...o, metadata } as KubeObject;
}

/**
 * Refuses a set of normalized objects that must not be applied together: objects outside the
 * hub's namespaces, two objects with one kind/namespace/name, Helm hooks.
 */
export function checkObjectSet(objects: readonly KubeObject[], opts: NormalizeOptions): void {
  const foreign = foreignObjects(objects, opts.namespace);
  if (foreign.length > 0) {
    const shown = foreign.length > 10 ? `${foreign.slice(0, 10).join(', ')} and ${foreign.length - 10} more` : foreign.join(', ');
    throw new UserError(
      `Refusing to write dist/: ${foreign.length === 1 ? 'an object lands' : `${foreign.length} objects land`} outside the namespaces this hub owns: ${shown}.\n` +
        `The hub owns namespace "${opts.namespace}" (and, in ${METALLB_NAMESPACE}, its one IPAddressPool and L2Advertisement); ` +
        'applying these would change other parts of the cluster, and they would carry this program\'s labels.\n' +
        'Fix: use the chart as released (`npm run chart:pull` checks its digest); if you changed the chart on purpose, take metadata.namespace out of those templates.',
    );
  }
  const seen = new Set<string>();
  const dupes = objects.map(objectId).filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  if (dupes.length > 0) {
    throw new UserError(
      `Two objects would have the same kind, namespace and name: ${[...new Set(dupes)].join(', ')}; kubectl would keep only one.\n` +
        'Fix: a name in the config collides with one the chart or this program uses (tls.secretName, storage.storageClassName, claim names): rename it.',
    );
  }
  const hooks = objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']).map(objectId);
  if (hooks.length > 0) {
    throw new UserError(
      `Helm hook objects reached the output: ${hooks.join(', ')}.\n` +
        'kubectl ignores hook annotations, so they would linger and block later applies (a Job\'s template is immutable).\n' +
        'Fix: keep prePuller.hook.enabled false in src/hub/values.ts, and disable any other hook the chart renders.',
    );
  }
}

export function normalizeObjects(objects: readonly KubeObject[], opts: NormalizeOptions): KubeObject[] {
  const out = objects.map((o) => normalizeObject(o, opts));
  checkObjectSet(out, opts);
  return out;
}

export function fileFor(o: KubeObject): string {
  if (o.kind === 'Namespace') return FILES.namespace;
  if (o.kind === 'Secret') return FILES.secrets;
  if (isClusterScoped(o.kind)) return FILES.cluster;
  if (o.apiVersion.startsWith('metallb.io/')) return FILES.metallb;
  return FILES.hub;
}

/** One object's YAML document, as in dist/. */
export function objectYaml(o: KubeObject): string {
  return `---\n${yaml.dump(o, { noRefs: true, lineWidth: -1, quotingType: '"', schema: KUBECTL_WRITE_SCHEMA })}`;
}

/**
 * The objects' YAML documents. `cache` keeps each object's text (by object), for a caller that
 * lays out the same objects more than once (synth: its own objects before and after helm's).
 */
export function renderYaml(objects: readonly KubeObject[], cache?: WeakMap<KubeObject, string>): string {
  return objects.map((o) => {
    let text = cache?.get(o);
    if (text === undefined) {
      text = objectYaml(o);
      cache?.set(o, text);
    }
    return text;
  }).join('');
}

/** Groups objects into dist/ files (path relative to dist/ -> YAML), in a stable order. */
export function layoutFiles(apply: readonly KubeObject[], patches: readonly KubeObject[], values?: Record<string, unknown>, cache?: WeakMap<KubeObject, string>): Map<string, string> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of apply) {
    const f = fileFor(o);
    if (!groups.has(f)) groups.set(f, []);
    groups.get(f)!.push(o);
  }
  if (patches.length > 0) groups.set(FILES.provisionerPatch, [...patches]);
  const files = new Map<string, string>();
  const texts = new Map<string, string>([...groups].map(([name, objs]) => [name, renderYaml(objs, cache)]));
  if (values) {
    texts.set(FILES.values, `# The values given to the z2jh chart (secrets shown as "(secret)"). Not applied: for review and diffs.\n${yaml.dump(values, { noRefs: true, lineWidth: -1, sortKeys: true })}`);
  }
  for (const name of [...texts.keys()].sort()) files.set(name, texts.get(name)!);
  return files;
}

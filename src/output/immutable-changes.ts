/**
 * Changes the Kubernetes API server would refuse, found by comparing the previous dist/ with
 * the new objects, so that synth refuses them first with the manual steps (an apply that fails
 * half-way helps nobody).
 *
 * What the API server refuses (kubernetes/kubernetes pkg/apis/storage/validation
 * ValidateStorageClassUpdate, pkg/apis/core/validation ValidatePersistentVolumeClaimUpdate, and
 * the PersistentVolumeClaimResize admission plugin; checked against kube-apiserver v1.32 in
 * test/storage-apiserver.test.ts):
 * - StorageClass: any change of `provisioner`, `parameters`, `reclaimPolicy`, `volumeBindingMode`.
 * - PersistentVolumeClaim: any change of its spec but `resources.requests` (and
 *   volumeAttributesClassName); a smaller request; a larger one unless the claim is bound and its
 *   class has `allowVolumeExpansion: true`.
 */
import { parseAddressPool } from '../config/network';
import { envFlag } from '../util/env-flag';
import { parseQuantity } from '../config/quantity';
import { isSecretFile } from './manifests';
import { KubeObject } from './kube-object';
import { loadAllAsKubectl } from '../util/kubectl-yaml';

/** A refused change: what and where, old -> new, and which override (if any) lets it through. */
export interface ImmutableChange {
  readonly object: string;
  readonly changes: readonly string[];
  readonly steps: readonly string[];
  /** Env var that lets synth go on once the steps are done; undefined: only a config change helps. */
  readonly override?: 'HUB_ALLOW_STORAGE_CLASS_CHANGE' | 'HUB_ALLOW_DATA_MOVE' | 'HUB_ALLOW_POOL_RENAME';
}

/** A Kubernetes object with a kind and a name (a previous folder may hold other YAML). */
export function isNamedObject(d: unknown): d is KubeObject {
  if (!d || typeof d !== 'object') return false;
  const o = d as { kind?: unknown; metadata?: { name?: unknown } };
  return typeof o.kind === 'string' && !!o.metadata && typeof o.metadata === 'object' && typeof o.metadata.name === 'string';
}

/**
 * Objects of the previous dist/ (top-level files, no Secrets: they cannot hold these kinds), read
 * as kubectl read them when they were applied.
 */
export function previousObjects(previous: ReadonlyMap<string, string>, wanted: (document: string) => boolean = () => true): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [name, text] of previous) {
    if (!name.endsWith('.yaml') || name.includes('/') || isSecretFile(name)) continue;
    // `wanted` sees each document's text (dist/ files are `---` separated, top-level keys at column 0).
    for (const doc of text.split(/^---$/m)) {
      if (!wanted(doc)) continue;
      try {
        for (const d of loadAllAsKubectl(doc)) if (isNamedObject(d)) out.push(d);
      } catch {
        // an unreadable document was not applied either
      }
    }
  }
  return out;
}

const show = (v: unknown) => (v === undefined ? '(not set)' : JSON.stringify(v));
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** The StorageClass fields the API server will not update, with the defaults it fills in. */
function immutableClassFields(o: KubeObject): Record<string, unknown> {
  const sc = o as KubeObject & { provisioner?: string; parameters?: Record<string, string>; reclaimPolicy?: string; volumeBindingMode?: string };
  return {
    provisioner: sc.provisioner,
    parameters: sc.parameters ?? {},
    reclaimPolicy: sc.reclaimPolicy ?? 'Delete',
    volumeBindingMode: sc.volumeBindingMode ?? 'Immediate',
  };
}

function classChanges(before: KubeObject, after: KubeObject): string[] {
  const a = immutableClassFields(before);
  const b = immutableClassFields(after);
  const out: string[] = [];
  for (const k of Object.keys(a)) {
    if (k === 'parameters') {
      const pa = a.parameters as Record<string, string>;
      const pb = b.parameters as Record<string, string>;
      for (const p of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()) {
        if (pa[p] !== pb[p]) out.push(`parameters.${p}: ${show(pa[p])} -> ${show(pb[p])}`);
      }
    } else if (canonical(a[k]) !== canonical(b[k])) {
      out.push(`${k}: ${show(a[k])} -> ${show(b[k])}`);
    }
  }
  return out;
}

interface ClaimSpec {
  accessModes?: string[];
  storageClassName?: string;
  volumeMode?: string;
  selector?: unknown;
  volumeName?: string;
  dataSource?: unknown;
  resources?: { requests?: { storage?: string } };
}

/** Config fields that set the size of the claims we emit (for the fix). */
const SIZE_FIELD: Record<string, string> = {
  'hub-db-dir': 'storage.hubDatabaseCapacity',
  'shared-datasets': 'sharedData.datasets.size',
  'shared-team-folder': 'sharedData.teamFolder.size',
};

function claimMoveSteps(ns: string, name: string, kubectl: string): string[] {
  const stop = name === 'hub-db-dir'
    ? `${kubectl} -n ${ns} scale deployment hub --replicas=0`
    : `stop the user servers that mount it (JupyterHub admin page: "Stop All")`;
  return [
    stop,
    `PV=$(${kubectl} -n ${ns} get pvc ${name} -o jsonpath='{.spec.volumeName}')`,
    `${kubectl} patch pv "$PV" -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'   (the data outlives the claim)`,
    `${kubectl} -n ${ns} delete pvc ${name}`,
    'HUB_ALLOW_DATA_MOVE=1 npm run synth, then apply dist/ (creates the claim anew, empty)',
    `copy the old volume's files into the new one (README "Moving user data"), then start the ${name === 'hub-db-dir' ? 'hub again: npm run deploy' : 'servers again'}`,
  ];
}

/** The config field that names each backend's class, by the default names earlier versions gave. */
const LEGACY_CLASS_FIELDS: Readonly<Record<string, string>> = {
  'jupyterhub-hostpath': 'storage.storageClassName',
  'jupyterhub-nfs': 'storage.nfs.storageClassName',
  'jupyterhub-mayastor': 'storage.mayastor.storageClassName',
  'jupyterhub-cephfs': 'storage.cephfs.storageClassName',
};

/**
 * A claim whose class was an earlier version's default name ("jupyterhub-hostpath") and is now
 * the per-hub default of the same backend ("<ns>-<release>-hostpath-<hash>"): the field to set.
 */
export function renamedDefaultClass(before: string | undefined, after: string | undefined): { field: string } | undefined {
  const field = before !== undefined ? LEGACY_CLASS_FIELDS[before] : undefined;
  if (!field || after === undefined) return undefined;
  const backend = before!.slice('jupyterhub-'.length);
  return new RegExp(`-${backend}-[0-9a-f]{6}$`).test(after) ? { field } : undefined;
}

function claimProblems(before: KubeObject, after: KubeObject, classes: ReadonlyMap<string, KubeObject>, kubectl: string): ImmutableChange[] {
  const a = ((before as { spec?: ClaimSpec }).spec ?? {}) as ClaimSpec;
  const b = ((after as { spec?: ClaimSpec }).spec ?? {}) as ClaimSpec;
  const ns = after.metadata.namespace ?? 'default';
  const name = after.metadata.name ?? '?';
  const object = `PersistentVolumeClaim ${ns}/${name}`;
  const out: ImmutableChange[] = [];
  const fixed: string[] = [];
  for (const k of ['storageClassName', 'accessModes', 'volumeMode', 'selector', 'volumeName', 'dataSource'] as const) {
    if (canonical(a[k]) !== canonical(b[k])) fixed.push(`spec.${k}: ${show(a[k])} -> ${show(b[k])}`);
  }
  const renamed = renamedDefaultClass(a.storageClassName, b.storageClassName);
  if (fixed.length === 1 && renamed) {
    // Only the default class name changed (this version names classes per hub): keeping the
    // old name is one config line, and no volume has to move.
    out.push({
      object,
      changes: [...fixed, `(this version names storage classes after the hub, so two hubs never share one; this hub's claims were made with "${a.storageClassName}")`],
      steps: [`keep the class this hub has: set ${renamed.field}: "${a.storageClassName}" in the config, then synth again (nothing moves)`],
    });
  } else if (fixed.length > 0) {
    out.push({ object, changes: fixed, steps: claimMoveSteps(ns, name, kubectl), override: 'HUB_ALLOW_DATA_MOVE' });
  }
  const sa = a.resources?.requests?.storage;
  const sb = b.resources?.requests?.storage;
  const qa = sa !== undefined ? parseQuantity(sa) : undefined;
  const qb = sb !== undefined ? parseQuantity(sb) : undefined;
  if (qa !== undefined && qb !== undefined && qa !== qb) {
    const field = SIZE_FIELD[name] ?? 'its size';
    const change = `spec.resources.requests.storage: ${show(sa)} -> ${show(sb)}`;
    if (qb < qa) {
      out.push({ object, changes: [change], steps: [`Kubernetes never shrinks a claim: set ${field} back to "${sa}"`] });
    } else if (fixed.length === 0) {
      const cls = b.storageClassName !== undefined ? classes.get(b.storageClassName) : undefined;
      if (cls && (cls as { allowVolumeExpansion?: boolean }).allowVolumeExpansion !== true) {
        out.push({
          object,
          changes: [change],
          steps: [`its StorageClass "${b.storageClassName}" does not allow volume expansion (its provisioner cannot grow volumes): set ${field} back to "${sa}"`],
        });
      }
    }
  }
  return out;
}

/** Every change between the previous and the next objects that the API server would refuse. */
export function immutableChanges(previous: readonly KubeObject[], next: readonly KubeObject[], kubectl = 'microk8s kubectl'): ImmutableChange[] {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const before = new Map(previous.map((o) => [key(o), o]));
  const classes = new Map(next.filter((o) => o.kind === 'StorageClass').map((o) => [o.metadata.name ?? '', o]));
  const out: ImmutableChange[] = [];
  for (const o of next) {
    const old = before.get(key(o));
    if (!old) continue;
    if (o.kind === 'StorageClass') {
      const changes = classChanges(old, o);
      if (changes.length === 0) continue;
      const name = o.metadata.name;
      out.push({
        object: `StorageClass ${name}`,
        changes,
        steps: [
          `${kubectl} delete storageclass ${name}   (deletes only the class: claims, volumes and data stay; existing volumes keep what they were made with)`,
          'HUB_ALLOW_STORAGE_CLASS_CHANGE=1 npm run synth   (or: npm run synth -- --allow-storage-class-change)',
          `${kubectl} apply -f dist/   (or npm run deploy): creates the class anew; new volumes use it`,
        ],
        override: 'HUB_ALLOW_STORAGE_CLASS_CHANGE',
      });
    } else if (o.kind === 'PersistentVolumeClaim') {
      out.push(...claimProblems(old, o, classes, kubectl));
    }
  }
  out.push(...poolRenames(previous, next, kubectl));
  return out;
}

function poolRanges(o: KubeObject): { first: number; last: number }[] {
  return (((o as { spec?: { addresses?: string[] } }).spec?.addresses) ?? [])
    .map((a) => parseAddressPool(a, { maskHostBits: true }))
    .filter((r): r is NonNullable<typeof r> => r !== undefined);
}

/**
 * Our MetalLB pool under a new name while the previous dist/ had one with overlapping addresses
 * (this version names the pool after the hub's namespace): MetalLB's webhook refuses a pool that
 * overlaps another, and the old pool (without this version's ownership label) is never pruned,
 * so apply would fail. metallb/metallb v0.13.3 api/v1beta1/ipaddresspool_webhook.go.
 */
function poolRenames(previous: readonly KubeObject[], next: readonly KubeObject[], kubectl: string): ImmutableChange[] {
  const out: ImmutableChange[] = [];
  for (const pool of next.filter((o) => o.kind === 'IPAddressPool')) {
    const ranges = poolRanges(pool);
    for (const old of previous.filter((o) => o.kind === 'IPAddressPool' && o.metadata.name !== pool.metadata.name && o.metadata.namespace === pool.metadata.namespace)) {
      if (!poolRanges(old).some((a) => ranges.some((b) => a.first <= b.last && b.first <= a.last))) continue;
      const ns = pool.metadata.namespace ?? 'metallb-system';
      out.push({
        object: `IPAddressPool ${ns}/${pool.metadata.name}`,
        changes: [
          `metadata.name: ${show(old.metadata.name)} -> ${show(pool.metadata.name)} with overlapping addresses (MetalLB refuses two pools that overlap; this version names the pool after the hub's namespace unless loadBalancer.poolName is set)`,
        ],
        steps: [
          `simplest, nothing changes on the cluster: set loadBalancer.poolName: "${old.metadata.name}" in the config and synth again; or, to take the new name:`,
          `${kubectl} -n ${ns} delete ipaddresspools.metallb.io ${old.metadata.name}; ${kubectl} -n ${ns} delete l2advertisements.metallb.io ${old.metadata.name}   (the hub's IP is re-assigned from the new pool right after apply)`,
          'HUB_ALLOW_POOL_RENAME=1 npm run synth, then apply dist/',
        ],
        override: 'HUB_ALLOW_POOL_RENAME',
      });
    }
  }
  return out;
}

/** The refusal text for the changes not overridden by `env`; undefined when nothing is refused. */
export function immutableChangeMessage(changes: readonly ImmutableChange[], env: NodeJS.ProcessEnv): string | undefined {
  const open = changes.filter((c) => !c.override || !envFlag(env, c.override));
  if (open.length === 0) return undefined;
  const lines = ['This change alters fields the Kubernetes API server does not let change, so applying dist/ would fail:'];
  for (const c of open) {
    lines.push(`  ${c.object}:`);
    for (const ch of c.changes) lines.push(`    ${ch}`);
    lines.push(c.override ? '  To make it anyway, in this order:' : '  Fix:');
    c.steps.forEach((s, i) => lines.push(c.override ? `    ${i + 1}. ${s}` : `    ${s}`));
  }
  lines.push('Or undo the change in the config.');
  return lines.join('\n');
}

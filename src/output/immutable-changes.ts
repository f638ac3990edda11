/**
 * Changes the Kubernetes API server would refuse, found by comparing the previous dist/ with
 * the new objects, so that synth refuses them first with the manual steps (an apply that fails
 * half-way helps nobody).
 *
 * What the API server refuses (kubernetes/kubernetes pkg/apis/storage/validation
 * ValidateStorageClassUpdate, pkg/apis/core/validation ValidatePersistentVolumeClaimUpdate, and
 * the PersistentVolumeClaimResize admission plugin; checked against kube-apiserver v1.32 in
 * test/storage-changes.test.ts):
 * - StorageClass: any change of `provisioner`, `parameters`, `reclaimPolicy`, `volumeBindingMode`.
 * - PersistentVolumeClaim: any change of its spec but `resources.requests` (and
 *   volumeAttributesClassName); a smaller request; a larger one unless the claim is bound and its
 *   class has `allowVolumeExpansion: true`.
 */
import * as yaml from 'js-yaml';
import { parseQuantity } from '../config/quantity';
import { isSecretFile } from './manifests';
import { KubeObject } from './kube-object';

/** A refused change: what and where, old -> new, and which override (if any) lets it through. */
export interface ImmutableChange {
  readonly object: string;
  readonly changes: readonly string[];
  readonly steps: readonly string[];
  /** Env var that lets synth go on once the steps are done; undefined: only a config change helps. */
  readonly override?: 'HUB_ALLOW_STORAGE_CLASS_CHANGE' | 'HUB_ALLOW_DATA_MOVE';
}

/** Objects of the previous dist/ (top-level files, no Secrets: they cannot hold these kinds). */
export function previousObjects(previous: ReadonlyMap<string, string>): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [name, text] of previous) {
    if (!name.endsWith('.yaml') || name.includes('/') || isSecretFile(name)) continue;
    try {
      for (const d of yaml.loadAll(text)) if (d && typeof d === 'object' && 'kind' in d) out.push(d as KubeObject);
    } catch {
      // an unreadable file was not applied either
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
  if (fixed.length > 0) out.push({ object, changes: fixed, steps: claimMoveSteps(ns, name, kubectl), override: 'HUB_ALLOW_DATA_MOVE' });
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
          'HUB_ALLOW_STORAGE_CLASS_CHANGE=1 npm run synth',
          `${kubectl} apply -f dist/   (or npm run deploy): creates the class anew; new volumes use it`,
        ],
        override: 'HUB_ALLOW_STORAGE_CLASS_CHANGE',
      });
    } else if (o.kind === 'PersistentVolumeClaim') {
      out.push(...claimProblems(old, o, classes, kubectl));
    }
  }
  return out;
}

/** The refusal text for the changes not overridden by `env`; undefined when nothing is refused. */
export function immutableChangeMessage(changes: readonly ImmutableChange[], env: NodeJS.ProcessEnv): string | undefined {
  const open = changes.filter((c) => !c.override || env[c.override] !== '1');
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

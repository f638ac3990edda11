/**
 * Object-level comparison of two dist/ trees: which objects (Kind/namespace/name) were added,
 * removed or changed, with a unified diff per changed object. Secret values are never shown:
 * each becomes "(hidden)" or "(hidden, changed)".
 */
import * as yaml from 'js-yaml';
import { KubeObject, objectId } from './kube-object';
import { isObjectFile } from './manifests';
import { RESTART_ANNOTATIONS } from '../hub/restart-annotations';

export interface ObjectChange {
  readonly id: string;
  readonly diff: string;
}

export interface DistDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly ObjectChange[];
}

export function parseObjects(files: ReadonlyMap<string, string>): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const [name, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isObjectFile(name)) {
      // Not Kubernetes objects: compared as one pseudo-object per file.
      out.set(`file:${name}`, { apiVersion: 'none', kind: 'File', metadata: { name }, content: yaml.load(text) } as KubeObject);
      continue;
    }
    for (const d of yaml.loadAll(text)) {
      if (!d || typeof d !== 'object') continue;
      const o = d as KubeObject;
      out.set(name.startsWith('patches/') ? `patch:${objectId(o)}` : objectId(o), o);
    }
  }
  return out;
}

const SECRET_FIELDS = ['data', 'stringData'] as const;

/** Copies of two versions of an object with every Secret value replaced by a marker. */
function redactPair(before: KubeObject | undefined, after: KubeObject | undefined): [KubeObject | undefined, KubeObject | undefined] {
  const redact = (o: KubeObject | undefined, other: KubeObject | undefined, markChanges: boolean) => {
    if (!o || o.kind !== 'Secret') return o;
    const copy: Record<string, unknown> = { ...o };
    for (const f of SECRET_FIELDS) {
      const values = o[f] as Record<string, string> | undefined;
      if (!values) continue;
      const otherValues = (other?.[f] as Record<string, string> | undefined) ?? {};
      copy[f] = Object.fromEntries(Object.keys(values).sort().map((k) => [
        k, markChanges && k in otherValues && otherValues[k] !== values[k] ? '(hidden, changed)' : '(hidden)',
      ]));
    }
    return copy as KubeObject;
  };
  return [redact(before, after, false), redact(after, before, true)];
}

function lines(o: KubeObject | undefined): string[] {
  return o ? yaml.dump(o, { sortKeys: true, lineWidth: -1, noRefs: true }).trimEnd().split('\n') : [];
}

/** A unified diff of two line arrays (LCS based), with `context` lines around each change. */
export function unifiedDiff(a: readonly string[], b: readonly string[], labelA: string, labelB: string, context = 3): string {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const ops: { t: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: ' ', line: a[i], ai: i++, bi: j++ });
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ t: '-', line: a[i], ai: i++, bi: j });
    else ops.push({ t: '+', line: b[j], ai: i, bi: j++ });
  }
  const out = [`--- ${labelA}`, `+++ ${labelB}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].t === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // extend the hunk while changes are within 2*context lines of each other
    for (let last = k; end < ops.length; end++) {
      if (ops[end].t !== ' ') last = end;
      else if (end - last > 2 * context) break;
    }
    let stop = end;
    while (stop > k && ops[stop - 1].t === ' ') stop--;
    stop = Math.min(ops.length, stop + context);
    const hunk = ops.slice(start, stop);
    const aCount = hunk.filter((o) => o.t !== '+').length;
    const bCount = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${hunk[0].ai + 1},${aCount} +${hunk[0].bi + 1},${bCount} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = stop;
  }
  return out.join('\n');
}

/** Pod-template annotations the chart, and we (hub/restart-annotations.ts), compute from secret values. */
export const SECRET_CHECKSUMS = ['checksum/secret', 'checksum/auth-token', 'checksum/proxy-secret', ...Object.values(RESTART_ANNOTATIONS)];

/** A copy without the secret-derived checksum annotations (they differ between real and placeholder secrets). */
function maskChecksums(o: KubeObject | undefined): KubeObject | undefined {
  const ann = (o as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } | undefined)?.spec?.template?.metadata?.annotations;
  if (!o || !ann || !SECRET_CHECKSUMS.some((k) => k in ann)) return o;
  const copy = structuredClone(o) as KubeObject & { spec: { template: { metadata: { annotations: Record<string, string> } } } };
  for (const k of SECRET_CHECKSUMS) if (k in ann) copy.spec.template.metadata.annotations[k] = '(hash of secrets: not compared)';
  return copy;
}

export interface DiffOptions {
  /**
   * Ignore the chart's checksum annotations of secret values: use when the two sides were made
   * with different secrets (CI's placeholders against a developer's real ones).
   * @default false
   */
  readonly ignoreSecretChecksums?: boolean;
}

export function diffDists(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, opts: DiffOptions = {}): DistDiff {
  const a = parseObjects(before);
  const b = parseObjects(after);
  if (opts.ignoreSecretChecksums) {
    for (const m of [a, b]) for (const [id, o] of m) m.set(id, maskChecksums(o)!);
  }
  const added = [...b.keys()].filter((id) => !a.has(id)).sort();
  const removed = [...a.keys()].filter((id) => !b.has(id)).sort();
  const changed: ObjectChange[] = [];
  for (const id of [...b.keys()].filter((x) => a.has(x)).sort()) {
    const [ra, rb] = redactPair(a.get(id), b.get(id));
    const la = lines(ra);
    const lb = lines(rb);
    if (la.join('\n') === lb.join('\n')) continue;
    changed.push({ id, diff: unifiedDiff(la, lb, `a/${id}`, `b/${id}`) });
  }
  return { added, removed, changed };
}

export function summaryLine(d: DistDiff): string {
  return `${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed`;
}

/**
 * Object-level comparison of two dist/ trees: which objects (Kind/namespace/name) were added,
 * removed or changed, with a unified diff per changed object. Secret values are never shown:
 * each becomes "(hidden)" or "(hidden, changed)".
 */
import { structuredPatch } from 'diff';
import * as yaml from 'js-yaml';
import { KubeObject, objectId } from './kube-object';
import { isObjectFile } from './manifests';
import { UserError } from '../util/errors';
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

/**
 * YAML of a dist/ file; a file that is not YAML cannot be compared (exit code 2). The message
 * holds the position only: js-yaml's snippet would quote the file, and Secrets files hold secrets.
 */
function loadAllYaml(name: string, text: string): unknown[] {
  try {
    return yaml.loadAll(text);
  } catch (err) {
    const where = err instanceof yaml.YAMLException ? `: ${err.reason} at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
    throw new UserError(`Cannot compare: ${name} is not valid YAML${where}.\nFix: restore it (git checkout, or synth again), or compare against another folder or ref.`, 2);
  }
}

export function parseObjects(files: ReadonlyMap<string, string>): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const [name, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isObjectFile(name)) {
      // Not Kubernetes objects: compared as one pseudo-object per file.
      out.set(`file:${name}`, { apiVersion: 'none', kind: 'File', metadata: { name }, content: loadAllYaml(name, text)[0] } as KubeObject);
      continue;
    }
    for (const d of loadAllYaml(name, text)) {
      if (!d || typeof d !== 'object') continue;
      const o = d as KubeObject;
      if (typeof o.kind !== 'string' || !o.metadata || typeof o.metadata !== 'object' || typeof o.metadata.name !== 'string') {
        throw new UserError(`Cannot compare: ${name} holds a document that is not a Kubernetes object (no kind or metadata.name).\nFix: restore it (git checkout, or synth again), or compare against another folder or ref.`, 2);
      }
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

/**
 * Beyond this many inserted plus deleted lines, the two versions are shown as a whole replacement:
 * Myers' algorithm (jsdiff) costs time in proportion to lines x edits, and a diff that large is
 * read as "everything changed" anyway.
 */
const MAX_EDIT_LENGTH = 4000;

/**
 * A unified diff of two line arrays, with `context` lines around each change (jsdiff's Myers
 * diff: linear memory, so a 10,000-line allowlist with one change costs next to nothing).
 * Output: `--- a`, `+++ b`, then `@@ -start,count +start,count @@` hunks.
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], labelA: string, labelB: string, context = 3): string {
  const text = (lines: readonly string[]) => (lines.length ? `${lines.join('\n')}\n` : '');
  const patch = structuredPatch(labelA, labelB, text(a), text(b), undefined, undefined, { context, maxEditLength: MAX_EDIT_LENGTH });
  const hunks = patch?.hunks ?? [{
    oldStart: a.length ? 1 : 0, oldLines: a.length, newStart: b.length ? 1 : 0, newLines: b.length,
    lines: [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)],
  }];
  const out = [`--- ${labelA}`, `+++ ${labelB}`];
  for (const h of hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const line of h.lines) if (!line.startsWith('\\')) out.push(line); // no "\ No newline at end of file"
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

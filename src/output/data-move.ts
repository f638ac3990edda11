/**
 * Guards against a config change that would put user homes or the hub database somewhere else
 * than the existing ones (new volumes land elsewhere; old data looks lost). Compares the
 * DeploymentRecord of the previous dist/ with the new one.
 */
import * as yaml from 'js-yaml';
import { DEPLOYMENT_RECORD_NAME } from '../cluster/deployment-record';
import { UserError } from '../util/errors';
import { KubeObject } from './kube-object';

// namespace: home PVCs live in it; a new namespace starts with none.
const DATA_FACTS = ['namespace', 'storageClassName', 'hubDatabaseStorageClassName', 'hostDirectory', 'storageMethod'] as const;

function recordIn(objects: readonly KubeObject[]): Record<string, string> | undefined {
  const rec = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === DEPLOYMENT_RECORD_NAME);
  return rec ? ((rec as { data?: Record<string, string> }).data ?? {}) : undefined;
}

export function previousRecord(previous: ReadonlyMap<string, string>): Record<string, string> | undefined {
  for (const [name, text] of previous) {
    if (!name.endsWith('.yaml') || name.includes('/')) continue;
    let docs: unknown[];
    try {
      docs = yaml.loadAll(text) as unknown[];
    } catch {
      continue;
    }
    const rec = recordIn(docs.filter((d): d is KubeObject => !!d && typeof d === 'object' && 'kind' in d));
    if (rec) return rec;
  }
  return undefined;
}

/** Data-moving changes between two records, as "fact: old -> new". */
export function dataMoves(before: Record<string, string> | undefined, after: Record<string, string> | undefined): string[] {
  if (!before || !after) return [];
  return DATA_FACTS.filter((k) => before[k] !== undefined && before[k] !== after[k]).map((k) => `${k}: ${before[k]} -> ${after[k] ?? '(not used any more)'}`);
}

export function checkDataMove(previous: ReadonlyMap<string, string>, next: readonly KubeObject[], env: NodeJS.ProcessEnv): void {
  const moves = dataMoves(previousRecord(previous), recordIn(next));
  if (moves.length === 0 || env.HUB_ALLOW_DATA_MOVE === '1') return;
  throw new UserError(
    'This change moves where user homes and the hub database live:\n' +
      moves.map((m) => `  ${m}`).join('\n') +
      '\nExisting volumes stay where they are; new ones would be created in the new place, so users would see empty homes, ' +
      'and StorageClass parameters cannot be changed in place.\n' +
      'Fix: move the data first (README: "Moving user data"), then re-run with HUB_ALLOW_DATA_MOVE=1 ' +
      '(or `npm run synth -- --allow-data-move`). dist/ is unchanged.',
  );
}

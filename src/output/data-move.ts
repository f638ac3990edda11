/**
 * Guards against a config change that would put user homes or the hub database somewhere else
 * than the existing ones (new volumes land elsewhere; old data looks lost). Compares the
 * DeploymentRecord of the previous dist/ with the new one: where the data lives (namespace,
 * backend and its location, host directory), never a StorageClass name, which may change
 * without moving anything. Also refuses, through ./immutable-changes, what the API server would
 * refuse to update (StorageClass and PVC fields).
 */
import * as yaml from 'js-yaml';
import { DEPLOYMENT_RECORD_NAME } from '../cluster/labels';
import { UserError } from '../util/errors';
import { clusterCommands, formatArgv } from '../util/command';
import { envFlag } from '../util/env-flag';
import { immutableChangeMessage, immutableChanges, isNamedObject } from './immutable-changes';
import { KubeObject } from './kube-object';

// namespace: home PVCs live in it; a new namespace starts with none. homes / hubDatabase:
// backend and location (HubStorage.dataFacts). Records written before these existed hold only
// namespace and hostDirectory of these; a fact missing from the previous record is not compared.
const DATA_FACTS = ['namespace', 'homes', 'hubDatabase', 'hostDirectory'] as const;

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
    const rec = recordIn(docs.filter(isNamedObject));
    if (rec) return rec;
  }
  return undefined;
}

/** Data-moving changes between two records, as "fact: old -> new". */
export function dataMoves(before: Record<string, string> | undefined, after: Record<string, string> | undefined): string[] {
  if (!before || !after) return [];
  return DATA_FACTS.filter((k) => before[k] !== undefined && before[k] !== after[k]).map((k) => `${k}: ${before[k]} -> ${after[k] ?? '(not used any more)'}`);
}

/**
 * The documents of a previous dist/ file the guards below compare: StorageClasses, claims and
 * pools (immutable-changes.ts) and the deployment record. Others (a 10,000-user allowlist) are
 * not worth parsing on every synth.
 */
export function comparedDocument(doc: string): boolean {
  if (/^kind: ["']?(StorageClass|PersistentVolumeClaim|IPAddressPool)["']?$/m.test(doc)) return true;
  return /^kind: ["']?ConfigMap["']?$/m.test(doc) && doc.includes(DEPLOYMENT_RECORD_NAME);
}

/**
 * Refuses `next` when it moves data or changes what the API server will not update, compared
 * with the objects of the previous dist/ (see previousObjects).
 */
export function checkDataMove(previous: readonly KubeObject[], next: readonly KubeObject[], env: NodeJS.ProcessEnv): void {
  const moves = dataMoves(recordIn(previous), recordIn(next));
  const refused: string[] = [];
  if (moves.length > 0 && !envFlag(env, 'HUB_ALLOW_DATA_MOVE')) {
    refused.push(
      'This change moves where user homes and the hub database live:\n' +
        moves.map((m) => `  ${m}`).join('\n') +
        '\nExisting volumes stay where they are; new ones would be created in the new place, so users would see empty homes.\n' +
        'Fix: move the data first (README: "Moving user data"), then re-run with HUB_ALLOW_DATA_MOVE=1 ' +
        '(or `npm run synth -- --allow-data-move`).',
    );
  }
  const immutable = immutableChangeMessage(immutableChanges(previous, next, kubectlShown(env)), env);
  if (immutable) refused.push(immutable);
  if (refused.length > 0) throw new UserError(`${refused.join('\n\n')}\ndist/ is unchanged.`);
}

/** The kubectl the printed steps use: the one deploy, doctor and verify would run. */
function kubectlShown(env: NodeJS.ProcessEnv): string {
  try {
    return formatArgv(clusterCommands(env).kubectl);
  } catch {
    return 'microk8s kubectl'; // an unsplittable KUBECTL is deploy's error to report, not synth's
  }
}

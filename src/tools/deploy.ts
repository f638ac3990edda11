/**
 * `npm run deploy [-- --dry-run] [--allow-data-move] [DIR]`: applies dist/ with server-side
 * apply and prunes what the program no longer generates, by label. It never prunes kinds that
 * hold or define user data (PVCs, PVs, Namespaces, StorageClasses) and refuses placeholder
 * secrets and unannounced storage moves. Prints every kubectl command before running it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { DEPLOYMENT_RECORD_NAME } from '../cluster/deployment-record';
import { MANAGED_BY_LABEL, PLACEHOLDER_ANNOTATION, pruneSelector, RELEASE_LABEL } from '../cluster/labels';
import { dataMoves } from '../output/data-move';
import { KubeObject } from '../output/kube-object';
import { FILES } from '../output/manifests';
import { DEFAULT_OUTDIR } from '../output/synth';
import { readDist } from '../output/write-dist';
import { runCli, UserError } from '../util/errors';

/**
 * Kinds deploy may prune, as kubectl resource names. kubectl 1.27 cannot combine --prune with
 * server-side apply, so deploy lists labelled objects of these kinds itself and deletes the ones
 * dist/ no longer has, each with an explicit command that is printed first.
 */
export const PRUNABLE_RESOURCES: Readonly<Record<string, string>> = {
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments.apps',
  DaemonSet: 'daemonsets.apps',
  StatefulSet: 'statefulsets.apps',
  Role: 'roles.rbac.authorization.k8s.io',
  RoleBinding: 'rolebindings.rbac.authorization.k8s.io',
  ClusterRole: 'clusterroles.rbac.authorization.k8s.io',
  ClusterRoleBinding: 'clusterrolebindings.rbac.authorization.k8s.io',
  NetworkPolicy: 'networkpolicies.networking.k8s.io',
  PodDisruptionBudget: 'poddisruptionbudgets.policy',
  PriorityClass: 'priorityclasses.scheduling.k8s.io',
  IPAddressPool: 'ipaddresspools.metallb.io',
  L2Advertisement: 'l2advertisements.metallb.io',
};

/** Never pruned, whatever dist/ says: deleting them deletes (or strands) user data. */
export const NEVER_PRUNE: ReadonlySet<string> = new Set(['PersistentVolumeClaim', 'PersistentVolume', 'Namespace', 'StorageClass']);

export interface DeployPlanInput {
  readonly dir: string;
  readonly kubectl: readonly string[];
  readonly objects: readonly KubeObject[];
  readonly hasPatch: boolean;
}

export interface DeployPlan {
  /** Commands run in order. */
  readonly commands: readonly (readonly string[])[];
  /** Lists every labelled object of a prunable kind (JSON), to find what dist/ no longer has. */
  readonly listForPrune: readonly string[];
  readonly release: string;
  readonly namespace: string;
}

/** The kubectl commands for a dist/ folder, in order. Pure. */
export function planDeploy(i: DeployPlanInput): DeployPlan {
  const labelled = i.objects.filter((o) => o.metadata?.labels?.[MANAGED_BY_LABEL]);
  const release = labelled[0]?.metadata.labels?.[RELEASE_LABEL];
  const ns = i.objects.find((o) => o.kind === 'Namespace')?.metadata.name;
  if (!release || !ns) throw new UserError(`${i.dir} holds no objects of this program (no Namespace or no ${MANAGED_BY_LABEL} label). Run \`npx cdk8s synth\` first.`);
  const commands: string[][] = [];
  if (i.hasPatch) {
    commands.push([...i.kubectl, '--namespace', 'kube-system', 'patch', 'deployment', 'hostpath-provisioner', '--type', 'strategic',
      '--patch-file', path.join(i.dir, FILES.provisionerPatch)]);
  }
  commands.push([...i.kubectl, 'apply', '--server-side', '--field-manager=microk8s-jupyterhub', '--force-conflicts', '--filename', i.dir]);
  const listForPrune = [...i.kubectl, 'get', Object.values(PRUNABLE_RESOURCES).join(','), '--all-namespaces',
    '--selector', pruneSelector(release), '--output', 'json'];
  return { commands, listForPrune, release, namespace: ns };
}

/**
 * Objects found in the cluster that dist/ no longer has, minus kinds never pruned, and only in
 * the namespaces this dist/ owns (its own and, for MetalLB pools, metallb-system): another hub
 * with the same release name in another namespace is not ours to delete.
 */
export function pruneCandidates(live: readonly KubeObject[], wanted: readonly KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const keep = new Set(wanted.map(key));
  const owned = new Set(wanted.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
  return live.filter((o) =>
    !keep.has(key(o)) && !NEVER_PRUNE.has(o.kind) && PRUNABLE_RESOURCES[o.kind] !== undefined &&
    (o.metadata.namespace === undefined || owned.has(o.metadata.namespace)));
}

export function deleteCommand(kubectl: readonly string[], o: KubeObject): string[] {
  return [...kubectl, 'delete', PRUNABLE_RESOURCES[o.kind], o.metadata.name!, ...(o.metadata.namespace ? ['--namespace', o.metadata.namespace] : [])];
}

export function kubectlCommand(env: NodeJS.ProcessEnv): string[] {
  return (env.KUBECTL ?? 'microk8s kubectl').trim().split(/\s+/);
}

function loadObjects(files: ReadonlyMap<string, string>): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [name, text] of files) {
    if (name.includes('/')) continue;
    for (const d of yaml.loadAll(text)) if (d && typeof d === 'object') out.push(d as KubeObject);
  }
  return out;
}

function quote(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface DeployOptions {
  readonly dir: string;
  readonly dryRun: boolean;
  readonly allowDataMove: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
}

export function deploy(o: DeployOptions): number {
  if (!fs.existsSync(o.dir)) throw new UserError(`${o.dir} does not exist. Run \`npx cdk8s synth\` first.`);
  const files = readDist(o.dir);
  const objects = loadObjects(files);
  const placeholders = objects.filter((x) => x.kind === 'Secret' && x.metadata.annotations?.[PLACEHOLDER_ANNOTATION] === 'true');
  if (placeholders.length > 0) {
    throw new UserError(`Refusing to deploy: ${o.dir} holds placeholder secrets (${placeholders.map((x) => x.metadata.name).join(', ')}).\n` +
      'Fix: set AUTH0_CLIENT_SECRET (or .secrets/auth0-client-secret), make sure .secrets/ is present, and synth again.');
  }
  // Secrets are gitignored: a dist/ checked out from git has none. Applying it would prune the
  // live hub Secret (cookie secret, crypt key) and log everyone out.
  if (!files.has(FILES.secrets)) {
    throw new UserError(`Refusing to deploy: ${o.dir} has no ${FILES.secrets} (Secrets are never committed).\n` +
      'Fix: synth on the machine that holds .secrets/ (and AUTH0_CLIENT_SECRET), then deploy from there.');
  }
  const kubectl = kubectlCommand(o.env);
  const plan = planDeploy({ dir: o.dir, kubectl, objects, hasPatch: files.has(FILES.provisionerPatch) });

  // The cluster's own record of where homes live, in whatever namespace it is: a change of it
  // (namespace included) needs --allow-data-move.
  const recordCmd = [...kubectl, 'get', 'configmaps', '--all-namespaces', '--selector', pruneSelector(plan.release),
    '--field-selector', `metadata.name=${DEPLOYMENT_RECORD_NAME}`, '--output', 'json'];
  o.out(`$ ${quote(recordCmd)}`);
  if (!o.dryRun) {
    const r = spawnSync(recordCmd[0], recordCmd.slice(1), { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new UserError(`${quote(recordCmd)} failed: ${r.error?.message ?? r.stderr.trim()}\nIs MicroK8s running? Try \`npm run doctor\`.`);
    const items = r.stdout.trim() ? ((JSON.parse(r.stdout) as { items?: { data?: Record<string, string> }[] }).items ?? []) : [];
    const live = items[0]?.data;
    const next = (objects.find((x) => x.kind === 'ConfigMap' && x.metadata.name === DEPLOYMENT_RECORD_NAME) as { data?: Record<string, string> } | undefined)?.data;
    const moves = dataMoves(live, next);
    if (moves.length > 0 && !o.allowDataMove) {
      throw new UserError(`Refusing to deploy: the cluster's home volumes live elsewhere:\n${moves.map((m) => `  ${m}`).join('\n')}\n` +
        'Move the data first (README: "Moving user data"), then run `npm run deploy -- --allow-data-move`.');
    }
  }
  const run = (cmd: readonly string[]) => {
    o.out(`$ ${quote(cmd)}`);
    if (o.dryRun) return;
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
    if (r.error || r.status !== 0) {
      throw new UserError(`kubectl failed (${r.error?.message ?? `exit ${r.status}`}); stopped. Nothing after this command ran.`);
    }
  };
  for (const cmd of plan.commands) run(cmd);

  o.out(`$ ${quote(plan.listForPrune)}`);
  if (o.dryRun) {
    o.out(`# then: kubectl delete each listed object that dist/ no longer has (never ${[...NEVER_PRUNE].join(', ')})`);
  } else {
    const r = spawnSync(plan.listForPrune[0], plan.listForPrune.slice(1), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.error || r.status !== 0) throw new UserError(`Listing objects to prune failed: ${r.error?.message ?? r.stderr.trim()}. The apply itself succeeded.`);
    const live = ((JSON.parse(r.stdout || '{"items":[]}') as { items?: KubeObject[] }).items ?? []);
    const stale = pruneCandidates(live, objects);
    if (stale.length === 0) o.out('# nothing to prune');
    for (const x of stale) run(deleteCommand(kubectl, x));
  }
  if (o.dryRun) o.out('(dry run: nothing was changed)');
  return 0;
}

if (require.main === module) {
  runCli(() => {
    const args = process.argv.slice(2);
    const unknown = args.filter((a) => a.startsWith('--') && !['--dry-run', '--allow-data-move'].includes(a));
    if (unknown.length) throw new UserError(`Unknown option ${unknown[0]}. Usage: npm run deploy -- [--dry-run] [--allow-data-move] [DIR]`);
    const dir = path.resolve(args.find((a) => !a.startsWith('--')) ?? process.env.HUB_OUTDIR ?? DEFAULT_OUTDIR);
    return deploy({
      dir,
      dryRun: args.includes('--dry-run'),
      allowDataMove: args.includes('--allow-data-move'),
      env: process.env,
      out: (l) => process.stdout.write(`${l}\n`),
    });
  });
}

/**
 * `npm run deploy [-- --dry-run] [--allow-data-move] [DIR]`: applies dist/ with server-side
 * apply and prunes what this hub no longer generates. Ownership is explicit: every object carries
 * the label `microk8s-jupyterhub/hub-namespace` (HUB_LABEL), and deploy only ever deletes objects
 * carrying THIS hub's namespace, and refuses to overwrite an object another hub owns (two hubs on
 * one cluster share cluster-scoped names and `metallb-system`). It never prunes kinds that hold or
 * define user data (PVCs, PVs, Namespaces, StorageClasses), and refuses placeholder secrets and
 * unannounced storage moves. Prints every kubectl command before running it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { DEPLOYMENT_RECORD_NAME } from '../cluster/deployment-record';
import { HUB_LABEL, MANAGED_BY_LABEL, MANAGED_SELECTOR, PLACEHOLDER_ANNOTATION, pruneSelector } from '../cluster/labels';
import { dataMoves } from '../output/data-move';
import { KubeObject, objectId } from '../output/kube-object';
import { FILES } from '../output/manifests';
import { DEFAULT_OUTDIR } from '../output/synth';
import { readDist } from '../output/write-dist';
import { parseCliArgs } from '../util/cli-args';
import { clusterCommands, CommandResult, describeFailure, formatArgv, runSync, succeeded } from '../util/command';
import { runCli, UserError } from '../util/errors';

/**
 * Kinds deploy may prune, as kubectl resource names. kubectl refuses `--prune -l` together with
 * server-side apply (measured with kubectl 1.32 against envtest), so deploy lists labelled objects
 * of these kinds itself and deletes the ones dist/ no longer has, each with an explicit command
 * that is printed first.
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

/** Listed too, only to refuse taking over another hub's object of these kinds; never pruned. */
const OWNERSHIP_ONLY_RESOURCES: Readonly<Record<string, string>> = {
  StorageClass: 'storageclasses.storage.k8s.io',
};

/** Never pruned, whatever dist/ says: deleting them deletes (or strands) user data. */
export const NEVER_PRUNE: ReadonlySet<string> = new Set(['PersistentVolumeClaim', 'PersistentVolume', 'Namespace', 'StorageClass']);

/** Generous: an apply of thousands of users' allowlist on a busy single node. */
const APPLY_TIMEOUT_MS = 10 * 60_000;
const GET_TIMEOUT_MS = 2 * 60_000;
/** `kubectl get -o json` of every object of every hub (allowlists included) can be large. */
const LIST_MAX_BUFFER = 512 * 1024 * 1024;

export interface DeployPlanInput {
  readonly dir: string;
  readonly kubectl: readonly string[];
  readonly objects: readonly KubeObject[];
  readonly hasPatch: boolean;
}

export interface DeployPlan {
  /** Commands run in order. */
  readonly commands: readonly (readonly string[])[];
  /**
   * Lists every object of this program (every hub's) of the prunable kinds, as JSON: to find
   * what dist/ no longer has, another hub's objects dist/ would overwrite, and the state records.
   */
  readonly listLive: readonly string[];
  /** This hub's namespace: its identity (HUB_LABEL). */
  readonly namespace: string;
}

/** The kubectl commands for a dist/ folder, in order. Pure. */
export function planDeploy(i: DeployPlanInput): DeployPlan {
  const ns = i.objects.find((o) => o.kind === 'Namespace')?.metadata.name;
  const labelled = i.objects.filter((o) => o.metadata?.labels?.[MANAGED_BY_LABEL]);
  if (!ns || labelled.length === 0) throw new UserError(`${i.dir} holds no objects of this program (no Namespace or no ${MANAGED_BY_LABEL} label). Run \`npx cdk8s synth\` first.`);
  const unowned = labelled.filter((o) => o.metadata.labels?.[HUB_LABEL] !== ns);
  if (unowned.length > 0) {
    throw new UserError(`${i.dir} was synthesized by an older version of this program (${objectId(unowned[0])} has no ${HUB_LABEL}=${ns} label), ` +
      'so deploy cannot tell this hub\'s objects from another hub\'s. Run `npx cdk8s synth` again, then deploy.');
  }
  const commands: string[][] = [];
  if (i.hasPatch) {
    commands.push([...i.kubectl, '--namespace', 'kube-system', 'patch', 'deployment', 'hostpath-provisioner', '--type', 'strategic',
      '--patch-file', path.join(i.dir, FILES.provisionerPatch)]);
  }
  commands.push([...i.kubectl, 'apply', '--server-side', '--field-manager=microk8s-jupyterhub', '--force-conflicts', '--filename', i.dir]);
  const listLive = [...i.kubectl, 'get', [...Object.values(PRUNABLE_RESOURCES), ...Object.values(OWNERSHIP_ONLY_RESOURCES)].join(','),
    '--all-namespaces', '--selector', MANAGED_SELECTOR, '--output', 'json'];
  return { commands, listLive, namespace: ns };
}

const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const ownerOf = (o: KubeObject) => o.metadata.labels?.[HUB_LABEL];

/**
 * Objects found in the cluster that dist/ no longer has, minus kinds never pruned, and only
 * those carrying THIS hub's identity (HUB_LABEL = its namespace): another hub's objects, in its
 * namespace, in `metallb-system` or cluster-scoped, even with the same release name, are not ours.
 */
export function pruneCandidates(live: readonly KubeObject[], wanted: readonly KubeObject[], hubNamespace: string): KubeObject[] {
  const keep = new Set(wanted.map(key));
  return live.filter((o) => ownerOf(o) === hubNamespace && !keep.has(key(o)) && !NEVER_PRUNE.has(o.kind) && PRUNABLE_RESOURCES[o.kind] !== undefined);
}

/** Objects dist/ would overwrite that another hub owns (same kind, namespace and name). */
export function ownershipConflicts(live: readonly KubeObject[], wanted: readonly KubeObject[], hubNamespace: string): KubeObject[] {
  const want = new Set(wanted.map(key));
  return live.filter((o) => want.has(key(o)) && ownerOf(o) !== undefined && ownerOf(o) !== hubNamespace);
}

type StateRecord = { metadata?: { namespace?: string }; data?: Record<string, string> };

/**
 * The cluster's state record of THIS hub: the one in its namespace; else (the hub moved to
 * another namespace) one elsewhere that names the same hub domain. Another hub's record (another
 * domain) is never compared: it would raise a false data-move refusal.
 */
export function recordOfThisHub(records: readonly StateRecord[], hubNamespace: string, domain: string | undefined): StateRecord | undefined {
  return records.find((r) => r.metadata?.namespace === hubNamespace) ??
    (domain ? records.find((r) => r.data?.domain === domain) : undefined);
}

export function deleteCommand(kubectl: readonly string[], o: KubeObject): string[] {
  return [...kubectl, 'delete', PRUNABLE_RESOURCES[o.kind], o.metadata.name!, ...(o.metadata.namespace ? ['--namespace', o.metadata.namespace] : [])];
}

function loadObjects(files: ReadonlyMap<string, string>): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [name, text] of files) {
    if (name.includes('/')) continue;
    for (const d of yaml.loadAll(text)) if (d && typeof d === 'object') out.push(d as KubeObject);
  }
  return out;
}

/** `kubectl get -o json` output, or a UserError saying what came instead. */
export function parseList(r: CommandResult): KubeObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    const first = r.stdout.trim().split('\n')[0]?.slice(0, 120) ?? '';
    throw new UserError(`\`${formatArgv(r.argv.slice(0, 3))} ...\` printed something that is not JSON${first ? ` ("${first}")` : ' (nothing)'}.\n` +
      'Fix: KUBECTL (or MICROK8S) must name a real kubectl (e.g. KUBECTL="microk8s kubectl"); a wrapper must not print anything else on stdout.');
  }
  const items = (parsed as { items?: unknown }).items;
  if (!Array.isArray(items)) throw new UserError(`\`${formatArgv(r.argv.slice(0, 3))} ...\` printed JSON without an "items" list: is KUBECTL a real kubectl?`);
  return items as KubeObject[];
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
  const kubectl = clusterCommands(o.env).kubectl;
  const plan = planDeploy({ dir: o.dir, kubectl, objects, hasPatch: files.has(FILES.provisionerPatch) });
  const env = o.env;

  o.out(`$ ${formatArgv(plan.listLive)}`);
  if (o.dryRun) {
    for (const cmd of plan.commands) o.out(`$ ${formatArgv(cmd)}`);
    o.out(`# then: kubectl delete each listed object labelled ${pruneSelector(plan.namespace)} that dist/ no longer has ` +
      `(never ${[...NEVER_PRUNE].join(', ')})`);
    o.out('(dry run: nothing was changed)');
    return 0;
  }
  const listed = runSync(plan.listLive, { timeoutMs: GET_TIMEOUT_MS, env, maxBuffer: LIST_MAX_BUFFER });
  if (!succeeded(listed)) throw new UserError(`${describeFailure(listed)}\nNothing was changed. Is MicroK8s running? Try \`npm run doctor\`.`);
  const live = parseList(listed);

  const conflicts = ownershipConflicts(live, objects, plan.namespace);
  if (conflicts.length > 0) {
    throw new UserError(`Refusing to deploy: another hub on this cluster owns objects dist/ would overwrite:\n` +
      conflicts.map((x) => `  ${objectId(x)} (hub in namespace ${ownerOf(x)})`).join('\n') +
      '\nNothing was changed. Fix: give this hub its own names: a releaseName of its own (it prefixes the chart\'s cluster-wide objects), ' +
      'loadBalancer.poolName (or leave it out: it defaults to the namespace), storage class names; then synth again.');
  }

  // The cluster's own record of where this hub's homes live: a change needs --allow-data-move.
  const records = live.filter((x) => x.kind === 'ConfigMap' && x.metadata.name === DEPLOYMENT_RECORD_NAME) as StateRecord[];
  const next = (objects.find((x) => x.kind === 'ConfigMap' && x.metadata.name === DEPLOYMENT_RECORD_NAME) as StateRecord | undefined)?.data;
  const mine = recordOfThisHub(records, plan.namespace, next?.domain);
  const moves = dataMoves(mine?.data, next);
  if (moves.length > 0 && !o.allowDataMove) {
    throw new UserError(`Refusing to deploy: the cluster's home volumes of this hub live elsewhere:\n${moves.map((m) => `  ${m}`).join('\n')}\n` +
      'Nothing was changed. Move the data first (README: "Moving user data"), then run `npm run deploy -- --allow-data-move`.');
  }

  for (const [n, cmd] of plan.commands.entries()) {
    o.out(`$ ${formatArgv(cmd)}`);
    const r = runSync(cmd, { timeoutMs: APPLY_TIMEOUT_MS, env, output: 'inherit' });
    if (!succeeded(r)) {
      throw new UserError(`${describeFailure(r)}\nStopped: ${n === 0 && plan.commands.length > 1 ? 'nothing was applied and ' : ''}nothing was pruned. ` +
        'Fix the error kubectl printed above and run `npm run deploy` again (applying is idempotent).');
    }
  }

  const stale = pruneCandidates(live, objects, plan.namespace);
  if (stale.length === 0) o.out('# nothing to prune');
  for (const [n, x] of stale.entries()) {
    const cmd = deleteCommand(kubectl, x);
    o.out(`$ ${formatArgv(cmd)}`);
    const r = runSync(cmd, { timeoutMs: GET_TIMEOUT_MS, env });
    if (!succeeded(r) && !/NotFound|not found/.test(r.stderr)) {
      throw new UserError(`${describeFailure(r)}\nThe apply succeeded; pruning stopped after ${n} of ${stale.length} deletions. ` +
        `Not deleted yet: ${stale.slice(n).map(objectId).join(', ')}.\nRun \`npm run deploy\` again to finish (it lists what is left).`);
    }
  }
  return 0;
}

const USAGE = 'npm run deploy -- [--dry-run] [--allow-data-move] [DIR]';

if (require.main === module) {
  runCli(() => {
    const { values, positionals } = parseCliArgs({
      usage: USAGE,
      allowPositionals: true,
      options: { 'dry-run': { type: 'boolean' }, 'allow-data-move': { type: 'boolean' } },
    });
    if (positionals.length > 1) throw new UserError(`One dist/ folder at most, got ${positionals.length}.\nUsage: ${USAGE}`, 2);
    const dir = path.resolve(positionals[0] ?? process.env.HUB_OUTDIR ?? DEFAULT_OUTDIR);
    return deploy({
      dir,
      dryRun: values['dry-run'] === true,
      allowDataMove: values['allow-data-move'] === true,
      env: process.env,
      out: (l) => process.stdout.write(`${l}\n`),
    });
  });
}

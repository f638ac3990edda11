/**
 * `npm run doctor`: checks the machine you are about to deploy to and prints a checklist, with a
 * fix for every failure: MicroK8s installed and running, the addons the hub needs, kubectl
 * reaching the API server, a MetalLB pool for the hub IP that MetalLB will accept, and for the
 * storage backends in use: a hostpath provisioner that honours `storage.method` and the storage
 * directory (hostpath), the csi-driver-nfs CSIDriver, the CephFilesystem and Rook's CSI secrets;
 * and Helm >= 3.5 on this machine (synth runs helm here, not in the cluster, so no helm3 addon is
 * needed). Exits 1 when a check failed, 0 otherwise (warnings included).
 *
 * `runChecks` is pure: every command and file-system look-up goes through a `Probe`, so tests can
 * drive it with recorded outputs. Nothing here reads or prints a secret.
 */
import { poolNameOf } from '../cluster/metallb-pool';
import { CephfsStorageClass } from '../cluster/cephfs-storage-class';
import { NfsStorageClass } from '../cluster/nfs-storage-class';
import { backendAddon, usedBackends } from '../cluster/storage-backends';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { loadConfig } from '../config/load';
import { AddressPool, ipv4ToInt, parseAddressPool } from '../config/network';
import { formatBytes, parseQuantity } from '../config/quantity';
import type { HubConfig } from '../config/schema';
import { resolveHelm } from '../hub/helm-binary';
import { runCli, UserError } from '../util/errors';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found (one or more lines). */
  readonly detail: string;
  /** What to do about it; set for every failure and warning. */
  readonly fix?: string;
  /** A failure only because an earlier check it needs failed. */
  readonly notChecked?: boolean;
}

/** What running one command gave. */
export interface CommandResult {
  /** Exit code; null when the command did not run or was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it did not run to completion: no such command, killed after the timeout, or another spawn error. */
  readonly failure?: 'missing' | 'timeout' | string;
}

export interface DirectoryInfo {
  readonly exists: boolean;
  /** Why it could not be looked at, when that is not simply "does not exist" (e.g. EACCES). */
  readonly error?: string;
  readonly isDirectory: boolean;
  /** access(W_OK) for the user running doctor. */
  readonly writable: boolean;
  /** Whether doctor runs as root (then `writable` is what the provisioner, also root, gets). */
  readonly asRoot: boolean;
  /** Mount point of the read-only file system it lies on, if it does. */
  readonly readOnlyMount?: string;
  /** Bytes available to unprivileged users on its file system. */
  readonly freeBytes?: number;
}

export type HelmProbe =
  | { readonly ok: true; readonly command: string; readonly source: string; readonly version: string }
  | { readonly ok: false; readonly message: string };

/** Everything doctor asks the machine. `systemProbe` is the real one; tests pass their own. */
export interface Probe {
  /** How microk8s is invoked, for messages: `microk8s`, or env MICROK8S. */
  readonly microk8sName: string;
  /** How kubectl is invoked, for messages: `microk8s kubectl`, or env KUBECTL. */
  readonly kubectlName: string;
  /** True when kubectl is `microk8s kubectl` (so it needs a working microk8s). */
  readonly kubectlViaMicrok8s: boolean;
  /** Whether MICROK8S was set explicitly (changes the "not installed" message). */
  readonly microk8sFromEnv: boolean;
  /** The per-command timeout, for messages. */
  readonly timeoutMs: number;
  microk8s(args: readonly string[]): CommandResult;
  kubectl(args: readonly string[]): CommandResult;
  helm(): HelmProbe;
  directory(dir: string): DirectoryInfo;
}

/**
 * Addons every hub needs, in the order they are reported; storage backends add theirs. No helm3:
 * helm renders the chart at synth time on the user's machine (`npm run doctor` checks that Helm).
 */
export const REQUIRED_ADDONS = ['dns', 'metallb'] as const;
export const COMMAND_TIMEOUT_MS = 15_000;
/** Addons of canonical/microk8s-community-addons (listed once `microk8s enable community` ran). */
const COMMUNITY_ADDONS: ReadonlySet<string> = new Set(['nfs']);
/** MicroK8s 1.25 is the first whose hostpath-storage addon reads `pvDir` (image 1.4.2; VERSIONS.md). */
export const PVDIR_MIN_MICROK8S: readonly [number, number] = [1, 25];
/**
 * hostpath-provisioner reads `pvDir` from 1.4.0 but gets it right only from 1.4.1 (1.4.0 lets
 * kubelet create the directory as root 0755): ../shared/reference/microk8s-addons/VERSIONS.md.
 */
export const PVDIR_MIN_PROVISIONER: readonly [number, number, number] = [1, 4, 1];
/** The pool the MicroK8s metallb addon creates from the range given to `microk8s enable metallb:RANGE`. */
export const ADDON_POOL_NAME = 'default-addresspool';
const ADDON_DEFAULT_PV_DIR = '/var/snap/microk8s/common/default-storage';

// ---------------------------------------------------------------------------------------------
// Parsing command output (pure)

/** Parses `microk8s version` output, e.g. "MicroK8s v1.28.3 revision 6089". */
export function parseMicrok8sVersion(output: string): { major: number; minor: number; patch: number; text: string } | undefined {
  const m = /MicroK8s\s+v?(\d+)\.(\d+)(?:\.(\d+))?[^\n]*/.exec(output);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: m[0].trim() };
}

export interface Microk8sStatus {
  readonly running: boolean;
  /** Why it is not running, as MicroK8s says. */
  readonly message?: string;
  /** Addon name -> "enabled" | "disabled" (repository `core` wins over others of the same name). */
  readonly addons: ReadonlyMap<string, { status: string; version?: string; repository?: string }>;
}

/**
 * Parses `microk8s status --format yaml` (print_yaml in MicroK8s's scripts/wrappers/status.py):
 * `microk8s.running`, then `addons:` as a list of {name, repository, description, version, status}.
 * Returns undefined when the text is not that document.
 */
export function parseMicrok8sStatus(text: string): Microk8sStatus | undefined {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const d = doc as Record<string, any>;
  const mk = d.microk8s;
  if (!mk || typeof mk !== 'object' || typeof mk.running !== 'boolean') return undefined;
  // When not running, status.py prints the message indented under the last block (usually
  // `high-availability:`), so YAML puts it there.
  const message = [mk.message, d['high-availability']?.message, d.message].find((m) => typeof m === 'string');
  const addons = new Map<string, { status: string; version?: string; repository?: string }>();
  if (Array.isArray(d.addons)) {
    for (const a of d.addons) {
      if (!a || typeof a.name !== 'string' || typeof a.status !== 'string') continue;
      const prev = addons.get(a.name);
      if (prev && prev.repository === 'core') continue;
      addons.set(a.name, {
        status: a.status,
        version: a.version === null || a.version === undefined || a.version === '' ? undefined : String(a.version),
        repository: typeof a.repository === 'string' ? a.repository : undefined,
      });
    }
  }
  return { running: mk.running, message, addons };
}

export type IpRange = Pick<AddressPool, 'first' | 'last' | 'text'>;

/**
 * An IPv4 range as MetalLB accepts it in `spec.addresses`: "a-b" (spaces allowed) or a CIDR, whose
 * host bits MetalLB masks off (`microk8s enable metallb:192.168.1.240/24` is the addon's own
 * example). Undefined for IPv6 and anything else. `text` is the range as written.
 */
export function parseMetalLbRange(text: string): IpRange | undefined {
  const pool = parseAddressPool(text, { maskHostBits: true });
  return pool && { first: pool.first, last: pool.last, text: text.trim() };
}

interface LivePool {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly ranges: readonly IpRange[];
}

function parsePoolList(json: string): LivePool[] | undefined {
  let doc: any;
  try {
    doc = JSON.parse(json || '{"items":[]}');
  } catch {
    return undefined;
  }
  if (!doc || !Array.isArray(doc.items)) return undefined;
  return doc.items.map((i: any) => {
    const addresses: string[] = Array.isArray(i?.spec?.addresses) ? i.spec.addresses.filter((a: unknown) => typeof a === 'string') : [];
    return {
      name: String(i?.metadata?.name ?? '?'),
      addresses,
      ranges: addresses.map(parseMetalLbRange).filter((r): r is IpRange => r !== undefined),
    };
  });
}

/** Parses an image reference's tag "1.4.2" / "v1.4.2" / "1.4" into [major, minor, patch]. */
export function imageTagVersion(image: string): [number, number, number] | undefined {
  const m = /:v?(\d+)\.(\d+)(?:\.(\d+))?[^/:]*$/.exec(image.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** v >= min, comparing as many parts as `min` has. */
const atLeast = (v: readonly number[], min: readonly number[]) => {
  for (let i = 0; i < min.length; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  return true;
};

/** First non-empty line of a command's output, without control characters, at most 240 chars. */
function firstLine(...texts: string[]): string {
  for (const t of texts) {
    // eslint-disable-next-line no-control-regex
    const line = t.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim()).find((l) => l);
    if (line) return line.length > 240 ? `${line.slice(0, 237)}...` : line;
  }
  return '(no output)';
}

const hasText = (r: CommandResult, re: RegExp) => re.test(r.stdout) || re.test(r.stderr);
const NO_PERMISSION = /Insufficient permissions to access MicroK8s/;
const STOPPED = /microk8s is not running, try microk8s start/;
const WORKER_NODE = /acting as a node in a cluster/;

function notChecked(name: string, needs: string): Check {
  return { name, status: 'fail', detail: `not checked: needs "${needs}" to pass`, fix: `fix "${needs}" first`, notChecked: true };
}

// ---------------------------------------------------------------------------------------------
// The checks

const GROUP_FIX = 'sudo usermod -a -G microk8s $USER, then log out and in again (or run `newgrp microk8s`)';

interface InstalledResult {
  readonly check: Check;
  readonly usable: boolean;
  /** Parsed version, or 'pre-1.25' when MicroK8s has no `version` command (1.24 and older). */
  readonly version?: ReturnType<typeof parseMicrok8sVersion> | 'pre-1.25';
}

function checkInstalled(probe: Probe): InstalledResult {
  const name = 'MicroK8s installed';
  const mk = probe.microk8sName;
  const r = probe.microk8s(['version']);
  if (r.failure === 'missing') {
    return probe.microk8sFromEnv
      ? { usable: false, check: { name, status: 'fail', detail: `MICROK8S=${mk}: no such command`, fix: 'point MICROK8S at the microk8s command, or unset it to use `microk8s` from PATH' } }
      : { usable: false, check: { name, status: 'fail', detail: 'MicroK8s is not installed or not on PATH', fix: 'sudo snap install microk8s --classic' } };
  }
  if (r.failure === 'timeout') {
    return { usable: false, check: { name, status: 'fail', detail: `\`${mk} version\` did not answer within ${probe.timeoutMs / 1000} s`, fix: 'sudo snap services microk8s; sudo microk8s inspect' } };
  }
  if (r.failure) return { usable: false, check: { name, status: 'fail', detail: `\`${mk} version\` could not run: ${r.failure}`, fix: `check that ${mk} is the MicroK8s command` } };
  if (hasText(r, NO_PERMISSION)) {
    return { usable: false, check: { name, status: 'fail', detail: 'MicroK8s is installed, but this user may not use it (not in the microk8s group)', fix: GROUP_FIX } };
  }
  if (hasText(r, /'version' is not a valid MicroK8s subcommand/)) {
    return { usable: true, version: 'pre-1.25', check: { name, status: 'ok', detail: 'MicroK8s older than 1.25 (it has no `microk8s version` command)' } };
  }
  const v = parseMicrok8sVersion(r.stdout);
  if (r.code === 0) return { usable: true, version: v, check: { name, status: 'ok', detail: v ? v.text : firstLine(r.stdout) } };
  return { usable: false, check: { name, status: 'fail', detail: `\`${mk} version\` failed (exit ${r.code}): ${firstLine(r.stderr, r.stdout)}`, fix: 'sudo microk8s inspect' } };
}

function checkRunning(probe: Probe): { check: Check; status?: Microk8sStatus } {
  const name = 'MicroK8s running';
  const mk = probe.microk8sName;
  const r = probe.microk8s(['status', '--format', 'yaml']);
  if (r.failure === 'timeout') {
    return { check: { name, status: 'fail', detail: `\`${mk} status\` did not answer within ${probe.timeoutMs / 1000} s`, fix: `${mk} status --wait-ready --timeout 120; if it stays unready: sudo microk8s inspect` } };
  }
  if (r.failure) return { check: { name, status: 'fail', detail: `\`${mk} status\` could not run: ${r.failure}`, fix: 'sudo microk8s inspect' } };
  if (hasText(r, NO_PERMISSION)) return { check: { name, status: 'fail', detail: 'this user may not use MicroK8s (not in the microk8s group)', fix: GROUP_FIX } };
  if (hasText(r, WORKER_NODE)) {
    return { check: { name, status: 'fail', detail: 'this machine is a worker node of a MicroK8s cluster', fix: 'run `npm run doctor` (and the deploy) on the control plane node' } };
  }
  if (hasText(r, STOPPED)) return { check: { name, status: 'fail', detail: 'MicroK8s is stopped', fix: `${mk} start` } };
  const status = parseMicrok8sStatus(r.stdout);
  if (!status) {
    return { check: { name, status: 'fail', detail: `\`${mk} status --format yaml\` gave unexpected output (exit ${r.code}): ${firstLine(r.stderr, r.stdout)}`, fix: 'sudo microk8s inspect' } };
  }
  if (!status.running) {
    return {
      status,
      check: {
        name,
        status: 'fail',
        detail: `MicroK8s is not ready${status.message ? `: "${status.message}"` : ''}`,
        fix: `${mk} start; ${mk} status --wait-ready --timeout 120; if it stays unready: sudo microk8s inspect`,
      },
    };
  }
  return { status, check: { name, status: 'ok', detail: `\`${mk} status\` reports running` } };
}

function addonFix(addon: string, config: HubConfig, mk: string): string {
  if (addon !== 'metallb') return `${mk} enable ${addon}`;
  const pool = parseAddressPool(config.loadBalancer.addressPool)!;
  return [
    `${mk} enable metallb:${pool.text}`,
    `then: ${mk} kubectl -n metallb-system delete ipaddresspools.metallb.io ${ADDON_POOL_NAME}`,
    `(the addon always creates pool "${ADDON_POOL_NAME}" from the range it is given; dist/03-metallb.yaml`,
    ` brings pool "${poolNameOf(config)}" for ${pool.text}, and MetalLB refuses overlapping pools.`,
    ' Or give the addon a free range outside loadBalancer.addressPool instead.)',
  ].join('\n');
}

/** The addons this config needs: the base ones plus its storage backends and the gpu addon. */
export function requiredAddons(config: HubConfig): string[] {
  const out: string[] = [...REQUIRED_ADDONS];
  for (const b of usedBackends(config)) {
    const addon = backendAddon(config, b);
    if (addon && !out.includes(addon)) out.push(addon);
  }
  if (config.cluster.nodes.some((n) => n.gpus > 0)) out.push('gpu');
  return out;
}

function checkAddons(config: HubConfig, status: Microk8sStatus, mk: string): Check[] {
  return requiredAddons(config).map((addon) => {
    const name = `addon ${addon}`;
    let a = status.addons.get(addon);
    let alias = '';
    // MicroK8s 1.23 and older call hostpath-storage "storage".
    if (!a && addon === 'hostpath-storage' && status.addons.get('storage')) {
      a = status.addons.get('storage');
      alias = ' (as "storage")';
    }
    if (!a && COMMUNITY_ADDONS.has(addon) && status.addons.get('community')?.status !== 'enabled') {
      return { name, status: 'fail', detail: `not listed: ${addon} is in the community addons repository, which is not enabled`, fix: `${mk} enable community; ${mk} enable ${addon}` } as Check;
    }
    if (!a) {
      return { name, status: 'fail', detail: `this MicroK8s does not offer the ${addon} addon`, fix: 'upgrade MicroK8s: sudo snap refresh microk8s --channel=1.28/stable' } as Check;
    }
    if (a.status === 'enabled') return { name, status: 'ok', detail: `enabled${alias}${a.version ? ` (${a.version})` : ''}` } as Check;
    return { name, status: 'fail', detail: `${a.status}${alias}`, fix: addonFix(addon, config, mk) } as Check;
  });
}

function checkApi(probe: Probe, installed: InstalledResult): { check: Check; reachable: boolean } {
  const name = 'kubectl reaches the API server';
  const k = probe.kubectlName;
  if (probe.kubectlViaMicrok8s && !installed.usable) return { reachable: false, check: notChecked(name, 'MicroK8s installed') };
  const r = probe.kubectl(['version', '--output=json']);
  if (r.failure === 'missing') {
    return { reachable: false, check: { name, status: 'fail', detail: `KUBECTL=${k}: no such command`, fix: 'point KUBECTL at kubectl (e.g. KUBECTL="microk8s kubectl"), or unset it' } };
  }
  if (r.failure === 'timeout') {
    return { reachable: false, check: { name, status: 'fail', detail: `\`${k} version\` did not answer within ${probe.timeoutMs / 1000} s`, fix: 'sudo microk8s inspect' } };
  }
  if (r.failure) return { reachable: false, check: { name, status: 'fail', detail: `\`${k}\` could not run: ${r.failure}`, fix: 'check KUBECTL' } };
  let server: string | undefined;
  try {
    server = JSON.parse(r.stdout)?.serverVersion?.gitVersion;
  } catch {
    server = undefined;
  }
  if (r.code === 0 && server) return { reachable: true, check: { name, status: 'ok', detail: `API server ${server} (via \`${k}\`)` } };
  let fix = probe.kubectlViaMicrok8s
    ? `${probe.microk8sName} start; ${probe.microk8sName} status --wait-ready --timeout 120`
    : 'check that KUBECTL and its kubeconfig point at this machine (`kubectl config current-context`)';
  if (hasText(r, NO_PERMISSION)) fix = GROUP_FIX;
  else if (hasText(r, STOPPED)) fix = `${probe.microk8sName} start`;
  return { reachable: false, check: { name, status: 'fail', detail: `\`${k} version\` failed: ${firstLine(r.stderr, r.stdout)}`, fix } };
}

const rangesOverlap = (a: { first: number; last: number }, b: { first: number; last: number }) => a.first <= b.last && b.first <= a.last;

function checkMetalLb(config: HubConfig, probe: Probe, api: boolean, status: Microk8sStatus | undefined): Check {
  // The pool name dist/ really uses (loadBalancer.poolName, else the hub's namespace).
  const lb = { ...config.loadBalancer, poolName: poolNameOf(config) };
  const name = `MetalLB pool for hub IP ${lb.hubIP}`;
  if (!api) return notChecked(name, 'kubectl reaches the API server');
  const pool = parseAddressPool(lb.addressPool)!; // the schema guarantees it
  const hub = ipv4ToInt(lb.hubIP)!;
  const mk = probe.microk8sName;
  const r = probe.kubectl(['get', 'ipaddresspools.metallb.io', '--namespace', 'metallb-system', '--output', 'json']);
  if (r.failure || r.code !== 0) {
    if (hasText(r, /doesn't have a resource type/)) {
      if (status?.addons.get('metallb')?.status === 'disabled') {
        return { name, status: 'fail', detail: 'MetalLB is not installed (the metallb addon is disabled)', fix: 'enable the metallb addon (see "addon metallb" above)' };
      }
      return {
        name,
        status: 'fail',
        detail: 'the cluster has no IPAddressPool resource: MetalLB is missing or older than 0.13 (MicroK8s 1.24 and older ship MetalLB 0.9, configured by a ConfigMap); dist/03-metallb.yaml needs MetalLB 0.13 or newer',
        fix: `upgrade MicroK8s to 1.25 or newer (sudo snap refresh microk8s --channel=1.28/stable), then re-enable the addon: ${mk} disable metallb; ${mk} enable metallb:RANGE (see "addon metallb" for RANGE)`,
      };
    }
    const why = r.failure === 'timeout' ? `no answer within ${probe.timeoutMs / 1000} s` : firstLine(r.stderr, r.stdout);
    return { name, status: 'fail', detail: `listing MetalLB pools failed: ${why}`, fix: `${probe.kubectlName} get ipaddresspools.metallb.io -n metallb-system` };
  }
  const pools = parsePoolList(r.stdout);
  if (!pools) return { name, status: 'fail', detail: `\`${probe.kubectlName} get ipaddresspools.metallb.io\` gave unexpected output: ${firstLine(r.stdout)}`, fix: 'run it by hand and check MetalLB' };
  const ours = pools.find((p) => p.name === lb.poolName);
  const others = pools.filter((p) => p.name !== lb.poolName);
  const overlapping = others.filter((p) => p.ranges.some((x) => rangesOverlap(x, pool)));
  if (overlapping.length > 0) {
    const list = overlapping.map((p) => {
      const holdsHub = p.ranges.some((x) => hub >= x.first && hub <= x.last);
      return `pool "${p.name}" (${p.addresses.join(', ')})${holdsHub ? `, which contains ${lb.hubIP},` : ''}`;
    });
    const addonPool = overlapping.some((p) => p.name === ADDON_POOL_NAME);
    const fix = [
      addonPool
        ? `delete the addon's pool: ${probe.kubectlName} -n metallb-system delete ipaddresspools.metallb.io ${ADDON_POOL_NAME}` +
          ' (Services that got an address from it then need another pool)'
        : `shrink or delete ${overlapping.map((p) => `pool "${p.name}"`).join(', ')}`,
      `or set loadBalancer.addressPool (and hubIP) to addresses no other pool uses, then synth again`,
    ].join('\n');
    return {
      name,
      status: 'fail',
      detail: `${list.join('; ')} overlaps loadBalancer.addressPool ${pool.text}. MetalLB refuses pools whose ` +
        `addresses overlap (its admission webhook rejects the pool that would overlap), so applying pool "${lb.poolName}" from dist/03-metallb.yaml fails`,
      fix,
    };
  }
  const elsewhere = others.length ? `; other pools: ${others.map((p) => `${p.name} (${p.addresses.join(', ') || 'no addresses'})`).join(', ')}` : '';
  if (!ours) {
    return { name, status: 'ok', detail: `no pool "${lb.poolName}" yet: dist/03-metallb.yaml creates it with ${pool.text}; no existing pool overlaps it${elsewhere}` };
  }
  const coversHub = ours.ranges.some((x) => hub >= x.first && hub <= x.last);
  if (!coversHub) {
    return {
      name,
      status: 'warn',
      detail: `pool "${lb.poolName}" in the cluster has ${ours.addresses.join(', ') || 'no addresses'}, which does not contain ${lb.hubIP} ` +
        `(it was deployed from another config); until it is updated to ${pool.text}, the hub's Service cannot get ${lb.hubIP}`,
      fix: 'npx cdk8s synth && npm run deploy (updates the pool from the config)',
    };
  }
  const same = ours.ranges.length === 1 && ours.ranges[0].first === pool.first && ours.ranges[0].last === pool.last;
  return {
    name,
    status: 'ok',
    detail: `pool "${lb.poolName}" (${ours.addresses.join(', ')}) contains ${lb.hubIP}${same ? '' : `; the next deploy changes it to ${pool.text}`}; no other pool overlaps it${elsewhere}`,
  };
}

function checkProvisioner(config: HubConfig, probe: Probe, installed: InstalledResult, api: boolean): Check {
  const name = 'hostpath provisioner reads pvDir';
  const want = PVDIR_MIN_PROVISIONER.join('.');
  if (config.storage.method === 'provisionerPatch') {
    return { name, status: 'ok', detail: 'not needed: storage.method provisionerPatch works with every provisioner version' };
  }
  let image: string | undefined;
  if (api) {
    const r = probe.kubectl(['--namespace', 'kube-system', 'get', 'deployment', 'hostpath-provisioner', '--output', 'jsonpath={..image}']);
    if (!r.failure && r.code === 0) image = r.stdout.trim().split(/\s+/).find((i) => /hostpath-provisioner/.test(i));
  }
  const dir = config.storage.hostDirectory;
  const consequence = `it ignores the StorageClass parameter pvDir, so volumes would land in ${ADDON_DEFAULT_PV_DIR}, not in ${dir}`;
  const v = installed.version;
  const newMicrok8s = v !== undefined && v !== 'pre-1.25' && atLeast([v.major, v.minor], PVDIR_MIN_MICROK8S);
  const fix = [
    'set storage.method: provisionerPatch in the config (works with every provisioner version)',
    newMicrok8s
      ? '(this addon was enabled before MicroK8s was upgraded: a snap refresh does not update the images of enabled addons)'
      : 'or upgrade MicroK8s to 1.25 or newer (sudo snap refresh microk8s --channel=1.28/stable); a refresh does not update ' +
        'an addon enabled before it, so run doctor again afterwards',
  ].join('\n');
  const tag = image ? imageTagVersion(image) : undefined;
  if (image && tag) {
    if (atLeast(tag, PVDIR_MIN_PROVISIONER)) return { name, status: 'ok', detail: `${image} reads pvDir (storage.method storageClass)` };
    if (atLeast(tag, [1, 4, 0])) {
      return {
        name, status: 'fail',
        detail: `the addon runs ${image}: 1.4.0 reads pvDir but handles it wrongly (it has kubelet create ${dir} as root, mode 0755); ${want} or newer is needed`,
        fix,
      };
    }
    return { name, status: 'fail', detail: `the addon runs ${image} (older than ${want}): ${consequence}`, fix };
  }
  if (v === 'pre-1.25') {
    return { name, status: 'fail', detail: `MicroK8s older than ${PVDIR_MIN_MICROK8S.join('.')} ships hostpath-provisioner older than ${want}: ${consequence}`, fix };
  }
  if (v) {
    if (atLeast([v.major, v.minor], PVDIR_MIN_MICROK8S)) {
      return { name, status: 'ok', detail: `MicroK8s v${v.major}.${v.minor} ships hostpath-provisioner ${want} or newer, which reads pvDir${api ? ' (the addon is not running, so its image was not checked)' : ''}` };
    }
    return { name, status: 'fail', detail: `MicroK8s v${v.major}.${v.minor}.${v.patch} ships hostpath-provisioner older than ${want}: ${consequence}`, fix };
  }
  return notChecked(name, installed.usable ? 'kubectl reaches the API server' : 'MicroK8s installed');
}

function checkHelm(probe: Probe): Check {
  const name = 'Helm >= 3.5';
  const h = probe.helm();
  if (h.ok) return { name, status: 'ok', detail: `Helm ${h.version} (${h.source}: ${h.command})` };
  const lines = h.message.trim().split('\n');
  const fixAt = lines.findIndex((l) => /^Fix:/.test(l));
  const detail = (fixAt >= 0 ? lines.slice(0, fixAt) : lines).join('\n');
  const fix = fixAt >= 0 ? lines.slice(fixAt).join('\n').replace(/^Fix:\s*/, '') : 'run `npm run setup`, or install Helm 3.5 or newer';
  return { name, status: 'fail', detail, fix };
}

function checkStorage(config: HubConfig, probe: Probe): Check {
  const dir = config.storage.hostDirectory;
  const name = `storage directory ${dir}`;
  const d = probe.directory(dir);
  if (!d.exists) {
    if (d.error) return { name, status: 'fail', detail: `cannot be looked at: ${d.error}`, fix: `check the permissions of its parent directories (sudo ls -ld ${path.dirname(dir)})` };
    return { name, status: 'fail', detail: 'does not exist', fix: `sudo mkdir -p ${dir}` };
  }
  if (!d.isDirectory) return { name, status: 'fail', detail: 'exists but is not a directory', fix: `move it away, or set storage.hostDirectory to a directory` };
  if (d.readOnlyMount) {
    return { name, status: 'fail', detail: `is on a read-only file system (mounted at ${d.readOnlyMount})`, fix: `sudo mount -o remount,rw ${d.readOnlyMount}, or set storage.hostDirectory to a writable disk` };
  }
  if (!d.writable && d.asRoot) {
    return { name, status: 'fail', detail: 'is not writable, even by root', fix: `check its mount and attributes: findmnt -T ${dir}; lsattr -d ${dir}` };
  }
  const free = d.freeBytes;
  const need = (parseQuantity(config.storage.userCapacity) ?? 0) + (parseQuantity(config.storage.hubDatabaseCapacity) ?? 0);
  const freeText = free === undefined ? 'free space unknown' : `${formatBytes(free)} free`;
  const who = d.writable ? 'writable' : 'not writable by you, which is fine: the hostpath provisioner writes as root';
  if (free !== undefined && free < need) {
    return {
      name,
      status: 'warn',
      detail: `a directory, ${who}; only ${freeText}, less than one user home (${config.storage.userCapacity}) plus the hub database (${config.storage.hubDatabaseCapacity}); hostpath volumes do not enforce their size`,
      fix: 'free some space, or set storage.hostDirectory to a larger disk',
    };
  }
  return { name, status: 'ok', detail: `a directory, ${who}; ${freeText}` };
}

/** The Helm line that installs csi-driver-nfs on MicroK8s (its kubelet lives under the snap). */
export const CSI_DRIVER_NFS_INSTALL = [
  'helm repo add csi-driver-nfs https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts',
  'helm install csi-driver-nfs csi-driver-nfs/csi-driver-nfs --namespace kube-system --version 4.13.4 ' +
    '--set kubeletDir=/var/snap/microk8s/common/var/lib/kubelet',
].join('\n');

const notFound = (r: CommandResult) => hasText(r, /\(NotFound\)|not found/);
const noResourceType = (r: CommandResult) => hasText(r, /doesn't have a resource type/);

/** `kubectl get` by name, as `--output name` (never the object: a Secret's data is not read). */
function getNames(probe: Probe, args: readonly string[]): CommandResult {
  return probe.kubectl(['get', ...args, '--output', 'name']);
}

function checkCsiDriverNfs(probe: Probe, api: boolean): Check {
  const name = `CSI driver ${NfsStorageClass.PROVISIONER}`;
  if (!api) return notChecked(name, 'kubectl reaches the API server');
  const r = getNames(probe, ['csidriver', NfsStorageClass.PROVISIONER]);
  if (!r.failure && r.code === 0) return { name, status: 'ok', detail: 'installed (storage.nfs.setup csi-driver-nfs)' };
  if (notFound(r)) {
    return {
      name, status: 'fail',
      detail: 'not installed: storage.nfs.setup csi-driver-nfs needs csi-driver-nfs (installed with Helm; the MicroK8s nfs addon is another thing: an NFS server inside the cluster)',
      fix: `${CSI_DRIVER_NFS_INSTALL}\n(and on every node: sudo apt install nfs-common)`,
    };
  }
  return { name, status: 'fail', detail: `looking it up failed: ${firstLine(r.stderr, r.stdout)}`, fix: `${probe.kubectlName} get csidriver ${NfsStorageClass.PROVISIONER}` };
}

function checkCephfs(config: HubConfig, probe: Probe, api: boolean): Check[] {
  const f = config.storage.cephfs ?? { setup: 'microk8s-addon' as const, operatorNamespace: 'rook-ceph', clusterID: 'rook-ceph', fsName: 'myfs', pool: 'myfs-replicated' };
  const ns = f.clusterID;
  const out: Check[] = [];
  const fsName = `CephFilesystem ${ns}/${f.fsName}`;
  const secretsName = `Rook CSI secrets in ${ns}`;
  if (!api) {
    if (f.setup === 'microk8s-addon') out.push(notChecked(fsName, 'kubectl reaches the API server'));
    out.push(notChecked(secretsName, 'kubectl reaches the API server'));
    return out;
  }
  if (f.setup === 'microk8s-addon') {
    const r = getNames(probe, ['cephfilesystems.ceph.rook.io', f.fsName, '--namespace', ns]);
    if (!r.failure && r.code === 0) out.push({ name: fsName, status: 'ok', detail: 'exists' });
    else if (noResourceType(r)) {
      out.push({ name: fsName, status: 'fail', detail: 'the cluster has no CephFilesystem resource: Rook is not installed', fix: `${probe.microk8sName} enable rook-ceph, then create a CephCluster and a CephFilesystem "${f.fsName}" in namespace ${ns} (README "Storage")` });
    } else if (notFound(r)) {
      out.push({
        name: fsName, status: 'fail',
        detail: `not found: storage.cephfs.fsName "${f.fsName}" must name a CephFilesystem in the CephCluster's namespace (clusterID ${ns})`,
        fix: `${probe.kubectlName} get cephfilesystems.ceph.rook.io --all-namespaces, then set storage.cephfs.fsName and clusterID to what it lists`,
      });
    } else {
      out.push({ name: fsName, status: 'fail', detail: `looking it up failed: ${firstLine(r.stderr, r.stdout)}`, fix: `${probe.kubectlName} get cephfilesystems.ceph.rook.io -n ${ns}` });
    }
  }
  const wanted = [CephfsStorageClass.PROVISIONER_SECRET, CephfsStorageClass.NODE_SECRET];
  const missing: string[] = [];
  let error: string | undefined;
  for (const secret of wanted) {
    const r = getNames(probe, ['secret', secret, '--namespace', ns]);
    if (!r.failure && r.code === 0) continue;
    if (notFound(r)) missing.push(secret);
    else error = firstLine(r.stderr, r.stdout);
  }
  if (error) out.push({ name: secretsName, status: 'fail', detail: `looking them up failed: ${error}`, fix: `${probe.kubectlName} -n ${ns} get secrets` });
  else if (missing.length === 0) out.push({ name: secretsName, status: 'ok', detail: `${wanted.join(' and ')} exist (named in the CephFS StorageClass)` });
  else {
    out.push({
      name: secretsName, status: 'fail',
      detail: `missing ${missing.join(' and ')}, which the CephFS StorageClass names: volumes could not be provisioned or mounted`,
      fix: f.setup === 'microk8s-addon'
        ? `Rook's operator creates them once the CephCluster in namespace ${ns} is ready: ${probe.kubectlName} -n ${ns} get cephcluster; or set storage.cephfs.clusterID to the CephCluster's namespace`
        : `import the external cluster: sudo microk8s connect-external-ceph (it creates them in namespace ${ns}); or set storage.cephfs.clusterID to the namespace you imported into`,
    });
  }
  return out;
}

/**
 * Runs every check against `probe`. Pure apart from what `probe` does. Checks that need an
 * earlier one that failed are reported as failed, "not checked".
 */
export function runChecks(config: HubConfig, probe: Probe): Check[] {
  const checks: Check[] = [];
  const installed = checkInstalled(probe);
  checks.push(installed.check);
  let status: Microk8sStatus | undefined;
  if (installed.usable) {
    const running = checkRunning(probe);
    checks.push(running.check);
    status = running.status;
  } else {
    checks.push(notChecked('MicroK8s running', 'MicroK8s installed'));
  }
  if (status?.running) checks.push(...checkAddons(config, status, probe.microk8sName));
  else checks.push(notChecked(`required addons (${requiredAddons(config).join(', ')})`, installed.usable ? 'MicroK8s running' : 'MicroK8s installed'));
  const api = checkApi(probe, installed);
  checks.push(api.check);
  checks.push(checkMetalLb(config, probe, api.reachable, status));
  const backends = usedBackends(config);
  if (backends.has('hostpath')) checks.push(checkProvisioner(config, probe, installed, api.reachable));
  if (backends.has('nfs') && config.storage.nfs?.setup === 'csi-driver-nfs') checks.push(checkCsiDriverNfs(probe, api.reachable));
  if (backends.has('cephfs')) checks.push(...checkCephfs(config, probe, api.reachable));
  checks.push(checkHelm(probe));
  if (backends.has('hostpath')) checks.push(checkStorage(config, probe));
  return checks;
}

// ---------------------------------------------------------------------------------------------
// The real probe

function splitCommand(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

export function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): CommandResult {
  const r = spawnSync(argv[0], argv.slice(1), {
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = r.stdout ?? '';
  const stderr = r.stderr ?? '';
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { code: null, stdout, stderr, failure: 'missing' };
    if (code === 'ETIMEDOUT') return { code: null, stdout, stderr, failure: 'timeout' };
    return { code: null, stdout, stderr, failure: code ? `${code}` : r.error.message };
  }
  return { code: r.status, stdout, stderr };
}

/**
 * The mount point of the file system `realDir` (a resolved path) lies on, when /proc/mounts-style
 * `mounts` text says it is mounted read-only; undefined otherwise. Pure.
 */
export function readOnlyMountIn(mounts: string, realDir: string): string | undefined {
  let best: { point: string; ro: boolean } | undefined;
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    if (f.length < 4) continue;
    const point = f[1].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const inside = point === '/' || realDir === point || realDir.startsWith(`${point}/`);
    // The last of several mounts on one point is the one in effect.
    if (inside && (!best || point.length >= best.point.length)) best = { point, ro: f[3].split(',').includes('ro') };
  }
  return best?.ro ? best.point : undefined;
}

function readOnlyMountOf(dir: string): string | undefined {
  try {
    return readOnlyMountIn(fs.readFileSync('/proc/self/mounts', 'utf8'), fs.realpathSync(dir));
  } catch {
    return undefined;
  }
}

export function directoryInfo(dir: string): DirectoryInfo {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { exists: false, isDirectory: false, writable: false, asRoot, error: code === 'ENOENT' || code === 'ENOTDIR' ? undefined : `${code}` };
  }
  let writable = true;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    writable = false;
  }
  let freeBytes: number | undefined;
  try {
    const s = fs.statfsSync(dir);
    freeBytes = s.bavail * s.bsize;
  } catch {
    freeBytes = undefined;
  }
  return { exists: true, isDirectory: st.isDirectory(), writable, asRoot, readOnlyMount: st.isDirectory() ? readOnlyMountOf(dir) : undefined, freeBytes };
}

/** The probe that asks this machine: `microk8s` from PATH (env MICROK8S), kubectl as deploy runs it (env KUBECTL), Helm as synth finds it. */
export function systemProbe(env: NodeJS.ProcessEnv, timeoutMs = COMMAND_TIMEOUT_MS): Probe {
  const microk8s = splitCommand(env.MICROK8S ?? '');
  const mk = microk8s.length ? microk8s : ['microk8s'];
  const kubectlEnv = splitCommand(env.KUBECTL ?? '');
  const kubectl = kubectlEnv.length ? kubectlEnv : [...mk, 'kubectl'];
  return {
    microk8sName: mk.join(' '),
    kubectlName: kubectl.join(' '),
    kubectlViaMicrok8s: kubectlEnv.length === 0,
    microk8sFromEnv: microk8s.length > 0,
    timeoutMs,
    microk8s: (args) => runCommand([...mk, ...args], env, timeoutMs),
    kubectl: (args) => runCommand([...kubectl, ...args], env, timeoutMs),
    helm: () => {
      try {
        const h = resolveHelm(env);
        return { ok: true, command: h.command, source: h.source, version: h.version };
      } catch (err) {
        if (err instanceof UserError) return { ok: false, message: err.message };
        throw err;
      }
    },
    directory: directoryInfo,
  };
}

// ---------------------------------------------------------------------------------------------
// Output and CLI

const LABEL: Record<CheckStatus, string> = { ok: '[ok]  ', warn: '[WARN]', fail: '[FAIL]' };

/** The checklist as printed: one line per check, details and fixes indented under it. */
export function formatChecklist(checks: readonly Check[]): string {
  const pad = ' '.repeat(7);
  const out: string[] = [];
  for (const c of checks) {
    const [first, ...rest] = c.detail.split('\n');
    out.push(`${LABEL[c.status]} ${c.name}: ${first}`);
    for (const l of rest) out.push(`${pad}${l}`);
    if (c.fix && c.status !== 'ok') {
      const [f, ...more] = c.fix.split('\n');
      out.push(`${pad}fix: ${f}`);
      for (const l of more) out.push(`${pad}     ${l}`);
    }
  }
  const n = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  const failed = n('fail');
  const skipped = checks.filter((c) => c.notChecked).length;
  const warned = n('warn');
  out.push('');
  out.push(`${failed - skipped} failed${skipped ? ` (and ${skipped} not checked because of them)` : ''}, ` +
    `${warned} warning${warned === 1 ? '' : 's'}, ${n('ok')} ok.`);
  out.push(failed > 0
    ? 'Fix the failures above (top first: later checks often depend on earlier ones), then run `npm run doctor` again.'
    : 'This machine is ready: npx cdk8s synth && npm run deploy');
  return out.join('\n');
}

export interface DoctorOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  /** Defaults to the real machine. */
  readonly probe?: Probe;
}

/** Loads the config, runs the checks, prints the checklist; returns the exit code. */
export function doctor(o: DoctorOptions): number {
  const { config, source } = loadConfig(o.env);
  const probe = o.probe ?? systemProbe(o.env);
  // The pool name dist/ really uses (loadBalancer.poolName, else the hub's namespace).
  const lb = { ...config.loadBalancer, poolName: poolNameOf(config) };
  const storage = usedBackends(config).has('hostpath')
    ? `storage ${config.storage.hostDirectory} (storage.method ${config.storage.method})`
    : `storage ${[...usedBackends(config)].join(', ')}`;
  o.out(`Checking this machine for ${source}: hub IP ${lb.hubIP} (pool "${lb.poolName}", ${parseAddressPool(lb.addressPool)?.text ?? lb.addressPool}), ${storage}\n`);
  const checks = runChecks(config, probe);
  o.out(formatChecklist(checks));
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

if (require.main === module) {
  runCli(() => {
    const args = process.argv.slice(2);
    if (args.length > 0) throw new UserError(`npm run doctor takes no arguments (got ${JSON.stringify(args[0])}). It reads the config from HUB_CONFIG or src/config.ts.`);
    return doctor({ env: process.env, out: (t) => process.stdout.write(`${t}\n`) });
  });
}

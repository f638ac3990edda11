/**
 * The capacity plan: how many user servers fit on the configured machines, by CPU and memory
 * guarantees and GPUs, node by node; the disk the homes need; the system pods' own requests.
 * Pure functions of the config, used by `npm run plan` and to derive `hub.activeServerLimit`.
 */
import { formatBytes, parseQuantity } from '../config/quantity';
import type { HubConfig, NodeConfig } from '../config/schema';
import { resolveProfiles, ResolvedProfile } from '../hub/profiles';

export interface PodRequest {
  readonly name: string;
  readonly cpu: number;
  /** Bytes. */
  readonly memory: number;
  /** Per node (a DaemonSet) or once. */
  readonly perNode: boolean;
}

/**
 * Requests of the always-on pods. values.ts sets exactly these on the chart (hub.resources,
 * proxy.chp.resources, ...), so the plan and the cluster agree.
 */
export const SYSTEM_RESOURCES = {
  hub: { requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '1Gi' } },
  proxy: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  autohttps: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  userScheduler: { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  imagePuller: { requests: { cpu: '0', memory: '0' } },
} as const;

const req = (r: { requests: { cpu: string; memory: string } }) => ({ cpu: parseQuantity(r.requests.cpu)!, memory: parseQuantity(r.requests.memory)! });

/** The always-on pods for a config (user-scheduler only with several nodes). */
export function systemPods(c: HubConfig): PodRequest[] {
  const pods: PodRequest[] = [
    { name: 'hub', ...req(SYSTEM_RESOURCES.hub), perNode: false },
    { name: 'proxy', ...req(SYSTEM_RESOURCES.proxy), perNode: false },
  ];
  if (c.tls.mode === 'letsencrypt') pods.push({ name: 'autohttps', ...req(SYSTEM_RESOURCES.autohttps), perNode: false });
  if (c.cluster.nodes.length > 1) {
    const s = req(SYSTEM_RESOURCES.userScheduler);
    pods.push({ name: 'user-scheduler', cpu: 2 * s.cpu, memory: 2 * s.memory, perNode: false });
  }
  pods.push({ name: 'continuous-image-puller', cpu: 0, memory: 0, perNode: true });
  return pods;
}

export interface NodeCapacity {
  readonly node: string;
  /** What users can be guaranteed on this node. */
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: number;
}

/** The node the always-on pods are planned on: cluster.systemPodsOn, else the first node. */
export function systemNode(c: HubConfig): string {
  return c.cluster.systemPodsOn ?? c.storage.pinHostpathToNode ?? c.cluster.nodes[0].name;
}

/** Per node: machine size minus the OS/MicroK8s reserve minus system pods placed there. */
export function allocatable(c: HubConfig): NodeCapacity[] {
  const pods = systemPods(c);
  const home = systemNode(c);
  const usersOnly = c.storage.homes === 'hostpath' && c.storage.pinHostpathToNode;
  return c.cluster.nodes.map((n) => {
    const sys = pods.filter((p) => p.perNode || n.name === home);
    if (usersOnly && n.name !== usersOnly) return { node: n.name, cpu: 0, memory: 0, gpus: 0 };
    return {
      node: n.name,
      cpu: Math.max(0, n.cpus - c.cluster.reservedCpusPerNode - sys.reduce((a, p) => a + p.cpu, 0)),
      memory: Math.max(0, parseQuantity(n.memory)! - parseQuantity(c.cluster.reservedMemoryPerNode)! - sys.reduce((a, p) => a + p.memory, 0)),
      gpus: n.gpus,
    };
  });
}

export interface ProfileFit {
  readonly profile: ResolvedProfile;
  readonly byCpu: number;
  readonly byMemory: number;
  /** Infinity for profiles without GPUs. */
  readonly byGpu: number;
  /** Users that fit at once, packing node by node. */
  readonly fit: number;
  readonly perNode: readonly { node: string; users: number }[];
}

function fitOnNode(n: NodeCapacity, p: ResolvedProfile) {
  const byCpu = Math.floor(n.cpu / p.cpuGuarantee + 1e-9);
  const byMemory = Math.floor(n.memory / p.memoryGuaranteeBytes + 1e-9);
  const byGpu = p.gpus > 0 ? Math.floor(n.gpus / p.gpus) : Infinity;
  return { byCpu, byMemory, byGpu, users: Math.min(byCpu, byMemory, byGpu) };
}

export function profileFits(c: HubConfig): ProfileFit[] {
  const nodes = allocatable(c);
  return resolveProfiles(c).map((p) => {
    const per = nodes.map((n) => ({ node: n.node, ...fitOnNode(n, p) }));
    const sum = (k: 'byCpu' | 'byMemory' | 'byGpu' | 'users') => per.reduce((a, x) => a + x[k], 0);
    return { profile: p, byCpu: sum('byCpu'), byMemory: sum('byMemory'), byGpu: sum('byGpu'), fit: sum('users'), perNode: per.map((x) => ({ node: x.node, users: x.users })) };
  });
}

/**
 * First-fit decreasing: places `users` servers of the given profiles (largest guarantees first)
 * onto nodes by remaining CPU, memory and GPUs. Returns users per node and the ones that fit nowhere.
 */
export function packUsers(nodes: readonly NodeCapacity[], demands: readonly ResolvedProfile[]): { perNode: Map<string, number>; unplaced: number } {
  const left = nodes.map((n) => ({ ...n }));
  const perNode = new Map(nodes.map((n) => [n.node, 0]));
  const sorted = [...demands].sort((a, b) => b.gpus - a.gpus || b.memoryGuaranteeBytes - a.memoryGuaranteeBytes || b.cpuGuarantee - a.cpuGuarantee);
  let unplaced = 0;
  for (const d of sorted) {
    const mem = d.memoryGuaranteeBytes;
    const target = left.find((n) => n.cpu + 1e-9 >= d.cpuGuarantee && n.memory >= mem && n.gpus >= d.gpus);
    if (!target) {
      unplaced++;
      continue;
    }
    target.cpu -= d.cpuGuarantee;
    target.memory -= mem;
    target.gpus -= d.gpus;
    perNode.set(target.node, perNode.get(target.node)! + 1);
  }
  return { perNode, unplaced };
}

/** How many homes to plan disk for. */
export function plannedUsers(c: HubConfig): number {
  return c.capacity.expectedUsers ?? new Set([...c.auth0.allowedUsers, ...c.auth0.adminUsers].map((u) => u.toLowerCase())).size;
}

/** `hub.activeServerLimit`: the config's, else how many servers of the default profile fit. */
export function activeServerLimit(c: HubConfig): number {
  if (c.capacity.activeServerLimit !== undefined) return c.capacity.activeServerLimit;
  const fits = profileFits(c);
  const def = fits.find((f) => f.profile.default) ?? fits[0];
  return Math.max(1, def.fit);
}

export interface CapacityPlan {
  readonly nodes: readonly NodeConfig[];
  readonly allocatable: readonly NodeCapacity[];
  readonly systemPods: readonly PodRequest[];
  readonly fits: readonly ProfileFit[];
  readonly activeServerLimit: number;
  readonly activeServerLimitDerived: boolean;
  readonly homes: number;
  readonly diskNeeded: number;
  readonly diskFree?: number;
  /** Placement of `activeServerLimit` servers of the default profile. */
  readonly packing: { perNode: Map<string, number>; unplaced: number };
  readonly warnings: readonly string[];
}

export function capacityPlan(c: HubConfig): CapacityPlan {
  const alloc = allocatable(c);
  const fits = profileFits(c);
  const limit = activeServerLimit(c);
  const homes = plannedUsers(c);
  const sqlite = c.hubDatabase.type === 'sqlite';
  const diskNeeded = homes * parseQuantity(c.storage.userCapacity)! + (sqlite ? parseQuantity(c.storage.hubDatabaseCapacity)! : 0);
  const frees = c.cluster.nodes.map((n) => (n.diskFree ? parseQuantity(n.diskFree)! : undefined));
  const diskFree = frees.every((f) => f === undefined) ? undefined : frees.reduce<number>((a, f) => a + (f ?? 0), 0);
  const def = fits.find((f) => f.profile.default) ?? fits[0];
  const packing = packUsers(alloc, Array.from({ length: limit }, () => def.profile));
  const warnings: string[] = [];
  const totalCpu = alloc.reduce((a, n) => a + n.cpu, 0);
  const totalMem = alloc.reduce((a, n) => a + n.memory, 0);
  const biggestCpu = Math.max(...c.cluster.nodes.map((n) => n.cpus));
  const biggestMem = Math.max(...c.cluster.nodes.map((n) => parseQuantity(n.memory)!));
  for (const f of fits) {
    const p = f.profile;
    if (p.cpuLimit > biggestCpu) warnings.push(`profile ${p.slug}: CPU limit ${p.cpuLimit} is more than the largest node has (${biggestCpu} cores).`);
    if (p.memoryLimitBytes > biggestMem) warnings.push(`profile ${p.slug}: memory limit ${p.memoryLimit} is more than the largest node has (${formatBytes(biggestMem)}).`);
    if (f.fit === 0) warnings.push(`profile ${p.slug}: not even one server fits (guarantees ${p.cpuGuarantee} CPU, ${p.memoryGuarantee}${p.gpus ? `, ${p.gpus} GPU` : ''}).`);
  }
  if (!limit || packing.unplaced > 0) {
    warnings.push(`activeServerLimit ${limit} overcommits the guarantees: ${packing.unplaced} of ${limit} default-profile servers fit on no node (allocatable ${totalCpu.toFixed(1)} cores, ${formatBytes(totalMem)}).`);
  }
  const limitCpu = limit * def.profile.cpuLimit;
  const machineCpu = c.cluster.nodes.reduce((a, n) => a + n.cpus, 0);
  if (limitCpu > 2 * machineCpu) {
    warnings.push(`${limit} busy users of ${def.profile.slug} could ask for ${limitCpu} cores (${(limitCpu / machineCpu).toFixed(1)}x the ${machineCpu} the machines have): fine for bursty notebooks, slow if all compute at once.`);
  }
  if (diskFree !== undefined && diskNeeded > diskFree) {
    warnings.push(`${homes} homes x ${c.storage.userCapacity} + hub database need ${formatBytes(diskNeeded)} but only ${formatBytes(diskFree)} is free.`);
  }
  if (c.auth0.allowAll && c.capacity.expectedUsers === undefined) {
    warnings.push('allowAll is on: set capacity.expectedUsers to plan disk for the homes.');
  }
  return { nodes: c.cluster.nodes, allocatable: alloc, systemPods: systemPods(c), fits, activeServerLimit: limit, activeServerLimitDerived: c.capacity.activeServerLimit === undefined, homes, diskNeeded, diskFree, packing, warnings };
}

const n1 = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, ''));
const inf = (x: number) => (Number.isFinite(x) ? String(x) : '-');

export function renderPlan(p: CapacityPlan, c: HubConfig): string {
  const out: string[] = [];
  const cores = c.cluster.nodes.reduce((a, n) => a + n.cpus, 0);
  const mem = c.cluster.nodes.reduce((a, n) => a + parseQuantity(n.memory)!, 0);
  const gpus = c.cluster.nodes.reduce((a, n) => a + n.gpus, 0);
  out.push(`Machines: ${c.cluster.nodes.length} node${c.cluster.nodes.length > 1 ? 's' : ''}, ${n1(cores)} cores, ${formatBytes(mem)}, ${gpus} GPU${gpus === 1 ? '' : 's'}; kept for OS and MicroK8s: ${n1(c.cluster.reservedCpusPerNode)} core(s) and ${c.cluster.reservedMemoryPerNode} per node.`);
  out.push('', 'System pods (always on) and their requests:', '', '| pod | CPU | memory | where |', '| --- | ---: | ---: | --- |');
  for (const s of p.systemPods) out.push(`| ${s.name} | ${n1(s.cpu)} | ${formatBytes(s.memory)} | ${s.perNode ? 'every node' : systemNode(c)} |`);
  out.push('', 'Left for user servers (guarantees):', '', '| node | CPU | memory | GPUs |', '| --- | ---: | ---: | ---: |');
  for (const a of p.allocatable) out.push(`| ${a.node} | ${n1(a.cpu)} | ${formatBytes(a.memory)} | ${a.gpus} |`);
  out.push('', 'Concurrent users per profile (each alone on the machines):', '',
    '| profile | CPU guarantee / limit | memory guarantee / limit | GPUs | fit by CPU | fit by memory | fit by GPU | users at once |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const f of p.fits) {
    const x = f.profile;
    out.push(`| ${x.slug}${x.default ? ' (default)' : ''} | ${n1(x.cpuGuarantee)} / ${n1(x.cpuLimit)} | ${x.memoryGuarantee} / ${x.memoryLimit} | ${x.gpus} | ${f.byCpu} | ${f.byMemory} | ${inf(f.byGpu)} | ${f.fit} |`);
  }
  out.push('', 'Memory in Kubernetes units (1G = 10^9 bytes, 1Gi = 2^30 bytes): user pods request exactly these bytes (KubeSpawner is given whole bytes).');
  if (c.cluster.nodes.length > 1) {
    out.push('', `Placing ${p.activeServerLimit} default-profile servers node by node (first fit, largest first):`, '');
    for (const [node, users] of p.packing.perNode) out.push(`  ${node}: ${users}`);
    if (p.packing.unplaced) out.push(`  (fit nowhere: ${p.packing.unplaced})`);
  }
  out.push('', `hub.activeServerLimit: ${p.activeServerLimit}${p.activeServerLimitDerived ? ' (derived: default-profile servers that fit)' : ' (from capacity.activeServerLimit)'}`);
  const db = c.hubDatabase.type === 'sqlite' ? ` + hub database ${c.storage.hubDatabaseCapacity}` : '';
  out.push(`Disk (${c.storage.homes}): ${p.homes} homes x ${c.storage.userCapacity}${db} = ${formatBytes(p.diskNeeded)}` +
    (p.diskFree !== undefined ? ` of ${formatBytes(p.diskFree)} free (${((100 * p.diskNeeded) / p.diskFree).toFixed(1)}%)` : ' (set cluster.nodes[].diskFree to compare)') +
    (c.storage.homes === 'hostpath' ? '. Note: hostpath volumes do not enforce their size; a full disk stops every user.' : '.'));
  if (p.warnings.length) out.push('', 'Warnings:', ...p.warnings.map((w) => `  - ${w}`));
  return out.join('\n');
}

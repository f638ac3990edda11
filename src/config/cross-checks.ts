/**
 * Rules that relate several config fields. Each rule re-parses only the sections it needs, so
 * it still runs (and reports) when an unrelated field elsewhere is wrong: the user sees every
 * problem in one go.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigIssue, show, showValue } from './errors';
import { hubIpProblem, parseAddressPool, publicPoolProblem, unusableIpProblem, unusablePoolProblem } from './network';
import { parseQuantity } from './quantity';
import { Auth0Schema, ClusterSchema, GpuSchema, HubConfigSchema, PRESET_RESOURCES, LoadBalancerSchema, SharedDataSchema, StorageSchema, UserResourcesSchema } from './schema';

/**
 * The whole config as the schema parsed it, while crossChecks runs on an input the schema
 * accepted: sections need no second parse then (10,000 allowlisted users cost ~0.1 s a parse).
 */
const parsedInputs = new WeakMap<object, Record<string, unknown>>();

function parsedSection(input: unknown, key: string): unknown {
  return input !== null && typeof input === 'object' ? parsedInputs.get(input)?.[key] : undefined;
}

/**
 * Parses each field of one config section on its own (defaults applied), so that a rule can run
 * on the fields that are valid even when a sibling field is not. Invalid fields come back undefined.
 */
function fields<T extends z.ZodRawShape>(schema: z.ZodObject<T>, input: unknown, key: string): Partial<z.output<z.ZodObject<T>>> {
  const done = parsedSection(input, key);
  if (done !== undefined) return done as Partial<z.output<z.ZodObject<T>>>;
  const root = input && typeof input === 'object' ? (input as Record<string, unknown>)[key] : undefined;
  const raw = root && typeof root === 'object' ? (root as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [name, fieldSchema] of Object.entries(schema.shape)) {
    const r = (fieldSchema as z.ZodTypeAny).safeParse(raw[name]);
    if (r.success) out[name] = r.data;
  }
  return out as Partial<z.output<z.ZodObject<T>>>;
}

/** Directories a hostpath volume must never be placed in. */
const FORBIDDEN_DIRS: readonly { dir: string; why: string }[] = [
  { dir: '/proc', why: 'is the kernel\'s process table, not a disk' },
  { dir: '/sys', why: 'is the kernel\'s device tree, not a disk' },
  { dir: '/dev', why: 'holds device nodes, not files' },
  { dir: '/snap', why: 'is the read-only tree of installed snaps (MicroK8s itself lives there)' },
  { dir: '/var/snap/microk8s/current', why: 'is MicroK8s\'s per-revision data, replaced on every snap refresh' },
  { dir: '/run', why: 'is a tmpfs emptied at every boot' },
  { dir: '/tmp', why: 'is emptied at boot on many systems' },
];

export function storageDirectoryProblem(dir: string): { message: string; fix: string } | undefined {
  const norm = path.posix.normalize(dir).replace(/\/+$/, '') || '/';
  // Where the path really points decides first: "/srv/../proc" is a /proc problem, and telling
  // the user to "write /proc" would only lead to the next error.
  const resolves = norm !== (dir.replace(/\/+$/, '') || '/') ? ` (it resolves to "${norm}")` : '';
  if (norm === '/') return { message: `is the root directory${resolves}`, fix: 'use a dedicated directory such as "/srv/jupyterhub"' };
  for (const f of FORBIDDEN_DIRS) {
    if (norm === f.dir || norm.startsWith(`${f.dir}/`)) {
      return { message: `is under ${f.dir}${resolves}, which ${f.why}`, fix: 'use a directory on a real disk, such as "/srv/jupyterhub" or a mount point like "/mnt/data/jupyterhub"' };
    }
  }
  if (resolves) return { message: `is not a normalized path${resolves}`, fix: `write "${norm}"` };
  return undefined;
}

const MAX_USER_STORAGE = 2 ** 50; // 1 PiB: anything above is a typo, not a plan

export function crossChecks(input: unknown, parsed?: Record<string, unknown>): ConfigIssue[] {
  if (!parsed || input === null || typeof input !== 'object') return runCrossChecks(input);
  parsedInputs.set(input, parsed);
  try {
    return runCrossChecks(input);
  } finally {
    parsedInputs.delete(input);
  }
}

function runCrossChecks(input: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];

  const lb = fields(LoadBalancerSchema, input, 'loadBalancer');
  const pool = lb.addressPool !== undefined ? parseAddressPool(lb.addressPool) : undefined;
  const poolProblem = pool && (unusablePoolProblem(pool) ?? (lb.allowPublicAddresses === true ? undefined : publicPoolProblem(pool)));
  if (poolProblem) out.push({ path: 'loadBalancer.addressPool', value: show(lb.addressPool), ...poolProblem });
  const hubAsPool = lb.hubIP !== undefined ? parseAddressPool(`${lb.hubIP}/32`) : undefined;
  const ipProblem = lb.hubIP !== undefined
    ? unusableIpProblem(lb.hubIP) ?? (hubAsPool && lb.allowPublicAddresses !== true ? publicPoolProblem(hubAsPool)?.message : undefined)
    : undefined;
  if (ipProblem) out.push({ path: 'loadBalancer.hubIP', value: show(lb.hubIP), message: ipProblem, fix: 'pick a free address of the LAN inside loadBalancer.addressPool' });
  if (pool && !poolProblem && !ipProblem && lb.hubIP !== undefined) {
    const problem = hubIpProblem(lb.hubIP, pool);
    if (problem) {
      out.push({
        path: 'loadBalancer.hubIP',
        value: show(lb.hubIP),
        message: `${problem}; MetalLB can only give the hub an address from its pool`,
        fix: `pick a free address inside ${pool.text}, or widen loadBalancer.addressPool to include ${lb.hubIP}`,
      });
    }
  }

  const auth0 = fields(Auth0Schema, input, 'auth0');
  // Only when auth0 is a mapping: a missing or mistyped section is already reported, and
  // "nobody can log in" on top of it would be noise.
  const rawAuth0 = input && typeof input === 'object' ? (input as Record<string, unknown>).auth0 : undefined;
  const hasAuth0 = rawAuth0 !== null && typeof rawAuth0 === 'object' && !Array.isArray(rawAuth0);
  if (hasAuth0 && auth0.scopes !== undefined) {
    const list = show(auth0.scopes); // scope names are plain [A-Za-z0-9_:.-]
    const scopesShown = list.length > 80 ? `${list.slice(0, 77)}...` : list;
    if (!auth0.scopes.includes('openid')) {
      out.push({
        path: 'auth0.scopes',
        value: scopesShown,
        message: 'must include "openid": Auth0\'s /userinfo endpoint, which the hub reads the user name from, refuses tokens without it',
        fix: 'add "openid" to auth0.scopes, e.g. ["openid", "email"]',
      });
    }
    if (auth0.usernameClaim === 'email' && !auth0.scopes.includes('email')) {
      out.push({
        path: 'auth0.scopes',
        value: scopesShown,
        message: 'must include "email" when auth0.usernameClaim is "email": without it Auth0 sends no email claim and every login fails',
        fix: 'add "email" to auth0.scopes, or pick another auth0.usernameClaim',
      });
    }
  }
  if (hasAuth0 && auth0.allowAll !== undefined && auth0.allowedUsers && auth0.adminUsers) {
    if (!auth0.allowAll && auth0.allowedUsers.length === 0 && auth0.adminUsers.length === 0) {
      out.push({
        path: 'auth0.allowedUsers',
        message: 'no login policy: with no allowed users, no admins and allowAll false, nobody can log in',
        fix: 'list your team in auth0.allowedUsers (and admins in auth0.adminUsers), or set auth0.allowAll: true on purpose',
      });
    }
    if (auth0.allowAll && auth0.allowedUsers.length > 0) {
      out.push({
        path: 'auth0.allowAll',
        value: 'true',
        message: 'allowAll lets everyone in, so auth0.allowedUsers would have no effect',
        fix: 'remove allowAll to restrict logins to allowedUsers, or empty allowedUsers',
      });
    }
    // JupyterHub lower-cases user names, so "A@x.org" and "a@x.org" are the same user.
    const allowlistBytes = auth0.allowedUsers.reduce((n, u) => n + Buffer.byteLength(u) + 1, 0);
    if (allowlistBytes > 900 * 1024) {
      out.push({
        path: 'auth0.allowedUsers', value: `[list of ${auth0.allowedUsers.length}]`,
        message: `takes ${allowlistBytes} bytes; the allowlist ConfigMap holds at most about 900 KiB (Kubernetes limits objects to 1 MiB)`,
        fix: 'use an Auth0 role or organization for large groups, or allowAll with Auth0 sign-ups disabled',
      });
    }
    for (const list of ['allowedUsers', 'adminUsers'] as const) {
      const seen = new Map<string, number>();
      auth0[list]!.forEach((u, i) => {
        const key = u.toLowerCase();
        const first = seen.get(key);
        if (first !== undefined) {
          out.push({
            path: `auth0.${list}[${i}]`,
            value: showValue(u, [list]),
            message: `is listed twice (also auth0.${list}[${first}]; user names are compared ignoring case)`,
            fix: 'remove the duplicate',
          });
        } else {
          seen.set(key, i);
        }
      });
    }
  }

  const res = fields(UserResourcesSchema, input, 'resources');
  {
    const cg = res.cpuGuarantee !== undefined ? parseQuantity(res.cpuGuarantee)! : undefined;
    const cl = res.cpuLimit !== undefined ? parseQuantity(res.cpuLimit)! : undefined;
    if (cg !== undefined && cl !== undefined && cg > cl) {
      out.push({
        path: 'resources.cpuGuarantee',
        value: show(res.cpuGuarantee),
        message: `is more than resources.cpuLimit (${show(res.cpuLimit)}); Kubernetes rejects such a pod`,
        fix: 'lower the guarantee or raise the limit',
      });
    }
    const mg = res.memoryGuarantee !== undefined ? parseQuantity(res.memoryGuarantee)! : undefined;
    const ml = res.memoryLimit !== undefined ? parseQuantity(res.memoryLimit)! : undefined;
    if (mg !== undefined && ml !== undefined && mg > ml) {
      out.push({
        path: 'resources.memoryGuarantee',
        value: show(res.memoryGuarantee),
        message: `is more than resources.memoryLimit (${show(res.memoryLimit)}); Kubernetes rejects such a pod`,
        fix: 'lower the guarantee or raise the limit',
      });
    }
    if (ml !== undefined && ml > 2 ** 42) {
      out.push({ path: 'resources.memoryLimit', value: show(res.memoryLimit), message: 'is more than 4 TiB per user, which is surely a typo', fix: 'write something like "8G"' });
    }
    if (mg !== undefined && mg < 64 * 2 ** 20) {
      out.push({ path: 'resources.memoryGuarantee', value: show(res.memoryGuarantee), message: 'is under 64 MiB: Jupyter will not start', fix: 'write something like "1G"' });
    }
  }

  const storage = fields(StorageSchema, input, 'storage');
  {
    const p = storage.hostDirectory !== undefined ? storageDirectoryProblem(storage.hostDirectory) : undefined;
    if (p) out.push({ path: 'storage.hostDirectory', value: show(storage.hostDirectory), ...p });
    for (const key of ['userCapacity', 'hubDatabaseCapacity'] as const) {
      const value = storage[key];
      if (value === undefined) continue;
      const bytes = parseQuantity(value)!;
      if (bytes > MAX_USER_STORAGE) {
        out.push({ path: `storage.${key}`, value: show(storage[key]), message: 'is more than 1 PiB, which is surely a typo', fix: 'write something like "10Gi"' });
      } else if (bytes < 2 ** 20) {
        out.push({ path: `storage.${key}`, value: show(storage[key]), message: 'is under 1 MiB (did you forget the unit?)', fix: 'write something like "10Gi"' });
      }
    }
  }
  out.push(...profileChecks(input, res));
  out.push(...clusterChecks(input));
  return out;
}

function whole<T extends z.ZodTypeAny>(schema: T, input: unknown, key: string): z.output<T> | undefined {
  const done = parsedSection(input, key);
  if (done !== undefined) return done as z.output<T>;
  const raw = input && typeof input === 'object' ? (input as Record<string, unknown>)[key] : undefined;
  const r = schema.safeParse(raw);
  return r.success ? r.data : undefined;
}

const PRESET_NAMES: Record<string, string> = { 'data-science': 'data-science', 'deep-learning': 'deep-learning', team: 'team', gpu: 'gpu' };

function profileChecks(input: unknown, res: Partial<z.output<typeof UserResourcesSchema>>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const profiles = whole(HubConfigSchema.shape.profiles, input, 'profiles');
  const cluster = whole(ClusterSchema.default({}), input, 'cluster');
  const gpu = whole(GpuSchema.default({}), input, 'gpu');
  const gpusTotal = cluster ? cluster.nodes.reduce((a, n) => a + n.gpus, 0) : undefined;
  const gpusMax = cluster ? Math.max(...cluster.nodes.map((n) => n.gpus)) : undefined;
  const perUser = gpu?.perUser ?? 1;
  // The GPU preset is offered by default when a node has GPUs: it must fit on one node.
  const presetGpuUsed = profiles ? profiles.some((p) => p.preset === 'gpu' && p.gpus === undefined) : (gpusTotal ?? 0) > 0;
  if (presetGpuUsed && gpusMax !== undefined && gpusTotal! > 0 && perUser > gpusMax) {
    out.push({ path: 'gpu.perUser', value: String(perUser), message: `is more than any single node has (${gpusMax}): such a server could never start`, fix: `ask for at most ${gpusMax}` });
  }
  if (!profiles) return out;
  const seen = new Map<string, number>();
  let defaults = 0;
  profiles.forEach((p, i) => {
    const at = `profiles[${i}]`;
    if (!p.preset && (!p.name || !p.image)) {
      out.push({ path: `${at}${p.name ? '.image' : '.name'}`, message: 'is required for a profile without a preset', fix: `add ${p.name ? 'image: {name, tag}' : 'name: "my-profile"'}, or start from a preset: preset: data-science | deep-learning | team | gpu` });
    }
    const slug = p.name ?? (p.preset ? PRESET_NAMES[p.preset] : undefined);
    if (slug !== undefined) {
      if (seen.has(slug)) out.push({ path: `${at}.name`, value: show(slug), message: `is used twice (also profiles[${seen.get(slug)}])`, fix: 'give each profile its own name' });
      else seen.set(slug, i);
    }
    if (p.default) defaults++;
    const gpus = p.gpus ?? (p.preset === 'gpu' ? perUser : 0);
    if (gpus > 0 && gpusTotal === 0) {
      out.push({ path: p.gpus ? `${at}.gpus` : `${at}.preset`, value: show(p.gpus ?? p.preset), message: 'asks for a GPU but no node in cluster.nodes has one', fix: 'set gpus on the node that has them (cluster.nodes[].gpus) and enable the MicroK8s gpu addon, or remove this profile' });
    } else if (gpusMax !== undefined && gpus > gpusMax && gpusTotal! > 0 && p.gpus !== undefined) {
      out.push({ path: `${at}.gpus`, value: String(gpus), message: `is more than any single node has (${gpusMax})`, fix: `ask for at most ${gpusMax}` });
    }
    const pr = p.preset ? PRESET_RESOURCES[p.preset] : {};
    const cg = p.cpuGuarantee ?? pr.cpuGuarantee ?? res.cpuGuarantee;
    const cl = p.cpuLimit ?? pr.cpuLimit ?? res.cpuLimit;
    if (cg !== undefined && cl !== undefined && parseQuantity(cg)! > parseQuantity(cl)!) {
      out.push({ path: `${at}.cpuGuarantee`, value: show(cg), message: `is more than the CPU limit (${show(cl)}) of this profile`, fix: 'lower the guarantee or raise cpuLimit' });
    }
    const mg = p.memoryGuarantee ?? pr.memoryGuarantee ?? res.memoryGuarantee;
    const ml = p.memoryLimit ?? pr.memoryLimit ?? res.memoryLimit;
    if (mg !== undefined && ml !== undefined && parseQuantity(mg)! > parseQuantity(ml)!) {
      out.push({ path: `${at}.memoryGuarantee`, value: show(mg), message: `is more than the memory limit (${show(ml)}) of this profile`, fix: 'lower the guarantee or raise memoryLimit' });
    }
  });
  if (defaults > 1) out.push({ path: 'profiles', message: `has ${defaults} profiles marked default: true`, fix: 'mark at most one' });
  return out;
}

/** Names the chart or this program already gives to objects of the same kind. */
export const RESERVED_SECRET_NAMES = ['hub', 'singleuser', 'image-pull-secret', 'proxy-manual-tls', 'proxy-public-tls-acme', 'auth0-client', 'hub-db-password'];
/**
 * StorageClasses the MicroK8s addons create themselves: ours must not replace them (addons
 * hostpath-storage, nfs, mayastor, rook-ceph's connect-external-ceph).
 */
export const ADDON_STORAGE_CLASS_NAMES: Readonly<Record<string, string>> = {
  'microk8s-hostpath': 'the hostpath-storage addon',
  nfs: 'the nfs addon',
  'mayastor-1': 'the mayastor addon',
  'mayastor-2': 'the mayastor addon',
  'mayastor-3': 'the mayastor addon',
  cephfs: 'microk8s connect-external-ceph',
  'ceph-rbd': 'microk8s connect-external-ceph',
};

function clusterChecks(input: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const tls = whole(HubConfigSchema.shape.tls, input, 'tls');
  if (tls?.mode === 'secret' && RESERVED_SECRET_NAMES.includes(tls.secretName)) {
    out.push({ path: 'tls.secretName', value: show(tls.secretName), message: 'is the name of another Secret of the hub; one would replace the other', fix: 'use a name such as "jupyterhub-tls"' });
  }
  const storageNames = whole(StorageSchema.default({}), input, 'storage');
  if (storageNames) {
    const named: [string, string | undefined][] = [
      ['storage.storageClassName', storageNames.storageClassName],
      ['storage.nfs.storageClassName', storageNames.nfs?.storageClassName],
      ['storage.mayastor.storageClassName', storageNames.mayastor?.storageClassName],
      ['storage.cephfs.storageClassName', storageNames.cephfs?.storageClassName],
    ];
    const seen = new Map<string, string>();
    for (const [field, name] of named) {
      if (name === undefined) continue;
      const addon = ADDON_STORAGE_CLASS_NAMES[name];
      if (addon) {
        out.push({ path: field, value: show(name), message: `is the StorageClass of ${addon}; ours would replace it`, fix: 'use a name of your own, or leave it out for the default' });
      } else if (seen.has(name)) {
        out.push({ path: field, value: show(name), message: `is also ${seen.get(name)}: one StorageClass cannot serve two backends`, fix: 'give each backend its own class name, or leave them out for the defaults' });
      }
      seen.set(name, field);
    }
  }
  const cluster = whole(ClusterSchema.default({}), input, 'cluster');
  if (cluster) {
    const seen = new Set<string>();
    cluster.nodes.forEach((n, i) => {
      if (seen.has(n.name)) out.push({ path: `cluster.nodes[${i}].name`, value: show(n.name), message: 'is listed twice', fix: 'list each node once' });
      seen.add(n.name);
      if (parseQuantity(n.memory)! <= parseQuantity(cluster.reservedMemoryPerNode)!) {
        out.push({ path: `cluster.nodes[${i}].memory`, value: show(n.memory), message: `leaves nothing for users after cluster.reservedMemoryPerNode (${cluster.reservedMemoryPerNode})`, fix: 'give the real memory of the machine' });
      }
      if (n.cpus <= cluster.reservedCpusPerNode) {
        out.push({ path: `cluster.nodes[${i}].cpus`, value: String(n.cpus), message: `leaves nothing for users after cluster.reservedCpusPerNode (${cluster.reservedCpusPerNode})`, fix: 'give the real core count of the machine' });
      }
    });
  }
  const shared = whole(SharedDataSchema.default({}), input, 'sharedData');
  if (shared?.datasets && shared.teamFolder && shared.datasetsMountPath === shared.teamFolderMountPath) {
    out.push({ path: 'sharedData.teamFolderMountPath', value: show(shared.teamFolderMountPath), message: 'is the same as sharedData.datasetsMountPath', fix: 'mount them at different paths' });
  }
  // A host folder mounted into every user's server: the same places are off limits as for homes
  // (/proc or /sys of the node in every notebook would expose the host).
  for (const key of ['datasets', 'teamFolder'] as const) {
    const src = shared?.[key];
    const problem = src?.type === 'hostPath' ? storageDirectoryProblem(src.path) : undefined;
    if (src?.type === 'hostPath' && problem) out.push({ path: `sharedData.${key}.path`, value: show(src.path), ...problem });
  }
  out.push(...multiNodeStorageChecks(input, cluster, shared));
  return out;
}

/** Storage that works on one node but strands or corrupts data on several. */
function multiNodeStorageChecks(
  input: unknown,
  cluster: z.output<typeof ClusterSchema> | undefined,
  shared: z.output<typeof SharedDataSchema> | undefined,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const storage = whole(StorageSchema.default({}), input, 'storage');
  const db = whole(HubConfigSchema.shape.hubDatabase, input, 'hubDatabase');
  if (!cluster || !storage) return out;
  const names = new Set(cluster.nodes.map((n) => n.name));
  const nodeList = [...names].join(', ');
  for (const [field, value] of [['storage.pinHostpathToNode', storage.pinHostpathToNode], ['cluster.systemPodsOn', cluster.systemPodsOn]] as const) {
    if (value !== undefined && !names.has(value)) {
      out.push({ path: field, value: show(value), message: 'is not a node in cluster.nodes', fix: `use one of: ${nodeList}` });
    }
  }
  const multi = cluster.nodes.length > 1;
  const pinned = storage.pinHostpathToNode !== undefined;
  const n = cluster.nodes.length;
  if (multi && storage.homes === 'hostpath' && !pinned) {
    out.push({
      path: 'storage.homes', value: '"hostpath"',
      message: `keeps each home on one node's disk, but cluster.nodes has ${n} nodes: a user scheduled elsewhere next time would find an empty home`,
      fix: 'use storage.homes: nfs (with storage.nfs), mayastor or cephfs, or pin user servers to one node with storage.pinHostpathToNode',
    });
  }
  const sqlite = !db || db.type === 'sqlite';
  if (sqlite && (storage.hubDatabase === 'nfs' || storage.hubDatabase === 'cephfs')) {
    out.push({ path: 'storage.hubDatabase', value: show(storage.hubDatabase), message: 'is a network file system; SQLite\'s locking is not safe on it and the hub database can corrupt', fix: 'use hubDatabase: {type: postgres, url: ...}, or storage.hubDatabase: mayastor or hostpath' });
  } else if (sqlite && multi && storage.hubDatabase === 'hostpath' && !pinned) {
    out.push({
      path: 'hubDatabase.type', value: '"sqlite"',
      message: `keeps the hub database on one node's disk, but cluster.nodes has ${n} nodes: the hub could restart on another node without it`,
      fix: 'use hubDatabase: {type: postgres, url: "postgresql://jupyterhub@db.example.org:5432/jupyterhub"}, storage.hubDatabase: mayastor, or pin with storage.pinHostpathToNode',
    });
  }
  const backendsUsed = new Set([storage.homes, ...(sqlite ? [storage.hubDatabase] : [])]);
  for (const key of ['datasets', 'teamFolder'] as const) {
    const src = shared?.[key];
    if (!src) continue;
    if (src.type === 'backend') backendsUsed.add(src.backend);
    const rwo = src.type === 'backend' && (src.backend === 'hostpath' || src.backend === 'mayastor');
    const usersOnOneNode = pinned && storage.homes === 'hostpath';
    if (multi && !usersOnOneNode && (rwo || src.type === 'hostPath')) {
      out.push({
        path: `sharedData.${key}.${src.type === 'backend' ? 'backend' : 'type'}`,
        value: show(src.type === 'backend' ? src.backend : src.type),
        message: src.type === 'hostPath'
          ? `is a directory on each node's own disk: with ${n} nodes, users on different nodes would see different data`
          : `gives a ReadWriteOnce volume, which only one node can mount, but cluster.nodes has ${n} nodes`,
        fix: `use {type: backend, backend: nfs} or {type: backend, backend: cephfs} (ReadWriteMany)`,
      });
    }
  }
  if (backendsUsed.has('nfs') && !storage.nfs) {
    out.push({
      path: 'storage.nfs', message: 'is required: a volume uses the nfs backend',
      fix: 'add storage.nfs: {setup: csi-driver-nfs, server: "nfs.example.org", share: "/export/jupyterhub"} for an existing NFS server, or {setup: microk8s-addon} for `microk8s enable nfs`',
    });
  }
  // The mayastor addon makes one pool per node, and a volume needs a pool for each replica
  // (VERSIONS.md; openebs/mayastor-control-plane v2.0.0 places each replica on its own pool).
  const replicas = storage.mayastor?.replicas;
  if (backendsUsed.has('mayastor') && replicas !== undefined && replicas > n) {
    out.push({
      path: 'storage.mayastor.replicas', value: String(replicas),
      message: `is more than the ${n} node${n === 1 ? '' : 's'} in cluster.nodes: the mayastor addon makes one pool per node and each replica needs its own, so every volume would stay Pending`,
      fix: `set at most ${n}, or list the other nodes in cluster.nodes`,
    });
  }
  return out;
}


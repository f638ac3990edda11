/**
 * fast-check arbitraries for the config fuzzer (test/fuzz.test.ts):
 *
 * - `validConfigArb`: configs that follow the schema and, as far as the generator knows them,
 *   the cross-field rules: hub IP inside the pool (ranges and CIDRs), guarantee <= limit, GPU
 *   profiles only with GPU nodes, unique names, one login policy, the multi-node storage rules
 *   (one config in seven skips those on purpose). Covers every section: domains, tls
 *   letsencrypt/secret (the fixture certificate, absolute paths)/none, storage with its four
 *   backends, auth0 with user lists of up to 3000, resources as numbers and quantity strings,
 *   1-10 nodes (some with GPUs), profiles from presets and custom, sharedData, hubDatabase,
 *   capacity. Some valid values probe edges of the rules: a preset with only one side of a
 *   resource pair, mount paths written with a trailing slash, a team image name with a tag,
 *   object names that collide with others, names YAML reads as numbers or booleans.
 * - `fuzzCaseArb`: half valid configs, half valid configs with 1-3 mutations: a node replaced
 *   by a wrong-typed or hostile value (NaN, Infinity, huge, negative, unicode, control and bidi
 *   characters, 10k-character strings, 10k-entry lists, deep nesting, TypeScript-only values
 *   such as BigInt), a key deleted, an unknown key added (sometimes secret-named, holding
 *   MISPLACED_SECRET), a string edited (path tricks, control characters), a list blown up.
 *
 * No chain(): it rebuilds arbitraries per value and shrinks badly; cross-field fixes are map()s.
 */
import * as path from 'node:path';
import fc from 'fast-check';

/** PEM key markers, built at run time: no tracked file holds a literal key header. */
const PEM_BEGIN = `-----BEGIN ${'PRIVATE'} KEY-----`;
const PEM_END = `-----END ${'PRIVATE'} KEY-----`;

export const TLS_CERT = path.join(__dirname, 'fixtures', 'tls', 'hub.example.org.crt');
export const TLS_KEY = path.join(__dirname, 'fixtures', 'tls', 'hub.example.org.key');

/** A secret pasted in the wrong place (under a secret-named key): no message may echo it. */
export const MISPLACED_SECRET = 'SENTINEL-misplaced-secret-5e1c0d7a9b';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// small pieces

const BYTE_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes of a quantity this file generated ("1.5Gi"). */
export function bytesOf(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]+)$/.exec(q)!;
  return Number(m[1]) * BYTE_UNITS[m[2]];
}

const quantityArb = (units: readonly string[], maxN = 999) =>
  fc.tuple(fc.integer({ min: 1, max: maxN }), fc.constantFrom(...units), fc.constantFrom('', '', '', '.5', '.25'))
    .map(([n, u, frac]) => `${n}${frac}${u}`);

const dnsLabelArb = (max: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('jupyterhub', 'hub', 'analytics', 'team-hub', 'a', 'x1', 'data-9') },
    // RFC 1123 labels the schema refuses because YAML reads them back as numbers or booleans
    // when a chart writes them unquoted (they must come back as ConfigErrors)
    { weight: 1, arbitrary: fc.constantFrom('0', '123', '1e3', 'true', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '017', '0x1f', '2024-05-27', '0-data-9') },
    { weight: 6, arbitrary: fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/).filter((v) => !['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null'].includes(v)) },
    { weight: 1, arbitrary: fc.constant('a'.repeat(max)) },
  );

/** Names of our objects that could collide with others in dist/ (the chart's "hub" Secret, our StorageClasses...). */
const objectNameArb = fc.oneof(
  { weight: 6, arbitrary: dnsLabelArb(63) },
  { weight: 1, arbitrary: fc.constantFrom('hub', 'proxy', 'auth0-client', 'hub-db-password', 'jupyterhub-nfs', 'jupyterhub-cephfs', 'jupyterhub-mayastor', 'user-scheduler') },
);

const hostLabelArb = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?$/);

const domainArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('hub.example.org', 'jupyter.team.example.com', 'HUB.Example.ORG', 'xn--bcher-kva.example', 'a.bc') },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.array(hostLabelArb, { minLength: 1, maxLength: 4 }), fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/))
      .map(([ls, tld]) => [...ls, tld].join('.')),
  },
  // 4 labels of 63 + dots: 255 > 253 would be invalid; 3 x 63 + tld stays under.
  { weight: 1, arbitrary: fc.constant(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.org`) },
);

const emailArb = fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9_+-]{0,15}$/), hostLabelArb, fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([l, d, t]) => `${l}@${d}.${t}`);

// ---------------------------------------------------------------------------------------------
// loadBalancer: a pool (range or CIDR) and a hub IP inside it

const intToIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const ipIntArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0xc0a80000, 0x0a000000, 0xac100000), fc.integer({ min: 0, max: 0xffff })).map(([b, x]) => b + x) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([h, l]) => h * 0x10000 + l) },
);

const poolNameArb = fc.record({ poolName: dnsLabelArb(63) }, { requiredKeys: [] });

const loadBalancerArb = fc.oneof(
  // CIDR
  fc.record({
    base: ipIntArb,
    bits: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 24, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 32 }) }),
    frac: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  }).map(({ base, bits, frac }) => {
    const size = 2 ** (32 - bits);
    const network = Math.floor(base / size) * size;
    const hub = size > 2 ? network + 1 + Math.floor(frac * (size - 2)) : network + Math.floor(frac * size);
    return { addressPool: `${intToIp(network)}/${bits}`, hubIP: intToIp(hub) };
  }),
  // range, sometimes with spaces around the dash or the whole value
  fc.record({
    first: ipIntArb,
    len: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5000 })),
    frac: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    style: fc.constantFrom('a-b', 'a-b', 'a-b', 'a - b', ' a-b '),
  }).map(({ first, len, frac, style }) => {
    const last = Math.min(first + len, 2 ** 32 - 1);
    const hub = first + Math.floor(frac * (last - first + 1));
    const text = style.replace('a', intToIp(first)).replace('b', intToIp(last));
    return { addressPool: text, hubIP: intToIp(hub) };
  }),
);
const loadBalancerWithNameArb = fc.tuple(loadBalancerArb, poolNameArb).map(([lb, extra]) => ({ ...lb, ...extra }));

// ---------------------------------------------------------------------------------------------
// tls

const tlsArb = fc.oneof(
  fc.record(
    {
      mode: fc.constant('letsencrypt'),
      contactEmail: emailArb,
      acmeServer: fc.constantFrom('https://acme-staging-v02.api.letsencrypt.org/directory', 'https://acme.example.org/dir?x=1'),
    },
    { requiredKeys: ['mode', 'contactEmail'] },
  ),
  fc.record(
    { mode: fc.constant('secret'), certFile: fc.constant(TLS_CERT), keyFile: fc.constant(TLS_KEY), secretName: objectNameArb },
    { requiredKeys: ['mode', 'certFile', 'keyFile'] },
  ),
  fc.constant({ mode: 'none', allowInsecureCallback: true }),
);

// ---------------------------------------------------------------------------------------------
// storage

const absPathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/srv/jupyterhub', '/mnt/data/jupyterhub', '/data/jh/', '/srv/ünïcödé/📁', '/srv/a b') },
  { weight: 1, arbitrary: fc.constantFrom('/srv/jh\u202Eevil', '/srv/zero\u200Bwidth') },
  { weight: 2, arbitrary: fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..'), { minLength: 1, maxLength: 4 }).map((p) => `/srv/${p.join('/')}`) },
);

const BACKENDS = ['hostpath', 'nfs', 'mayastor', 'cephfs'] as const;
const backendArb = fc.oneof({ weight: 3, arbitrary: fc.constant('hostpath') }, { weight: 2, arbitrary: fc.constantFrom(...BACKENDS) });

/** Every storage field; which of them the config gets is decided with the cluster (see fixStorage). */
const storageRawArb = fc.record({
  hostDirectory: fc.option(absPathArb, { nil: undefined }),
  method: fc.option(fc.constantFrom('storageClass', 'provisionerPatch'), { nil: undefined }),
  storageClassName: fc.option(objectNameArb, { nil: undefined }),
  reclaimPolicy: fc.option(fc.constantFrom('Retain', 'Delete'), { nil: undefined }),
  userCapacity: fc.option(quantityArb(['Mi', 'Gi', 'Ti', 'G', 'T']).filter((q) => bytesOf(q) >= 2 ** 20 && bytesOf(q) <= 2 ** 50), { nil: undefined }),
  hubDatabaseCapacity: fc.option(quantityArb(['Mi', 'Gi', 'G']).filter((q) => bytesOf(q) >= 2 ** 20), { nil: undefined }),
  homes: fc.option(backendArb, { nil: undefined }),
  hubDatabase: fc.option(backendArb, { nil: undefined }),
  pin: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
  nfs: fc.option(fc.record(
    {
      server: fc.constantFrom('nfs.example.org', '192.168.1.10', 'NAS-1.lan', 'fd00::10'),
      share: fc.constantFrom('/export/jupyterhub', '/volume1/hub', '/srv/nfs/ünï'),
      mountOptions: fc.array(fc.constantFrom('nfsvers=4.1', 'hard', 'noatime', 'rsize=1048576,wsize=1048576'), { maxLength: 3 }),
    },
    { requiredKeys: ['server', 'share'] },
  ), { nil: undefined }),
  mayastor: fc.option(fc.record({ replicas: fc.integer({ min: 1, max: 5 }) }, { requiredKeys: [] }), { nil: undefined }),
  cephfs: fc.option(fc.record({ clusterID: dnsLabelArb(63), fsName: dnsLabelArb(63), pool: dnsLabelArb(63) }, { requiredKeys: [] }), { nil: undefined }),
});

const postgresUrlArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('postgresql://jupyterhub@db.example.org:5432/jupyterhub', 'postgres://hub@10.0.0.5/hub?sslmode=require', 'postgresql://db.example.org/jupyterhub') },
  // a password in the query string instead of user:password@ (libpq reads it from there too)
  { weight: 1, arbitrary: fc.constant(`postgresql://jupyterhub@db.example.org/jupyterhub?password=${MISPLACED_SECRET}`) },
);
const hubDatabaseRawArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant({ type: 'sqlite' }) },
  { weight: 2, arbitrary: postgresUrlArb.map((url) => ({ type: 'postgres', url })) },
);

// ---------------------------------------------------------------------------------------------
// auth0

const userNameArb = fc.oneof(
  { weight: 6, arbitrary: emailArb },
  { weight: 1, arbitrary: fc.constantFrom('Zoë@example.org', '😀@example.org', 'evil\u202Egro.elpmaxe@x.org', 'zero\u200Bwidth@x.org', 'a'.repeat(320), 'github|12345', 'ÅSA@example.org') },
  {
    weight: 1,
    // eslint-disable-next-line no-control-regex
    arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((u) => u.length <= 320 && !/[\u0000-\u001f\u007f\s]/.test(u)),
  },
);
const usersArb = fc.oneof(
  { weight: 12, arbitrary: fc.uniqueArray(userNameArb, { selector: (u) => u.toLowerCase(), maxLength: 6 }) },
  // occasionally a big team: a few thousand entries
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 200, max: 3000 }), fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/))
      .map(([n, p]) => Array.from({ length: n }, (_, i) => `${p}.${i}@big-team.example.org`)),
  },
);

const auth0Arb = fc.record({
  domain: fc.oneof(fc.constantFrom('my-team.eu.auth0.com', 'login.example.org'), hostLabelArb.map((t) => `${t}.us.auth0.com`)),
  clientId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.constant('C'.repeat(128))),
  claim: fc.option(fc.constantFrom('email', 'sub', 'nickname', 'https://example.org/claims/user'), { nil: undefined }),
  extraScopes: fc.uniqueArray(fc.constantFrom('profile', 'offline_access', 'read:users', 'groups', 'email'), { maxLength: 3 }),
  listScopes: fc.boolean(),
  policy: fc.constantFrom('users', 'users', 'users', 'admins', 'allowAll'),
  allowed: usersArb,
  admins: usersArb,
  allowAllFalse: fc.boolean(),
}).map((a) => {
  const out: Json = { domain: a.domain, clientId: a.clientId };
  if (a.claim !== undefined) out.usernameClaim = a.claim;
  if (a.listScopes || a.extraScopes.length > 0) {
    const needEmail = (a.claim ?? 'email') === 'email';
    out.scopes = [...new Set(['openid', ...(needEmail ? ['email'] : []), ...a.extraScopes])];
  }
  if (a.policy === 'allowAll') {
    out.allowAll = true;
    if (a.admins.length > 0) out.adminUsers = a.admins;
  } else if (a.policy === 'admins') {
    out.adminUsers = a.admins.length > 0 ? a.admins : ['lead@example.org'];
    if (a.allowAllFalse) out.allowAll = false;
  } else {
    out.allowedUsers = a.allowed.length > 0 ? a.allowed : ['analyst@example.org'];
    if (a.admins.length > 0) out.adminUsers = a.admins;
    if (a.allowAllFalse) out.allowAll = false;
  }
  return out;
});

// ---------------------------------------------------------------------------------------------
// resources: CPU as numbers or strings, memory as quantities; guarantee <= limit

/** A CPU amount of `milli` millicores, as a number or in one of the string forms. */
function cpuValue(milli: number, style: number): number | string {
  const cores = milli / 1000;
  switch (style % 4) {
    case 0: return cores;
    case 1: return `${milli}m`;
    case 2: return String(cores).startsWith('0.') && milli % 10 === 0 ? String(cores).slice(1) : String(cores); // ".5"
    default: return Number.isInteger(cores) ? String(cores) : cores;
  }
}

const cpuPairArb = fc.tuple(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(100, 250, 500, 1000, 2000) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 64_000 }) }),
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1000, 3000) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 64_000 }) }),
  fc.nat(), fc.nat(),
).map(([g, extra, s1, s2]) => ({ guarantee: cpuValue(g, s1), limit: cpuValue(Math.min(g + extra, 1_024_000), s2) }));

const memQuantityArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('512Mi', '1G', '1Gi', '2G', '4G', '8Gi', '1.5Gi', '64Mi', '100Mi') },
  { weight: 2, arbitrary: quantityArb(['Mi', 'Gi', 'M', 'G'], 64) },
);
const memPairArb = fc.tuple(memQuantityArb, memQuantityArb)
  .map(([g, l]) => (bytesOf(l) >= bytesOf(g) ? { guarantee: g, limit: l } : { guarantee: l, limit: g }))
  .filter((p) => bytesOf(p.guarantee) >= 64 * 2 ** 20 && bytesOf(p.limit) <= 2 ** 42);

const resourcesArb = fc.record({ cpu: fc.option(cpuPairArb, { nil: undefined }), mem: fc.option(memPairArb, { nil: undefined }) }).map(({ cpu, mem }) => {
  const out: Json = {};
  if (cpu) Object.assign(out, { cpuGuarantee: cpu.guarantee, cpuLimit: cpu.limit });
  if (mem) Object.assign(out, { memoryGuarantee: mem.guarantee, memoryLimit: mem.limit });
  return out;
});

// ---------------------------------------------------------------------------------------------
// images, notebook, cull

const imageNameArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('quay.io/jupyter/scipy-notebook', 'jupyter/datascience-notebook', 'registry.example.org:5000/team/nb', 'ghcr.io/org/img') },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}(\/[a-z0-9][a-z0-9_-]{0,12}){0,3}$/) },
);
const tagArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('2024-05-27', 'cuda-2024-05-27', 'v1.2.3', 'x') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/).filter((t) => t !== 'latest') },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`) },
);
const imageArb = fc.record({ name: imageNameArb, tag: tagArb });

const notebookArb = fc.record(
  { image: imageArb, defaultUrl: fc.oneof(fc.constantFrom('/lab', '/tree', '/rstudio', '/lab/tree/work'), fc.stringMatching(/^\/[A-Za-z0-9_/.-]{0,30}$/)) },
  { requiredKeys: [] },
);

const cullArb = fc.record({ enabled: fc.boolean(), timeoutSeconds: fc.integer({ min: 300, max: 7 * 24 * 3600 }) }, { requiredKeys: [] });

// ---------------------------------------------------------------------------------------------
// cluster: reserved per node, then 1-10 nodes bigger than that

const NODE_MEMORY = ['4Gi', '8Gi', '16Gi', '32Gi', '64Gi', '128Gi', '1Ti', '64G', '3.5Ti', '12G'];
const labelsArb = fc.dictionary(
  fc.constantFrom('example.org/disk', 'gpu', 'zone', 'kubernetes.io/hostname', 'constructor', 'toString', 'a.b/c_d'),
  fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?)?$/),
  { maxKeys: 3 },
);

const rawNodeArb = fc.record(
  {
    name: fc.oneof(fc.constantFrom('microk8s', 'node-1', 'node-2', 'gpu-box', 'worker.lan'), fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/)),
    cpus: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(2, 4, 8, 16, 32, 64) },
      { weight: 1, arbitrary: fc.double({ min: 0.01, max: 1024, noNaN: true }) },
      { weight: 1, arbitrary: fc.constant(1024) },
    ),
    memory: fc.nat(),
    gpus: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }) }),
    diskFree: quantityArb(['Gi', 'Ti', 'T']),
    labels: labelsArb,
  },
  { requiredKeys: ['name', 'cpus', 'memory'] },
);

const clusterArb = fc.record({
  reservedCpus: fc.option(fc.oneof(fc.constantFrom(0, 0.5, 1, 2, 4), fc.double({ min: 0, max: 8, noNaN: true })), { nil: undefined }),
  reservedMemory: fc.option(fc.constantFrom('1Gi', '2Gi', '512Mi', '4G'), { nil: undefined }),
  nodes: fc.oneof(
    { weight: 3, arbitrary: rawNodeArb.map((n) => [n]) },
    { weight: 2, arbitrary: fc.uniqueArray(rawNodeArb, { selector: (n) => n.name, minLength: 2, maxLength: 10 }) },
  ),
  systemPodsOn: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
  userPlaceholders: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined, freq: 3 }),
}).map(({ reservedCpus, reservedMemory, nodes, systemPodsOn, userPlaceholders }) => {
  const rc = reservedCpus ?? 1;
  const memories = NODE_MEMORY.filter((m) => bytesOf(m) > bytesOf(reservedMemory ?? '2Gi'));
  const out: Json = {
    nodes: nodes.map((n) => ({
      ...n,
      // more than the reserve, at most 1024
      cpus: n.cpus > rc ? n.cpus : Math.min(1024, rc + 1),
      memory: memories[n.memory % memories.length],
    })),
  };
  if (reservedCpus !== undefined) out.reservedCpusPerNode = reservedCpus;
  if (reservedMemory !== undefined) out.reservedMemoryPerNode = reservedMemory;
  if (systemPodsOn !== undefined) out.systemPodsOn = nodes[systemPodsOn % nodes.length].name;
  if (userPlaceholders !== undefined) out.userPlaceholders = userPlaceholders;
  return out;
});

// ---------------------------------------------------------------------------------------------
// profiles (depend on the GPUs the cluster has)

const displayArb = (max: number) => fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('R statistics', 'Data science 📊', 'Ünïcödé', 'x'.repeat(max)) },
  // refused by the schema (bidi and zero-width characters make text lie on screen)
  { weight: 1, arbitrary: fc.constantFrom('\u202Eright-to-left', 'zero\u200Bwidth') },
  // eslint-disable-next-line no-control-regex
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => s.length <= max && !/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/.test(s)) },
);
const slugArb = fc.oneof(fc.constantFrom('r-stats', 'julia', 'big-mem', 'spark'), fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,15}[a-z0-9])?$/));

/** Per-profile resources: none, both sides of a pair, or (to probe the presets' own values) one side only. */
const profileResourcesArb = fc.record({
  cpuMode: fc.constantFrom('none', 'none', 'none', 'both', 'both', 'guarantee', 'limit'),
  memMode: fc.constantFrom('none', 'none', 'none', 'both', 'both', 'guarantee', 'limit'),
  cpu: cpuPairArb,
  mem: memPairArb,
}).map(({ cpuMode, memMode, cpu, mem }) => {
  const out: Json = {};
  if (cpuMode === 'both' || cpuMode === 'guarantee') out.cpuGuarantee = cpu.guarantee;
  if (cpuMode === 'both' || cpuMode === 'limit') out.cpuLimit = cpu.limit;
  if (memMode === 'both' || memMode === 'guarantee') out.memoryGuarantee = mem.guarantee;
  if (memMode === 'both' || memMode === 'limit') out.memoryLimit = mem.limit;
  return out;
});

function profileArb(gpusMax: number) {
  const presets = gpusMax > 0 ? ['data-science', 'deep-learning', 'team', 'gpu'] : ['data-science', 'deep-learning', 'team'];
  return fc.record({
    preset: fc.option(fc.constantFrom(...presets), { nil: undefined, freq: 2 }),
    name: fc.option(slugArb, { nil: undefined, freq: 3 }),
    image: fc.option(imageArb, { nil: undefined, freq: 3 }),
    displayName: fc.option(displayArb(100), { nil: undefined }),
    description: fc.option(displayArb(500), { nil: undefined }),
    default: fc.option(fc.boolean(), { nil: undefined }),
    gpus: fc.option(fc.integer({ min: 0, max: gpusMax }), { nil: undefined, freq: 3 }),
    res: profileResourcesArb,
  }).map((p) => {
    const out: Json = {};
    if (p.preset !== undefined) out.preset = p.preset;
    // without a preset, name and image are required
    if (p.name !== undefined || p.preset === undefined) out.name = p.name ?? 'custom';
    if (p.image !== undefined || p.preset === undefined) out.image = p.image ?? { name: 'quay.io/jupyter/r-notebook', tag: '2024-05-27' };
    for (const k of ['displayName', 'description', 'default', 'gpus'] as const) if (p[k] !== undefined) out[k] = p[k];
    Object.assign(out, p.res);
    return out;
  });
}

const profileSlug = (p: Json) => String(p.name ?? p.preset);

function profilesArb(gpusMax: number) {
  return fc.uniqueArray(profileArb(gpusMax), { selector: profileSlug, minLength: 1, maxLength: 6 }).map((ps) => {
    let seenDefault = false;
    return ps.map((p) => {
      if (p.default !== true) return p;
      if (!seenDefault) {
        seenDefault = true;
        return p;
      }
      const { default: _drop, ...rest } = p;
      return rest;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// gpu, teamImage, sharedData, capacity

/** gpu.perUser is mostly capped to the GPUs of the largest node (`fit`), sometimes anything up to 16. */
const gpuRawArb = fc.record(
  {
    perUser: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => ({ fit: n })) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }).map((n) => ({ any: n })) },
    ),
    image: imageArb,
  },
  { requiredKeys: [] },
);

const teamImageArb = fc.record(
  {
    enabled: fc.boolean(),
    name: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('localhost:32000/team-notebook', 'registry.lan:5000/team/nb', 'team-notebook') },
      // a tag inside the name: refused (it would become name:tag:tag)
      { weight: 1, arbitrary: fc.constantFrom('localhost:32000/team-notebook:v1') },
    ),
    tag: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/).filter((t) => t !== 'latest'),
  },
  { requiredKeys: [] },
);

const volumeArb = fc.oneof(
  fc.record({ type: fc.constant('hostPath'), path: absPathArb }),
  fc.record({ type: fc.constant('pvc'), claimName: dnsLabelArb(253) }),
  fc.record({ type: fc.constant('backend'), backend: fc.constantFrom(...BACKENDS), size: quantityArb(['Gi', 'Ti']) }, { requiredKeys: ['type', 'backend'] }),
);
const mountPathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/home/jovyan/datasets', '/home/jovyan/shared', '/mnt/data', '/data', '/home/jovyan/data') },
  // edges of "must not hide the home directory": the same folder written differently
  { weight: 1, arbitrary: fc.constantFrom('/home/jovyan/', '/home/jovyan/.', '/home//jovyan', '/home/jovyan/shared/', '/home/jovyan/data/') },
);
const sharedDataArb = fc.record(
  { datasets: volumeArb, datasetsMountPath: mountPathArb, teamFolder: volumeArb, teamFolderMountPath: mountPathArb },
  { requiredKeys: [] },
).map((s) => {
  const dm = s.datasetsMountPath ?? '/home/jovyan/datasets';
  const tm = s.teamFolderMountPath ?? '/home/jovyan/shared';
  if (s.datasets && s.teamFolder && dm === tm) return { ...s, teamFolderMountPath: `${tm.replace(/\/+$/, '')}-team` };
  return s;
});

const capacityArb = fc.record(
  { activeServerLimit: fc.integer({ min: 1, max: 100_000 }), expectedUsers: fc.integer({ min: 1, max: 1_000_000 }) },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------------------------
// the whole config

type StorageRaw = typeof storageRawArb extends fc.Arbitrary<infer T> ? T : never;
const STORAGE_KEYS = ['hostDirectory', 'method', 'storageClassName', 'reclaimPolicy', 'userCapacity', 'hubDatabaseCapacity', 'homes', 'hubDatabase', 'nfs', 'mayastor', 'cephfs'] as const;

/**
 * storage, hubDatabase and sharedData for these nodes: when `strict`, made to follow the
 * multi-node rules of cross-checks.ts (hostpath homes and SQLite on hostpath only when pinned to
 * one node, SQLite never on NFS/CephFS, node-local shared data only with users on one node,
 * storage.nfs whenever the nfs backend is used); otherwise left as generated.
 */
function fixStorage(raw: StorageRaw, db: Json | undefined, shared: Json, nodeNames: readonly string[], strict: boolean, r: number) {
  const multi = nodeNames.length > 1;
  const storage: Json = {};
  for (const k of STORAGE_KEYS) if (raw[k] !== undefined) storage[k] = raw[k];
  if (raw.pin !== undefined) storage.pinHostpathToNode = nodeNames[raw.pin % nodeNames.length];
  const sharedData: Json = { ...shared };
  if (strict) {
    const sqlite = !db || db.type === 'sqlite';
    const homes = () => storage.homes ?? 'hostpath';
    const pinned = () => storage.pinHostpathToNode !== undefined;
    if (multi && homes() === 'hostpath' && !pinned()) {
      if (r % 2) storage.pinHostpathToNode = nodeNames[r % nodeNames.length];
      else storage.homes = ['nfs', 'cephfs', 'mayastor'][r % 3];
    }
    if (sqlite && (storage.hubDatabase === 'nfs' || storage.hubDatabase === 'cephfs')) storage.hubDatabase = multi ? 'mayastor' : 'hostpath';
    if (sqlite && multi && (storage.hubDatabase ?? 'hostpath') === 'hostpath' && !pinned()) storage.hubDatabase = 'mayastor';
    const usersOnOneNode = pinned() && homes() === 'hostpath';
    for (const key of ['datasets', 'teamFolder']) {
      const src = sharedData[key] as Json | undefined;
      if (!src || !multi || usersOnOneNode) continue;
      if (src.type === 'hostPath' || (src.type === 'backend' && (src.backend === 'hostpath' || src.backend === 'mayastor'))) {
        sharedData[key] = { type: 'backend', backend: r % 4 < 2 ? 'nfs' : 'cephfs' };
      }
    }
    const shares = ['datasets', 'teamFolder'].map((k) => sharedData[k] as Json | undefined).filter((v) => v?.type === 'backend').map((v) => v!.backend);
    const used = new Set([homes(), ...(sqlite ? [storage.hubDatabase ?? 'hostpath'] : []), ...shares]);
    if (used.has('nfs') && !storage.nfs) storage.nfs = { setup: 'csi-driver-nfs', server: 'nfs.example.org', share: '/export/jupyterhub' };
  }
  return {
    storage: Object.keys(storage).length ? storage : undefined,
    hubDatabase: db,
    sharedData: Object.keys(sharedData).length ? sharedData : undefined,
  };
}

/**
 * Profiles for the GPUs the nodes have: when `strict`, GPU counts are capped to the largest
 * node and, without GPU nodes, the gpu preset is dropped.
 */
function fixProfiles(profiles: Json[] | undefined, gpusMax: number, strict: boolean): Json[] | undefined {
  if (!profiles || !strict) return profiles;
  const out = profiles
    .filter((p) => gpusMax > 0 || p.preset !== 'gpu')
    .map((p) => (typeof p.gpus === 'number' && p.gpus > gpusMax ? { ...p, gpus: gpusMax } : p));
  return out.length ? out : undefined;
}

export const validConfigArb: fc.Arbitrary<Json> = fc.record(
  {
    namespace: dnsLabelArb(63),
    releaseName: dnsLabelArb(53),
    chartVersion: fc.constant('3.1.0'),
    resources: resourcesArb,
    notebook: notebookArb,
    cull: cullArb,
    teamImage: teamImageArb,
    capacity: capacityArb,
    cluster: clusterArb,
    withCluster: fc.boolean(),
    storageRaw: storageRawArb,
    hubDatabaseRaw: hubDatabaseRawArb,
    sharedDataRaw: sharedDataArb,
    strict: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    r: fc.nat(),
    domain: domainArb,
    loadBalancer: loadBalancerWithNameArb,
    tls: tlsArb,
    auth0: auth0Arb,
    profiles: fc.option(profilesArb(8), { nil: undefined }),
    gpu: fc.option(gpuRawArb, { nil: undefined }),
    // the fixture certificate is for hub.example.org: mostly use that domain with tls.mode secret
    certDomain: fc.constantFrom('hub.example.org', 'hub.example.org', 'hub.example.org', 'HUB.example.org', undefined),
  },
  { requiredKeys: ['cluster', 'withCluster', 'storageRaw', 'hubDatabaseRaw', 'sharedDataRaw', 'strict', 'r', 'domain', 'loadBalancer', 'tls', 'auth0', 'profiles', 'gpu', 'certDomain'] },
).map((top) => {
  const { withCluster, cluster, storageRaw, hubDatabaseRaw, sharedDataRaw, strict, r, profiles, gpu, certDomain, domain, ...rest } = top;
  const nodes = withCluster ? (cluster.nodes as Json[]) : [{ name: 'microk8s', gpus: 0 }];
  const gpusMax = Math.max(0, ...nodes.map((n) => Number(n.gpus ?? 0)));
  const out: Json = {
    ...rest,
    ...(withCluster ? { cluster } : {}),
    ...fixStorage(storageRaw, hubDatabaseRaw, sharedDataRaw, nodes.map((n) => String(n.name)), strict, r),
    domain: top.tls.mode === 'secret' && certDomain !== undefined ? certDomain : domain,
    profiles: fixProfiles(profiles, gpusMax, strict),
  };
  if (gpu) {
    const { perUser, ...g } = gpu;
    out.gpu = perUser === undefined ? g : { ...g, perUser: 'fit' in perUser ? Math.min(perUser.fit, Math.max(1, gpusMax)) : perUser.any };
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
});

// ---------------------------------------------------------------------------------------------
// mutations

const LONG = 'x'.repeat(10_000);
const BIDI = '\u202Eevil\u202C';
const CONTROL = 'ctl\u0000\u0007\u001b[31mred\r\n\t\u007f\u0085\u009b2J';

/** Values of the wrong type, out of range, or hostile. */
export const weirdValueArb: fc.Arbitrary<unknown> = fc.oneof(
  // numbers out of range or of the wrong kind
  { weight: 4, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, -0, 1e308, -1e308, 2 ** 53 + 2, 0.5, 1e-12, Number.MIN_VALUE, 65, 1025, 100_001) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  // strings: empty, unicode, control characters, very long, look-alikes
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '', ' ', '😀👩‍👩‍👧', BIDI, 'zero\u200Bwidth\u200D', '\uFEFFbom', 'lone\uD800surrogate', CONTROL, 'line\nbreak', 'tab\tstop', LONG,
      '🎉'.repeat(6000), 'latest', 'https://evil.example/', '../../etc/passwd', '${HOME}', '{{ .Values.x }}', '0x10', '1e3', '10Gi', '500m',
      `${PEM_BEGIN}\nMIIE\n${PEM_END}\n`, 'true', 'null', '~', 'NaN', '.inf', '2024-05-27',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 10_000, maxLength: 10_050 }) },
  // other types
  { weight: 2, arbitrary: fc.constantFrom(true, false, null, undefined) },
  { weight: 2, arbitrary: fc.constantFrom([], {}, [1, 2], [null], { a: 1 }, [[[[]]]], ['openid']) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 10_000 }, (_, i) => `item-${i}`)) },
  { weight: 1, arbitrary: fc.constant(Object.create(null) as unknown) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 120 }).map((depth) => { let v: unknown = 'deep'; for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { d: v }; return v; }) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 2, withNullPrototype: true, withSparseArray: true }) },
);

/** Only a TypeScript config (src/config.ts) can hold these: JSON and YAML cannot. */
export const jsOnlyValueArb: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  10n, Symbol('sym'), () => 'fn', new Date(0), new Map([['a', 1]]), /re/, new Uint8Array(3),
);

const SECRET_KEY_NAMES = ['clientSecret', 'client_secret', 'password', 'auth0ClientSecret', 'AUTH0_CLIENT_SECRET', 'apiKey', 'token', 'cookieSecret', 'privateKey', 'secretToken', 'keys', 'Password'];
const secretValueArb = fc.constantFrom<unknown>(
  MISPLACED_SECRET,
  { value: MISPLACED_SECRET },
  [MISPLACED_SECRET],
  `${PEM_BEGIN}\n${MISPLACED_SECRET}\n${PEM_END}\n`,
  ` ${MISPLACED_SECRET}\n`,
);

const unknownKeyArb = fc.oneof(
  // typos and misplaced known keys
  { weight: 3, arbitrary: fc.constantFrom('namepsace', 'domian', 'hubIp', 'adminUser', 'cpuLimt', 'memory', 'gpus', 'image', 'tag', 'secretName', 'contactEmail', 'allowInsecureCallback', 'mode', 'type', 'default') },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', '', ' ', 'a.b', 'x[0]', '😀', BIDI, CONTROL, 'y'.repeat(10_000), 'at Object.<anonymous> (/x.js:1:1)') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

export type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'addKey'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'addSecretKey'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'string'; readonly at: number; readonly edit: 'bidi' | 'control' | 'zeroWidth' | 'emoji' | 'long' | 'upper' | 'trailingSpace' | 'pathTrick'; readonly pick: number }
  | { readonly kind: 'number'; readonly at: number; readonly value: number }
  | { readonly kind: 'list'; readonly at: number; readonly copies: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: weirdValueArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: jsOnlyValueArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addKey' as const), at: fc.nat(), key: unknownKeyArb, value: weirdValueArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addSecretKey' as const), at: fc.nat(), key: fc.constantFrom(...SECRET_KEY_NAMES), value: secretValueArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('string' as const),
      at: fc.nat(),
      edit: fc.constantFrom('bidi', 'control', 'zeroWidth', 'emoji', 'long', 'upper', 'trailingSpace', 'pathTrick') as fc.Arbitrary<'bidi'>,
      pick: fc.nat(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('number' as const),
      at: fc.nat(),
      value: fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, -1, -0, 0, 1e308, 2 ** 53 + 2, 0.5, 1e-9, 1025, 65, 17, 100_001, 1_000_001), fc.double()),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), at: fc.nat(), copies: fc.oneof(fc.integer({ min: 2, max: 10 }), fc.constant(3000)) }) },
);

type Key = string | number;
interface Node {
  readonly path: Key[];
  readonly value: unknown;
}

const isPlain = (v: unknown): v is Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/**
 * Every node below the root (plain objects, arrays, leaves), depth first, with its path. A Map,
 * Date or other class instance is a leaf: mutations never reach into (or change) one, since
 * such values are shared between generated cases.
 */
function nodes(root: unknown): Node[] {
  const out: Node[] = [];
  const walk = (v: unknown, p: Key[]) => {
    if (Array.isArray(v)) {
      // a list of thousands of users: index a few of its entries, not all
      const idx = v.length > 50 ? [0, 1, v.length - 1] : v.map((_, i) => i);
      for (const i of idx) {
        out.push({ path: [...p, i], value: v[i] });
        walk(v[i], [...p, i]);
      }
    } else if (isPlain(v)) {
      for (const k of Object.keys(v)) {
        const c = (v as Json)[k];
        out.push({ path: [...p, k], value: c });
        walk(c, [...p, k]);
      }
    }
  };
  walk(root, []);
  return out;
}

function parentOf(root: Json, p: readonly Key[]): Record<Key, unknown> {
  let cur: unknown = root;
  for (const k of p.slice(0, -1)) cur = (cur as Record<Key, unknown>)[k];
  return cur as Record<Key, unknown>;
}

function setOwn(obj: object, key: Key, value: unknown): void {
  // defineProperty: "__proto__" becomes an own key, as JSON.parse and YAML loaders make it
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function editString(s: string, edit: string, pick: number): string {
  switch (edit) {
    case 'bidi': return pick % 2 ? `${BIDI}${s}` : `${s}${BIDI}`;
    case 'control': return `${s}${['\u0000', '\u0007', '\u001b[2J', '\r', '\n', '\t', '\u007f', '\u0085', '\u009b'][pick % 9]}`;
    case 'zeroWidth': return `${s.slice(0, 1)}\u200B${s.slice(1)}\uFEFF`;
    case 'emoji': return `${s}😀`;
    case 'long': return s.repeat(Math.ceil(10_001 / Math.max(1, s.length)));
    case 'upper': return s.toUpperCase();
    case 'trailingSpace': return pick % 2 ? ` ${s}` : `${s} `;
    case 'pathTrick':
      // paths that resolve elsewhere or land in a refused folder, some with hostile characters
      return [`${s}/..`, `/proc/../${s}`, `${s}/.`, `/tmp${s}\u009b2J`, `${s}//`, `/srv/../snap/${s}`, `/var/snap/microk8s/current/${s}\u202E`, `${s}/../\u0085x`, `/home/jovyan/`, `${s}/`][pick % 10];
    default: return s;
  }
}

/** A deep copy of plain objects and arrays (own "__proto__" keys kept); anything else is shared. */
function copy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copy) as T;
  if (isPlain(v)) {
    const out = Object.getPrototypeOf(v) === null ? (Object.create(null) as Json) : {};
    for (const k of Object.keys(v)) setOwn(out, k, copy((v as Json)[k]));
    return out as T;
  }
  return v;
}

/** Applies one mutation to a deep copy of `config`. */
export function applyMutation(config: Json, m: Mutation): Json {
  const root = copy(config);
  const all = nodes(root);
  const pick = <T>(xs: readonly T[]): T | undefined => (xs.length ? xs[m.at % xs.length] : undefined);
  switch (m.kind) {
    case 'replace': {
      const n = pick(all);
      if (n) setOwn(parentOf(root, n.path), n.path[n.path.length - 1], copy(m.value));
      return root;
    }
    case 'delete': {
      const n = pick(all.filter((x) => typeof x.path[x.path.length - 1] === 'string'));
      if (n) delete parentOf(root, n.path)[n.path[n.path.length - 1]];
      return root;
    }
    case 'addKey':
    case 'addSecretKey': {
      const objects: Json[] = [root, ...all.filter((x) => isPlain(x.value)).map((x) => x.value as Json)];
      setOwn(pick(objects)!, m.key, copy(m.value));
      return root;
    }
    case 'string': {
      const strings = all.filter((x) => typeof x.value === 'string');
      const paths = strings.filter((x) => (x.value as string).startsWith('/'));
      const n = pick(m.edit === 'pathTrick' && paths.length ? paths : strings);
      if (n) setOwn(parentOf(root, n.path), n.path[n.path.length - 1], editString(n.value as string, m.edit, m.pick));
      return root;
    }
    case 'number': {
      const n = pick(all.filter((x) => typeof x.value === 'number'));
      if (n) setOwn(parentOf(root, n.path), n.path[n.path.length - 1], m.value);
      return root;
    }
    case 'list': {
      const n = pick(all.filter((x) => Array.isArray(x.value)));
      if (n) {
        const list = n.value as unknown[];
        // at most ~3000 entries: a 3000-user list times 5000 would only measure memory
        const copies = list.length * m.copies > 3000 ? Math.max(2, Math.ceil(3000 / Math.max(1, list.length))) : m.copies;
        const grown = Array.from({ length: copies }, () => list).flat();
        setOwn(parentOf(root, n.path), n.path[n.path.length - 1], grown.length ? grown : Array.from({ length: m.copies }, () => 'x'));
      }
      return root;
    }
  }
}

export interface FuzzCase {
  /** What goes to parseConfig (and, for the synth tiers, into a config file). */
  readonly config: unknown;
  readonly mutations: readonly Mutation[];
  /** Decides, without global state, whether this case is a candidate for the expensive tiers (0-999). */
  readonly ticket: number;
}

export const fuzzCaseArb: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ config: validConfigArb, mutations: fc.constant([] as Mutation[]), ticket: fc.integer({ min: 0, max: 999 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ base: validConfigArb, mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }), ticket: fc.integer({ min: 0, max: 999 }) })
      .map(({ base, mutations, ticket }) => ({ config: mutations.reduce(applyMutation, base), mutations, ticket })),
  },
);

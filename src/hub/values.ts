/**
 * Builds the z2jh 3.1.0 chart values from the config. Every z2jh value we set is set here (or
 * passed in from the construct that owns it: storage class, TLS secret, authenticator), so a
 * reader finds where a value comes from in one hop.
 */
import type { HubConfig } from '../config/schema';
import { memoryBytes, parseQuantity } from '../config/quantity';
import type { HubSecrets } from '../secret-store/store';
import { activeServerLimit, SYSTEM_RESOURCES } from '../cluster/capacity';
import { imageString, profileList, ResolvedProfile, resolveProfiles } from './profiles';
import { hubDatabaseRestartAnnotations, RESTART_ANNOTATIONS, tlsRestartAnnotations } from './restart-annotations';
import { auth0HubSettings } from './auth0-settings';
import { sharedDataClaims, storageClassNameFor } from '../cluster/storage-backends';
import { metallbServiceAnnotations, poolNameOf } from '../cluster/microk8s-release';

/**
 * The z2jh values of a config, computed without the construct tree: from the same functions the
 * constructs use (storage class names, MetalLB annotations, Auth0 settings, restart fingerprints).
 * Synth starts helm with these before it loads cdk8s and builds the constructs; JupyterHubChart
 * then refuses a run whose values differ from the ones the constructs give (so the two cannot drift).
 */
export function hubValuesFor(config: HubConfig, secrets: HubSecrets, tls?: { readonly certPem: string; readonly keyPem: string }): Record<string, unknown> {
  const c = config;
  // Restart fingerprints of secrets read at start are keyed with the cookie secret (restart-annotations.ts).
  const fingerprintKey = secrets.cookieSecret;
  const auth = auth0HubSettings({ auth0: c.auth0, hubUrl: hubUrl(c), clientSecret: secrets.auth0ClientSecret, fingerprintKey });
  const claims = sharedDataClaims(c);
  const postgres = c.hubDatabase.type === 'postgres';
  return buildHubValues({
    config: c,
    storageClassName: storageClassNameFor(c, c.storage.homes),
    hubDatabaseStorageClassName: storageClassNameFor(c, c.storage.hubDatabase),
    sharedDataClaims: { ...(claims.datasets ? { datasets: claims.datasets.name } : {}), ...(claims.teamFolder ? { teamFolder: claims.teamFolder.name } : {}) },
    hubDatabasePasswordSecret: postgres ? HUB_DATABASE_SECRET : undefined,
    serviceAnnotations: metallbServiceAnnotations(c.microk8s.release, poolNameOf(c), c.loadBalancer.hubIP),
    authenticatorHubConfig: auth.hubConfig,
    authenticatorExtraEnv: auth.hubExtraEnv,
    authenticatorHubExtras: auth.hubExtras,
    loadRoles: auth.loadRoles,
    hubPodAnnotations: postgres ? hubDatabaseRestartAnnotations(fingerprintKey, secrets.hubDatabasePassword ?? '') : undefined,
    proxyPodAnnotations: c.tls.mode === 'secret' && tls ? tlsRestartAnnotations(fingerprintKey, tls.certPem, tls.keyPem) : {},
    tlsSecretName: c.tls.mode === 'secret' ? c.tls.secretName : undefined,
    secrets,
  });
}

/** Name of the Secret with the PostgreSQL password (PostgresHubDatabase). */
export const HUB_DATABASE_SECRET = 'hub-db-password';

export interface HubValuesInputs {
  readonly config: HubConfig;
  /** StorageClass for user homes. */
  readonly storageClassName: string;
  /** StorageClass for the hub database volume (SQLite). @default storageClassName */
  readonly hubDatabaseStorageClassName?: string;
  /** Claims we created for shared data on a storage backend. */
  readonly sharedDataClaims?: { readonly datasets?: string; readonly teamFolder?: string };
  /** Secret (key `password`) with the PostgreSQL password, when hubDatabase.type is postgres. */
  readonly hubDatabasePasswordSecret?: string;
  /** Annotations pinning proxy-public to the hub IP in the MetalLB pool. */
  readonly serviceAnnotations: Record<string, string>;
  /** From Auth0Authenticator. */
  readonly authenticatorHubConfig: Record<string, unknown>;
  readonly authenticatorExtraEnv: Record<string, unknown>;
  /** Volumes, mounts, extraConfig and pod annotations the authenticator needs on the hub. */
  readonly authenticatorHubExtras?: {
    readonly extraVolumes: Record<string, unknown>[];
    readonly extraVolumeMounts: Record<string, unknown>[];
    readonly extraConfig: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  /** From Auth0Authenticator: z2jh `hub.loadRoles` (the admin role). */
  readonly loadRoles?: Record<string, Record<string, unknown>>;
  /** Hub pod annotations from constructs whose secrets the hub reads at start (database password). */
  readonly hubPodAnnotations?: Record<string, string>;
  /** Proxy pod annotations (the TLS certificate fingerprint). */
  readonly proxyPodAnnotations?: Record<string, string>;
  /** Name of the kubernetes.io/tls Secret when tls.mode is "secret". */
  readonly tlsSecretName?: string;
  readonly secrets: Pick<HubSecrets, 'proxySecretToken' | 'cookieSecret' | 'cryptKeeperKey'>;
}

/** `https://DOMAIN`, or `http://DOMAIN` when TLS is deliberately off. */
export function hubUrl(config: HubConfig): string {
  return `${config.tls.mode === 'none' ? 'http' : 'https'}://${config.domain}`;
}

/** z2jh wants CPU as a number of cores. */
export function cpuCores(v: number | string): number {
  return typeof v === 'number' ? v : parseQuantity(v)!;
}

function httpsValues(config: HubConfig, tlsSecretName?: string): Record<string, unknown> {
  const tls = config.tls;
  switch (tls.mode) {
    case 'secret':
      return { enabled: true, type: 'secret', hosts: [config.domain], secret: { name: tlsSecretName ?? tls.secretName, key: 'tls.key', crt: 'tls.crt' } };
    case 'letsencrypt':
      return {
        enabled: true,
        type: 'letsencrypt',
        hosts: [config.domain],
        letsencrypt: { contactEmail: tls.contactEmail, ...(tls.acmeServer ? { acmeServer: tls.acmeServer } : {}) },
      };
    case 'none':
      return { enabled: false };
  }
}

/** Shared dataset (read-only) and team folder (read-write) volumes for every user server. */
export function sharedDataVolumes(
  c: HubConfig,
  claims: { readonly datasets?: string; readonly teamFolder?: string } = {},
): { volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[] } {
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  type Source = NonNullable<HubConfig['sharedData']['datasets']>;
  const add = (name: string, src: Source, claim: string | undefined, mountPath: string, readOnly: boolean) => {
    if (src.type === 'hostPath') volumes.push({ name, hostPath: { path: src.path, type: 'Directory' } });
    else {
      const claimName = src.type === 'pvc' ? src.claimName : claim;
      if (!claimName) throw new Error(`sharedData ${name}: no claim was created for its storage backend`);
      volumes.push({ name, persistentVolumeClaim: { claimName, readOnly } });
    }
    mounts.push({ name, mountPath, readOnly });
  };
  if (c.sharedData.datasets) add('shared-datasets', c.sharedData.datasets, claims.datasets, c.sharedData.datasetsMountPath, true);
  if (c.sharedData.teamFolder) add('shared-team-folder', c.sharedData.teamFolder, claims.teamFolder, c.sharedData.teamFolderMountPath, false);
  return { volumes, mounts };
}

const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** Node selectors for the hub, user servers and system pods, from cluster and storage config. */
export function placement(c: HubConfig): { hub?: Record<string, string>; users?: Record<string, string>; system?: Record<string, string> } {
  const pin = c.storage.pinHostpathToNode;
  const sys = c.cluster.systemPodsOn;
  const out: { hub?: Record<string, string>; users?: Record<string, string>; system?: Record<string, string> } = {};
  if (sys) out.system = { [HOSTNAME_LABEL]: sys };
  if (pin && c.storage.homes === 'hostpath') out.users = { [HOSTNAME_LABEL]: pin };
  const hubOnHostpath = c.hubDatabase.type === 'sqlite' && c.storage.hubDatabase === 'hostpath';
  out.hub = hubOnHostpath && pin ? { [HOSTNAME_LABEL]: pin } : out.system;
  return out;
}

/**
 * The hub's database values: SQLite on a volume, or PostgreSQL with the password from a Secret.
 * `upgrade`: z2jh 3.1.0 (templates/hub/deployment.yaml) adds `--upgrade-db` to the hub's args for
 * sqlite-pvc unless told otherwise, but for any other database only when `hub.db.upgrade` is true.
 * JupyterHub 4.0.2 (dbutil.py `upgrade_if_needed`) then migrates at start, backing up only SQLite
 * files; without it a newer JupyterHub exits on an old schema. PostgreSQL: hubDatabase.upgradeOnStart.
 */
function databaseValues(i: HubValuesInputs): Record<string, unknown> {
  const c = i.config;
  if (c.hubDatabase.type === 'postgres') return { type: 'postgres', url: c.hubDatabase.url, upgrade: c.hubDatabase.upgradeOnStart };
  return {
    type: 'sqlite-pvc',
    pvc: { storageClassName: i.hubDatabaseStorageClassName ?? i.storageClassName, storage: c.storage.hubDatabaseCapacity, accessModes: ['ReadWriteOnce'] },
  };
}

/** `name:tag` / `name@sha256:hex` as z2jh's `{name, tag}`, which its puller joins with ":". */
export function splitImage(image: string): { name: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) {
    // "repo@sha256:hex" -> name "repo@sha256", tag "hex": the chart writes name:tag back.
    const [algo, hex] = image.slice(at + 1).split(':');
    return { name: `${image.slice(0, at)}@${algo}`, tag: hex };
  }
  const colon = image.lastIndexOf(':');
  return { name: image.slice(0, colon), tag: image.slice(colon + 1) };
}

/**
 * What z2jh's continuous image puller pulls. With `pullProfileListImages` it would pull every
 * profile image on every user node (z2jh 3.1.0 templates/image-puller/_helpers-daemonset.tpl),
 * the multi-GB CUDA image too: so profile images go in `extraImages`, without the GPU profiles'
 * images, which GpuImagePuller pulls on GPU nodes only. The singleuser image is always pulled.
 */
export function pullerImages(profiles: readonly ResolvedProfile[], singleuserImage: string): {
  extraImages: Record<string, { name: string; tag: string }>;
  gpuImages: string[];
} {
  const extraImages: Record<string, { name: string; tag: string }> = {};
  const seen = new Set([singleuserImage]);
  const gpuOnly = new Set(profiles.filter((p) => p.gpus > 0).map((p) => p.image));
  profiles.forEach((p, i) => {
    if (p.gpus > 0 || seen.has(p.image)) return;
    seen.add(p.image);
    // The chart names the init container "image-pull-<key>": at most 63 characters.
    const key = p.slug.length <= 52 ? p.slug : `${p.slug.slice(0, 45).replace(/-+$/, '')}-p${i}`;
    extraImages[key] = splitImage(p.image);
  });
  // A GPU image that a CPU profile also uses is pulled everywhere anyway.
  return { extraImages, gpuImages: [...gpuOnly].filter((img) => !seen.has(img)) };
}

export function buildHubValues(i: HubValuesInputs): Record<string, unknown> {
  const c = i.config;
  const multiNode = c.cluster.nodes.length > 1;
  const profiles = resolveProfiles(c);
  const shared = sharedDataVolumes(c, i.sharedDataClaims);
  const where = placement(c);
  const hubAnnotations = { ...(i.authenticatorHubExtras?.annotations ?? {}), ...(i.hubPodAnnotations ?? {}) };
  const singleuserImage = imageString(c.notebook.image);
  const pull = pullerImages(profiles, singleuserImage);
  const pgEnv = c.hubDatabase.type === 'postgres' && i.hubDatabasePasswordSecret
    ? { PGPASSWORD: { valueFrom: { secretKeyRef: { name: i.hubDatabasePasswordSecret, key: 'password' } } } }
    : {};
  return {
    hub: {
      // No JupyterHub.admin_access: deprecated since JupyterHub 2.0 and without effect on 4.0.2's
      // scope checks (app.py); what admins may do is the admin role in loadRoles.
      // null removes the chart's defaults (z2jh 3.1.0 values.yaml): admin_access is a no-op, and
      // authenticator_class "dummy" is replaced by our class in hub.extraConfig.
      config: {
        JupyterHub: { admin_access: null, authenticator_class: null },
        ...i.authenticatorHubConfig,
        CryptKeeper: { keys: [i.secrets.cryptKeeperKey] },
      },
      cookieSecret: i.secrets.cookieSecret,
      extraEnv: { ...i.authenticatorExtraEnv, ...pgEnv },
      ...(i.authenticatorHubExtras ? structuredClone(i.authenticatorHubExtras) : {}),
      ...(hubAnnotations && Object.keys(hubAnnotations).length ? { annotations: hubAnnotations } : {}),
      ...(i.loadRoles ? { loadRoles: structuredClone(i.loadRoles) } : {}),
      activeServerLimit: activeServerLimit(c),
      resources: structuredClone(SYSTEM_RESOURCES.hub),
      db: databaseValues(i),
      ...(where.hub ? { nodeSelector: where.hub } : {}),
    },
    proxy: {
      secretToken: i.secrets.proxySecretToken,
      ...(i.proxyPodAnnotations && Object.keys(i.proxyPodAnnotations).length ? { annotations: { ...i.proxyPodAnnotations } } : {}),
      service: {
        type: 'LoadBalancer',
        annotations: { ...i.serviceAnnotations },
      },
      https: httpsValues(c, i.tlsSecretName),
      chp: { resources: structuredClone(SYSTEM_RESOURCES.proxy), ...(where.system ? { nodeSelector: where.system } : {}) },
      traefik: { resources: structuredClone(SYSTEM_RESOURCES.autohttps), ...(where.system ? { nodeSelector: where.system } : {}) },
    },
    singleuser: {
      image: { name: c.notebook.image.name, tag: c.notebook.image.tag },
      defaultUrl: c.notebook.defaultUrl,
      cpu: { guarantee: cpuCores(c.resources.cpuGuarantee), limit: cpuCores(c.resources.cpuLimit) },
      // Bytes: KubeSpawner's ByteSpecification refuses "Gi"/"Mi" and reads "G" as 2^30 (see memoryBytes).
      memory: { guarantee: memoryBytes(c.resources.memoryGuarantee), limit: memoryBytes(c.resources.memoryLimit) },
      storage: {
        type: 'dynamic',
        capacity: c.storage.userCapacity,
        dynamic: { storageClass: i.storageClassName },
        ...(shared.volumes.length ? { extraVolumes: shared.volumes, extraVolumeMounts: shared.mounts } : {}),
      },
      profileList: profileList(profiles, { multiNode }),
      ...(where.users ? { nodeSelector: where.users } : {}),
    },
    // kubectl ignores helm.sh/hook annotations: the hook Job would linger and block the next
    // apply. The continuous puller keeps every CPU profile image warm instead (see pullerImages).
    prePuller: {
      hook: { enabled: false },
      continuous: { enabled: true },
      pullProfileListImages: false,
      ...(Object.keys(pull.extraImages).length ? { extraImages: pull.extraImages } : {}),
      resources: structuredClone(SYSTEM_RESOURCES.imagePuller),
    },
    // One machine: packing users onto nodes, placeholder pods and priorities only cost memory.
    // Several: the user-scheduler packs users tightly; placeholders (with priorities, so they
    // are evicted first) keep room for users who log in next.
    scheduling: {
      userScheduler: {
        enabled: multiNode,
        ...(multiNode ? { resources: structuredClone(SYSTEM_RESOURCES.userScheduler) } : {}),
        ...(multiNode && where.system ? { nodeSelector: where.system } : {}),
      },
      podPriority: { enabled: c.cluster.userPlaceholders > 0 },
      userPlaceholder: { enabled: c.cluster.userPlaceholders > 0, replicas: c.cluster.userPlaceholders },
    },
    cull: { enabled: c.cull.enabled, timeout: c.cull.timeoutSeconds, every: Math.min(600, Math.max(60, Math.floor(c.cull.timeoutSeconds / 6))) },
  };
}

/** Paths in the values that hold secrets (all set by buildHubValues from the secret store). */
export const SECRET_VALUE_PATHS: readonly (readonly string[])[] = [
  ['proxy', 'secretToken'],
  ['hub', 'cookieSecret'],
  ['hub', 'config', 'CryptKeeper', 'keys'],
];

/**
 * The values with every secret replaced by "(secret)": safe to commit, so that a reviewer sees
 * a change of z2jh configuration, which otherwise only shows as a changed `hub` Secret.
 */
export function redactHubValues(values: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(values);
  for (const p of SECRET_VALUE_PATHS) {
    let cur: Record<string, unknown> | undefined = copy;
    for (const k of p.slice(0, -1)) cur = cur?.[k] as Record<string, unknown> | undefined;
    if (cur && p[p.length - 1] in cur) cur[p[p.length - 1]] = '(secret)';
  }
  // Restart fingerprints differ between real and placeholder secrets: not configuration to review.
  for (const part of ['hub', 'proxy']) {
    const ann = (copy[part] as { annotations?: Record<string, string> } | undefined)?.annotations;
    for (const k of Object.values(RESTART_ANNOTATIONS)) if (ann && k in ann) ann[k] = '(fingerprint of a secret)';
  }
  // The schema refuses credentials in hubDatabase.url; keep the committed file safe regardless.
  const db = (copy.hub as { db?: { url?: unknown } } | undefined)?.db;
  if (db && typeof db.url === 'string') db.url = db.url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^@/:]*):[^@]*@/i, '$1:(secret)@');
  return copy;
}

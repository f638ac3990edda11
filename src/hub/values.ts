/**
 * Builds the z2jh 3.1.0 chart values from the config. Every z2jh value we set is set here (or
 * passed in from the construct that owns it: storage class, TLS secret, authenticator), so a
 * reader finds where a value comes from in one hop.
 */
import type { HubConfig } from '../config/schema';
import { parseQuantity } from '../config/quantity';
import type { HubSecrets } from '../secret-store/store';
import { activeServerLimit, SYSTEM_RESOURCES } from '../cluster/capacity';
import { profileList, resolveProfiles } from './profiles';

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

/** The hub's database values: SQLite on a volume, or PostgreSQL with the password from a Secret. */
function databaseValues(i: HubValuesInputs): Record<string, unknown> {
  const c = i.config;
  if (c.hubDatabase.type === 'postgres') return { type: 'postgres', url: c.hubDatabase.url };
  return {
    type: 'sqlite-pvc',
    pvc: { storageClassName: i.hubDatabaseStorageClassName ?? i.storageClassName, storage: c.storage.hubDatabaseCapacity, accessModes: ['ReadWriteOnce'] },
  };
}

export function buildHubValues(i: HubValuesInputs): Record<string, unknown> {
  const c = i.config;
  const authConfig = i.authenticatorHubConfig as { JupyterHub?: Record<string, unknown> };
  const multiNode = c.cluster.nodes.length > 1;
  const profiles = resolveProfiles(c);
  const shared = sharedDataVolumes(c, i.sharedDataClaims);
  const where = placement(c);
  const pgEnv = c.hubDatabase.type === 'postgres' && i.hubDatabasePasswordSecret
    ? { PGPASSWORD: { valueFrom: { secretKeyRef: { name: i.hubDatabasePasswordSecret, key: 'password' } } } }
    : {};
  return {
    hub: {
      config: {
        ...i.authenticatorHubConfig,
        JupyterHub: { admin_access: true, ...(authConfig.JupyterHub ?? {}) },
        CryptKeeper: { keys: [i.secrets.cryptKeeperKey] },
      },
      cookieSecret: i.secrets.cookieSecret,
      extraEnv: { ...i.authenticatorExtraEnv, ...pgEnv },
      ...(i.authenticatorHubExtras ? structuredClone(i.authenticatorHubExtras) : {}),
      activeServerLimit: activeServerLimit(c),
      resources: structuredClone(SYSTEM_RESOURCES.hub),
      db: databaseValues(i),
      ...(where.hub ? { nodeSelector: where.hub } : {}),
    },
    proxy: {
      secretToken: i.secrets.proxySecretToken,
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
      memory: { guarantee: c.resources.memoryGuarantee, limit: c.resources.memoryLimit },
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
    // apply. The continuous puller keeps every profile image warm instead.
    prePuller: {
      hook: { enabled: false },
      continuous: { enabled: true },
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
  // The schema refuses credentials in hubDatabase.url; keep the committed file safe regardless.
  const db = (copy.hub as { db?: { url?: unknown } } | undefined)?.db;
  if (db && typeof db.url === 'string') db.url = db.url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^@/:]*):[^@]*@/i, '$1:(secret)@');
  return copy;
}

/** Which StorageClass, access mode and MicroK8s addon each storage backend gives. Pure. */
import { createHash } from 'node:crypto';
import type { HubConfig, StorageBackend } from '../config/schema';

/**
 * The parts of the config that decide where data lives: all that HubStorage and the functions
 * here read (a whole HubConfig fits).
 */
export type StorageSettings = Pick<HubConfig, 'namespace' | 'releaseName' | 'storage' | 'sharedData' | 'hubDatabase'> & {
  readonly cluster: Pick<HubConfig['cluster'], 'nodes'>;
};

/** The namespace and release of the hub that older versions of this program were limited to. */
const LEGACY = 'jupyterhub';

/**
 * The default StorageClass name of a backend for the hub in `namespace` with helm release
 * `release`. StorageClasses are cluster-wide, so two hubs on one cluster must not share one:
 * the name carries both, plus a short hash of the pair, because "a-b" + "c" and "a" + "b-c" would
 * otherwise read the same. The hub in namespace "jupyterhub" with release "jupyterhub" (the
 * defaults) keeps the name earlier versions gave it ("jupyterhub-hostpath", ...), so its existing
 * claims keep their class; no other hub can get that name, since every other one ends in a hash.
 */
export function defaultStorageClassName(namespace: string, release: string, backend: StorageBackend): string {
  if (namespace === LEGACY && release === LEGACY) return `jupyterhub-${backend}`;
  const hash = createHash('sha256').update(`${namespace}/${release}`).digest('hex').slice(0, 6);
  return `${namespace}-${release}-${backend}-${hash}`;
}

/** The configured StorageClass name of a backend, if the user set one. */
export function configuredStorageClassName(c: StorageSettings, backend: StorageBackend): string | undefined {
  switch (backend) {
    case 'hostpath':
      return c.storage.storageClassName;
    case 'nfs':
      return c.storage.nfs?.storageClassName;
    case 'mayastor':
      return c.storage.mayastor?.storageClassName;
    case 'cephfs':
      return c.storage.cephfs?.storageClassName;
  }
}

export function storageClassNameFor(c: StorageSettings, backend: StorageBackend): string {
  return configuredStorageClassName(c, backend) ?? defaultStorageClassName(c.namespace, c.releaseName, backend);
}

/** Backends whose volumes several nodes can mount at once. */
/** Claims for shared data on a storage backend (SharedDataClaim), by sharedData key: name and backend. */
export function sharedDataClaims(c: StorageSettings): { readonly datasets?: { name: string; backend: StorageBackend }; readonly teamFolder?: { name: string; backend: StorageBackend } } {
  const out: { datasets?: { name: string; backend: StorageBackend }; teamFolder?: { name: string; backend: StorageBackend } } = {};
  for (const [key, name] of [['datasets', 'shared-datasets'], ['teamFolder', 'shared-team-folder']] as const) {
    const src = c.sharedData[key];
    if (src?.type === 'backend') out[key] = { name, backend: src.backend };
  }
  return out;
}

export function supportsReadWriteMany(backend: StorageBackend): boolean {
  return backend === 'nfs' || backend === 'cephfs';
}

/** Backends any configured volume uses. */
export function usedBackends(c: StorageSettings): Set<StorageBackend> {
  const used = new Set<StorageBackend>([c.storage.homes]);
  if (c.hubDatabase.type === 'sqlite') used.add(c.storage.hubDatabase);
  for (const v of [c.sharedData.datasets, c.sharedData.teamFolder]) if (v?.type === 'backend') used.add(v.backend);
  return used;
}

/**
 * Mayastor replicas: as configured, else one per node up to 3. The `mayastor` addon creates
 * one pool per node and a volume needs a pool per replica, so more replicas than nodes would
 * leave every volume Pending (the config refuses that).
 */
export function mayastorReplicas(c: StorageSettings): number {
  return c.storage.mayastor?.replicas ?? Math.min(3, c.cluster.nodes.length);
}

/**
 * The MicroK8s addon a backend needs, or undefined when it is not an addon (csi-driver-nfs is
 * installed with Helm; doctor checks its CSIDriver instead).
 */
export function backendAddon(c: StorageSettings, backend: StorageBackend): string | undefined {
  switch (backend) {
    case 'hostpath':
      return 'hostpath-storage';
    case 'nfs':
      return c.storage.nfs?.setup === 'microk8s-addon' ? 'nfs' : undefined;
    case 'mayastor':
      return 'mayastor';
    case 'cephfs':
      // Both setups run the addon's Rook operator; the external one is imported with
      // `microk8s connect-external-ceph` on top of it.
      return 'rook-ceph';
  }
}

/**
 * Where a backend keeps its data, in words that change only when the data would be somewhere
 * else (the data-move guard compares them). Not the class name: that may change on its own.
 */
export function dataLocation(c: StorageSettings, backend: StorageBackend): string {
  switch (backend) {
    case 'hostpath':
      return `hostpath ${c.storage.hostDirectory}${c.storage.pinHostpathToNode ? ` on node ${c.storage.pinHostpathToNode}` : ''}`;
    case 'nfs': {
      const n = c.storage.nfs;
      if (!n) return 'nfs';
      return n.setup === 'csi-driver-nfs' ? `nfs ${n.server}:${n.share}` : 'nfs in the MicroK8s nfs addon';
    }
    case 'mayastor':
      return 'mayastor';
    case 'cephfs': {
      const f = c.storage.cephfs;
      return f ? `cephfs ${f.fsName} of cluster ${f.clusterID}` : 'cephfs';
    }
  }
}

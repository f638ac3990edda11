/** Which StorageClass and access mode each storage backend gives. Pure. */
import type { HubConfig, StorageBackend } from '../config/schema';

export function storageClassNameFor(c: HubConfig, backend: StorageBackend): string {
  switch (backend) {
    case 'hostpath':
      return c.storage.storageClassName;
    case 'nfs':
      return 'jupyterhub-nfs';
    case 'mayastor':
      return 'jupyterhub-mayastor';
    case 'cephfs':
      return 'jupyterhub-cephfs';
  }
}

/** Backends whose volumes several nodes can mount at once. */
export function supportsReadWriteMany(backend: StorageBackend): boolean {
  return backend === 'nfs' || backend === 'cephfs';
}

/** Backends any configured volume uses. */
export function usedBackends(c: HubConfig): Set<StorageBackend> {
  const used = new Set<StorageBackend>([c.storage.homes]);
  if (c.hubDatabase.type === 'sqlite') used.add(c.storage.hubDatabase);
  for (const v of [c.sharedData.datasets, c.sharedData.teamFolder]) if (v?.type === 'backend') used.add(v.backend);
  return used;
}

/** The MicroK8s addon each backend needs (for doctor and the README). */
export const BACKEND_ADDON: Record<StorageBackend, string> = {
  hostpath: 'hostpath-storage',
  nfs: 'nfs',
  mayastor: 'mayastor',
  cephfs: 'rook-ceph',
};

import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { HubConfig } from '../config/schema';
import { CephfsStorageClass } from './cephfs-storage-class';
import { HostpathProvisionerPatch } from './hostpath-provisioner-patch';
import { HostpathStorageClass } from './hostpath-storage-class';
import { MayastorStorageClass } from './mayastor-storage-class';
import { NfsStorageClass } from './nfs-storage-class';
import { SharedDataClaim } from './shared-data-claim';
import { storageClassNameFor, supportsReadWriteMany, usedBackends } from './storage-backends';

export interface HubStorageProps {
  readonly config: HubConfig;
  /** Namespace of the shared-data claims. */
  readonly namespace: string;
  /** Where the hostpath-provisioner patch goes (written apart from what kubectl applies). */
  readonly patches: Chart;
}

/**
 * Every place user data lives: one StorageClass per backend in use (all Retain), the patch for
 * older MicroK8s's hostpath provisioner, and the claims for shared data on a backend.
 */
export class HubStorage extends Construct {
  /** StorageClass of user homes. */
  readonly homesClass: string;
  /** StorageClass of the hub's SQLite volume. */
  readonly hubDatabaseClass: string;
  /** Claims created for shared data on a backend. */
  readonly sharedDataClaims: { datasets?: string; teamFolder?: string } = {};
  /** Whether anything lives on hostpath volumes. */
  readonly usesHostpath: boolean;

  constructor(scope: Construct, id: string, props: HubStorageProps) {
    super(scope, id);
    const c = props.config;
    const backends = usedBackends(c);
    const reclaimPolicy = c.storage.reclaimPolicy;
    this.usesHostpath = backends.has('hostpath');
    if (this.usesHostpath) {
      new HostpathStorageClass(this, 'Hostpath', {
        name: c.storage.storageClassName,
        hostDirectory: c.storage.hostDirectory,
        reclaimPolicy,
        usePvDirParameter: c.storage.method === 'storageClass',
      });
      if (c.storage.method === 'provisionerPatch') {
        new HostpathProvisionerPatch(props.patches, 'HostpathProvisioner', { hostDirectory: c.storage.hostDirectory });
      }
    }
    if (backends.has('nfs')) {
      if (!c.storage.nfs) throw new Error('HubStorage: the nfs backend is used but storage.nfs is not set');
      new NfsStorageClass(this, 'Nfs', { ...c.storage.nfs, name: storageClassNameFor(c, 'nfs'), reclaimPolicy });
    }
    if (backends.has('mayastor')) {
      new MayastorStorageClass(this, 'Mayastor', { replicas: c.storage.mayastor?.replicas, name: storageClassNameFor(c, 'mayastor'), reclaimPolicy });
    }
    if (backends.has('cephfs')) {
      new CephfsStorageClass(this, 'Cephfs', { ...(c.storage.cephfs ?? {}), name: storageClassNameFor(c, 'cephfs'), reclaimPolicy });
    }
    for (const [key, claimName] of [['datasets', 'shared-datasets'], ['teamFolder', 'shared-team-folder']] as const) {
      const src = c.sharedData[key];
      if (src?.type !== 'backend') continue;
      this.sharedDataClaims[key] = new SharedDataClaim(this, `SharedData-${key}`, {
        name: claimName,
        namespace: props.namespace,
        storageClassName: storageClassNameFor(c, src.backend),
        size: src.size,
        accessMode: supportsReadWriteMany(src.backend) ? 'ReadWriteMany' : 'ReadWriteOnce',
      }).claimName;
    }
    this.homesClass = storageClassNameFor(c, c.storage.homes);
    this.hubDatabaseClass = storageClassNameFor(c, c.storage.hubDatabase);
  }
}

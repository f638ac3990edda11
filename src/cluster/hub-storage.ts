import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { NOTEBOOK_GID } from '../config/schema';
import { CephfsStorageClass } from './cephfs-storage-class';
import { HostpathProvisionerPatch } from './hostpath-provisioner-patch';
import { HostpathStorageClass } from './hostpath-storage-class';
import { MayastorStorageClass } from './mayastor-storage-class';
import { NfsAddonStorageClass } from './nfs-addon-storage-class';
import { NfsStorageClass } from './nfs-storage-class';
import { SharedDataClaim } from './shared-data-claim';
import { dataLocation, mayastorReplicas, sharedDataClaims, StorageSettings, storageClassNameFor, supportsReadWriteMany, usedBackends } from './storage-backends';

export interface HubStorageProps {
  /** The config's storage choices (`storage`, `sharedData`, `hubDatabase`, `cluster.nodes`; `namespace` and `releaseName` name the default classes). */
  readonly settings: StorageSettings;
  /** Namespace of the shared-data claims. */
  readonly namespace: string;
  /** Where the hostpath-provisioner patch goes (written apart from what kubectl applies). */
  readonly patches: Chart;
}

/**
 * Every place user data lives: one StorageClass per backend in use (all Retain by default), the
 * patch for older MicroK8s's hostpath provisioner, and the claims for shared data on a backend.
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
  /**
   * Where homes and the hub database live, for the deployment record: the data-move guard
   * compares these (never class names, which may change without moving anything).
   */
  readonly dataFacts: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: HubStorageProps) {
    super(scope, id);
    const c = props.settings;
    const backends = usedBackends(c);
    const reclaimPolicy = c.storage.reclaimPolicy;
    this.usesHostpath = backends.has('hostpath');
    if (this.usesHostpath) {
      new HostpathStorageClass(this, 'Hostpath', {
        name: storageClassNameFor(c, 'hostpath'),
        hostDirectory: c.storage.hostDirectory,
        reclaimPolicy,
        usePvDirParameter: c.storage.method === 'storageClass',
      });
      if (c.storage.method === 'provisionerPatch') {
        new HostpathProvisionerPatch(props.patches, 'HostpathProvisioner', { hostDirectory: c.storage.hostDirectory });
      }
    }
    if (backends.has('nfs')) {
      const nfs = c.storage.nfs;
      if (!nfs) throw new Error('HubStorage: the nfs backend is used but storage.nfs is not set');
      const name = storageClassNameFor(c, 'nfs');
      if (nfs.setup === 'csi-driver-nfs') new NfsStorageClass(this, 'Nfs', { ...nfs, name, reclaimPolicy });
      else new NfsAddonStorageClass(this, 'NfsAddon', { name, gid: NOTEBOOK_GID, mountOptions: nfs.mountOptions, reclaimPolicy });
    }
    if (backends.has('mayastor')) {
      new MayastorStorageClass(this, 'Mayastor', { replicas: mayastorReplicas(c), nodes: c.cluster.nodes.length, name: storageClassNameFor(c, 'mayastor'), reclaimPolicy });
    }
    if (backends.has('cephfs')) {
      new CephfsStorageClass(this, 'Cephfs', { ...(c.storage.cephfs ?? {}), name: storageClassNameFor(c, 'cephfs'), reclaimPolicy });
    }
    const claims = sharedDataClaims(c);
    for (const key of ['datasets', 'teamFolder'] as const) {
      const claim = claims[key];
      const src = c.sharedData[key];
      if (!claim || src?.type !== 'backend') continue;
      this.sharedDataClaims[key] = new SharedDataClaim(this, `SharedData-${key}`, {
        name: claim.name,
        namespace: props.namespace,
        storageClassName: storageClassNameFor(c, claim.backend),
        size: src.size,
        accessMode: supportsReadWriteMany(claim.backend) ? 'ReadWriteMany' : 'ReadWriteOnce',
      }).claimName;
    }
    this.homesClass = storageClassNameFor(c, c.storage.homes);
    this.hubDatabaseClass = storageClassNameFor(c, c.storage.hubDatabase);
    this.dataFacts = {
      homes: dataLocation(c, c.storage.homes),
      hubDatabase: c.hubDatabase.type === 'sqlite' ? dataLocation(c, c.storage.hubDatabase) : 'postgres',
      ...(this.usesHostpath ? { hostDirectory: c.storage.hostDirectory, storageMethod: c.storage.method } : {}),
    };
  }
}

import { Construct } from 'constructs';
import { KubeStorageClass } from '../../imports/k8s';

export interface NfsStorageClassProps {
  /** NFS server host name or IP. */
  readonly server: string;
  /** Exported path on the server. */
  readonly share: string;
  /** StorageClass name. */
  readonly name: string;
  /**
   * Directory of each volume under the share (csi-driver-nfs expands `${pvc.metadata.namespace}`,
   * `${pvc.metadata.name}`, `${pv.metadata.name}`). @default "${pvc.metadata.namespace}-${pvc.metadata.name}"
   */
  readonly subDir?: string;
  /** Octal mode of each new volume directory; "0" leaves it as created. @default "0777" */
  readonly mountPermissions?: string;
  /** @default ["nfsvers=4.1"] */
  readonly mountOptions?: readonly string[];
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * A StorageClass on an existing NFS export through csi-driver-nfs (`nfs.csi.k8s.io`, installed
 * with Helm, README "Storage"). Each volume is a sub-directory of the share; any node can mount
 * it, and it supports ReadWriteMany (shared folders).
 *
 * Parameters as the driver reads them (kubernetes-csi/csi-driver-nfs v4.13.4,
 * pkg/nfs/controllerserver.go CreateVolume, keys compared lower-cased): `server`, `share`,
 * `subDir` (its `${pvc.*}`/`${pv.*}` placeholders need the provisioner's
 * `--extra-create-metadata`, which the chart sets), `mountPermissions` (octal; the controller
 * chmods the new directory, and pkg/nfs/nodeserver.go chmods the mount again when it differs).
 * No allowVolumeExpansion: nothing would enforce the new size on NFS anyway.
 */
export class NfsStorageClass extends Construct {
  static readonly PROVISIONER = 'nfs.csi.k8s.io';
  static readonly DEFAULT_SUB_DIR = '${pvc.metadata.namespace}-${pvc.metadata.name}';
  readonly name: string;

  constructor(scope: Construct, id: string, props: NfsStorageClassProps) {
    super(scope, id);
    if (!props.share.startsWith('/')) throw new Error(`NfsStorageClass: share must be an absolute path, got ${JSON.stringify(props.share)}`);
    const mode = props.mountPermissions ?? '0777';
    if (!/^0[0-7]{0,4}$/.test(mode)) throw new Error(`NfsStorageClass: mountPermissions must be octal such as "0777", got ${JSON.stringify(mode)}`);
    this.name = props.name;
    new KubeStorageClass(this, 'Resource', {
      metadata: { name: this.name },
      provisioner: NfsStorageClass.PROVISIONER,
      parameters: { server: props.server, share: props.share, subDir: props.subDir ?? NfsStorageClass.DEFAULT_SUB_DIR, mountPermissions: mode },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'Immediate',
      mountOptions: [...(props.mountOptions ?? ['nfsvers=4.1'])],
    });
  }
}

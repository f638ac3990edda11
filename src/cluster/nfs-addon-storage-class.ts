import { Construct } from 'constructs';
import { KubeStorageClass } from '../../imports/k8s';

export interface NfsAddonStorageClassProps {
  /** StorageClass name. */
  readonly name: string;
  /** Group that owns each new volume directory (the notebook user's group). @default 100 */
  readonly gid?: number;
  /** @default ["vers=3"] (as the addon's own StorageClass "nfs") */
  readonly mountOptions?: readonly string[];
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * A StorageClass for the MicroK8s `nfs` addon: an nfs-ganesha server running inside the cluster
 * (Helm chart nfs-server-provisioner 1.4.0, image nfs-provisioner v3.0.0, data under
 * /var/snap/microk8s/common/nfs-storage of one node), provisioner `cluster.local/nfs-server-provisioner`.
 * Ours differs from the addon's own class `nfs` in its reclaim policy (Retain) and its `gid`.
 *
 * What the provisioner honours (kubernetes-sigs/nfs-ganesha-server-and-external-provisioner
 * v3.0.0, pkg/volume/provision.go validateOptions/createDirectory): the parameters `gid`
 * ("none" or a non-zero number), `rootSquash` (default false) and `mountOptions`; any other
 * parameter fails provisioning. With `gid` each volume directory is created mode 2071 and chgrp'ed
 * to it (by the provisioner, as root inside its own export), so the notebook user (gid 100) can
 * write without any chown in the user's pod. No allowVolumeExpansion: the in-tree NFS volume
 * the provisioner hands out cannot be resized.
 */
export class NfsAddonStorageClass extends Construct {
  static readonly PROVISIONER = 'cluster.local/nfs-server-provisioner';
  readonly name: string;

  constructor(scope: Construct, id: string, props: NfsAddonStorageClassProps) {
    super(scope, id);
    const gid = props.gid ?? 100;
    if (!Number.isInteger(gid) || gid < 1) throw new Error(`NfsAddonStorageClass: gid must be a positive integer, got ${gid}`);
    this.name = props.name;
    new KubeStorageClass(this, 'Resource', {
      metadata: { name: this.name },
      provisioner: NfsAddonStorageClass.PROVISIONER,
      parameters: { gid: String(gid) },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'Immediate',
      mountOptions: [...(props.mountOptions ?? ['vers=3'])],
    });
  }
}

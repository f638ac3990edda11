import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface CephfsStorageClassProps {
  /** Rook cluster ID (its namespace). @default "rook-ceph" */
  readonly clusterID?: string;
  /** CephFilesystem name. @default "myfs" */
  readonly fsName?: string;
  /** Data pool. @default "myfs-replicated" */
  readonly pool?: string;
  /** StorageClass name. @default "jupyterhub-cephfs" */
  readonly name?: string;
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * CephFS from MicroK8s's `rook-ceph` addon (Rook's CSI driver): replicated and ReadWriteMany,
 * for shared data across nodes. Secrets are Rook's own (created by the operator).
 */
export class CephfsStorageClass extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: CephfsStorageClassProps = {}) {
    super(scope, id);
    const clusterID = props.clusterID ?? 'rook-ceph';
    this.name = props.name ?? 'jupyterhub-cephfs';
    new ApiObject(this, 'Resource', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: this.name },
      provisioner: `${clusterID}.cephfs.csi.ceph.com`,
      parameters: {
        clusterID,
        fsName: props.fsName ?? 'myfs',
        pool: props.pool ?? 'myfs-replicated',
        'csi.storage.k8s.io/provisioner-secret-name': 'rook-csi-cephfs-provisioner',
        'csi.storage.k8s.io/provisioner-secret-namespace': clusterID,
        'csi.storage.k8s.io/controller-expand-secret-name': 'rook-csi-cephfs-provisioner',
        'csi.storage.k8s.io/controller-expand-secret-namespace': clusterID,
        'csi.storage.k8s.io/node-stage-secret-name': 'rook-csi-cephfs-node',
        'csi.storage.k8s.io/node-stage-secret-namespace': clusterID,
      },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: true,
    });
  }
}

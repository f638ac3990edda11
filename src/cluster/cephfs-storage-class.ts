import { Construct } from 'constructs';
import { KubeStorageClass } from '../../imports/k8s';

export interface CephfsStorageClassProps {
  /** StorageClass name. */
  readonly name: string;
  /** Namespace of the Rook operator; names the provisioner. @default "rook-ceph" */
  readonly operatorNamespace?: string;
  /** Namespace of the CephCluster (Rook's clusterID), where the CSI secrets are. @default "rook-ceph" */
  readonly clusterID?: string;
  /** CephFilesystem name. @default "myfs" */
  readonly fsName?: string;
  /** Data pool. @default "myfs-replicated" */
  readonly pool?: string;
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * CephFS through Rook's CSI driver (MicroK8s `rook-ceph` addon: Rook v1.11.9 on MicroK8s
 * 1.28-1.32, v1.16.6 on 1.33, v1.18.x on 1.34-1.35), ReadWriteMany and replicated, for shared data
 * across nodes.
 *
 * The provisioner is named after the operator's namespace, not the cluster's:
 * rook/rook v1.11.9 pkg/operator/ceph/csi/spec.go `CephFSDriverName = "<OperatorNamespace>.cephfs.csi.ceph.com"`
 * (same in v1.16.6 and v1.18.7). `clusterID` and the secret namespace are the CephCluster's
 * namespace (deploy/examples/csi/cephfs/storageclass.yaml), which on the addon's external path
 * (`microk8s connect-external-ceph`) is "rook-ceph-external" while the operator stays in
 * "rook-ceph" (microk8s-core-addons addons/rook-ceph/plugin/.rook-import-external-cluster.sh).
 * The secret names are Rook's (pkg/operator/ceph/csi/secrets.go), the same on both paths.
 */
export class CephfsStorageClass extends Construct {
  static readonly PROVISIONER_SECRET = 'rook-csi-cephfs-provisioner';
  static readonly NODE_SECRET = 'rook-csi-cephfs-node';
  readonly name: string;
  readonly provisioner: string;

  constructor(scope: Construct, id: string, props: CephfsStorageClassProps) {
    super(scope, id);
    const clusterID = props.clusterID ?? 'rook-ceph';
    this.name = props.name;
    this.provisioner = `${props.operatorNamespace ?? 'rook-ceph'}.cephfs.csi.ceph.com`;
    new KubeStorageClass(this, 'Resource', {
      metadata: { name: this.name },
      provisioner: this.provisioner,
      parameters: {
        clusterID,
        fsName: props.fsName ?? 'myfs',
        pool: props.pool ?? 'myfs-replicated',
        'csi.storage.k8s.io/provisioner-secret-name': CephfsStorageClass.PROVISIONER_SECRET,
        'csi.storage.k8s.io/provisioner-secret-namespace': clusterID,
        'csi.storage.k8s.io/controller-expand-secret-name': CephfsStorageClass.PROVISIONER_SECRET,
        'csi.storage.k8s.io/controller-expand-secret-namespace': clusterID,
        'csi.storage.k8s.io/node-stage-secret-name': CephfsStorageClass.NODE_SECRET,
        'csi.storage.k8s.io/node-stage-secret-namespace': clusterID,
      },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: true,
    });
  }
}

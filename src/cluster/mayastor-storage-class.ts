import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface MayastorStorageClassProps {
  /** Copies of each volume across nodes. @default 3 */
  readonly replicas?: number;
  /** StorageClass name. @default "jupyterhub-mayastor" */
  readonly name?: string;
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * Replicated block storage from MicroK8s's `mayastor` addon (OpenEBS Mayastor, NVMe-oF): a
 * volume survives the loss of a node and follows the pod. ReadWriteOnce only.
 */
export class MayastorStorageClass extends Construct {
  readonly name: string;
  static readonly PROVISIONER = 'io.openebs.csi-mayastor';

  constructor(scope: Construct, id: string, props: MayastorStorageClassProps = {}) {
    super(scope, id);
    const replicas = props.replicas ?? 3;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`MayastorStorageClass: replicas must be a positive integer, got ${replicas}`);
    this.name = props.name ?? 'jupyterhub-mayastor';
    new ApiObject(this, 'Resource', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: this.name },
      provisioner: MayastorStorageClass.PROVISIONER,
      parameters: { repl: String(replicas), protocol: 'nvmf', ioTimeout: '60', fsType: 'ext4' },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });
  }
}

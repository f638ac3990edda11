import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface NfsStorageClassProps {
  /** NFS server host name or IP. */
  readonly server: string;
  /** Exported path on the server. */
  readonly share: string;
  /** StorageClass name. @default "jupyterhub-nfs" */
  readonly name?: string;
  /** @default ["nfsvers=4.1"] */
  readonly mountOptions?: readonly string[];
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * A StorageClass on an existing NFS export through csi-driver-nfs (`nfs.csi.k8s.io`), which
 * MicroK8s's `nfs` addon installs. Each volume is a sub-directory of the share; any node can
 * mount it, and it supports ReadWriteMany (shared folders).
 */
export class NfsStorageClass extends Construct {
  readonly name: string;
  static readonly PROVISIONER = 'nfs.csi.k8s.io';

  constructor(scope: Construct, id: string, props: NfsStorageClassProps) {
    super(scope, id);
    if (!props.share.startsWith('/')) throw new Error(`NfsStorageClass: share must be an absolute path, got ${JSON.stringify(props.share)}`);
    this.name = props.name ?? 'jupyterhub-nfs';
    new ApiObject(this, 'Resource', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: this.name },
      provisioner: NfsStorageClass.PROVISIONER,
      parameters: { server: props.server, share: props.share },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'Immediate',
      mountOptions: [...(props.mountOptions ?? ['nfsvers=4.1'])],
    });
  }
}

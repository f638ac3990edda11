import { Construct } from 'constructs';
import { KubeStorageClass } from '../../imports/k8s';

export interface MayastorStorageClassProps {
  /** Copies of each volume, one per node: at most `nodes`. */
  readonly replicas: number;
  /** Nodes of the cluster (the addon creates one pool per node). */
  readonly nodes: number;
  /** StorageClass name. */
  readonly name: string;
  /** @default "Retain" */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
}

/**
 * Replicated block storage from MicroK8s's `mayastor` addon (chart 2.0.0-microk8s-1b, OpenEBS
 * Mayastor 2.0, NVMe-oF): a volume survives the loss of a node and follows the pod.
 * ReadWriteOnce only.
 *
 * Parameters as its CSI driver reads them (openebs/mayastor-control-plane v2.0.0,
 * control-plane/csi-driver/src/context.rs: `repl`, `protocol`, `ioTimeout`, `fsType`). A volume
 * needs one pool per replica and the addon makes one pool per node, so `replicas` may not exceed
 * the nodes. No `allowVolumeExpansion`: that driver does not advertise EXPAND_VOLUME and answers
 * ControllerExpandVolume with "Not implemented" (controller.rs).
 */
export class MayastorStorageClass extends Construct {
  static readonly PROVISIONER = 'io.openebs.csi-mayastor';
  readonly name: string;

  constructor(scope: Construct, id: string, props: MayastorStorageClassProps) {
    super(scope, id);
    const { replicas, nodes } = props;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`MayastorStorageClass: replicas must be a positive integer, got ${replicas}`);
    if (replicas > nodes) throw new Error(`MayastorStorageClass: ${replicas} replicas need ${replicas} nodes with a pool, but there are ${nodes}`);
    this.name = props.name;
    new KubeStorageClass(this, 'Resource', {
      metadata: { name: this.name },
      provisioner: MayastorStorageClass.PROVISIONER,
      parameters: { repl: String(replicas), protocol: 'nvmf', ioTimeout: '60', fsType: 'ext4' },
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  }
}

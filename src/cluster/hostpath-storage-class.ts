import { Construct } from 'constructs';
import { KubeStorageClass } from '../../imports/k8s';

export interface HostpathStorageClassProps {
  /** Host directory the MicroK8s hostpath provisioner creates volumes in (`parameters.pvDir`). */
  readonly hostDirectory: string;
  /** StorageClass name. */
  readonly name: string;
  /**
   * What happens to a volume's data when its PVC is deleted. `Retain` keeps a user's home
   * directory on disk after an accidental PVC delete. @default "Retain"
   */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
  /**
   * Set `parameters.pvDir`. Turn off on MicroK8s older than 1.25, where the addon's provisioner
   * is patched instead (HostpathProvisionerPatch) and the class only sets the reclaim policy.
   * @default true
   */
  readonly usePvDirParameter?: boolean;
}

/**
 * A StorageClass for MicroK8s's `microk8s.io/hostpath` provisioner that places volumes under a
 * chosen directory (a dedicated disk), instead of the addon's default
 * `/var/snap/microk8s/common/default-storage`. Needs the hostpath-storage addon of MicroK8s 1.25
 * or newer (provisioner image cdkbot/hostpath-provisioner 1.4.2 on 1.25-1.28, 1.5.0 on 1.29-1.33,
 * 1.6.0 on 1.34-1.35): `pvDir` is read from 1.4.0 and handled right from 1.4.1 (1.4.0 had kubelet
 * create the directory as root 0755). Older provisioners ignore it: use `HostpathProvisionerPatch`.
 * Each volume is the directory `<pvDir>/<namespace>-<pvc name>-<pv name>` (canonical/hostpath-provisioner
 * v1.4.2 hostpath-provisioner.go Provision: path.Join(pvDir, "%s-%s-%s" of namespace, PVC, PV name)).
 *
 * `WaitForFirstConsumer` makes the volume land on the node the pod is scheduled to.
 */
export class HostpathStorageClass extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: HostpathStorageClassProps) {
    super(scope, id);
    if (!props.hostDirectory.startsWith('/')) {
      throw new Error(`HostpathStorageClass: hostDirectory must be absolute, got ${JSON.stringify(props.hostDirectory)}`);
    }
    this.name = props.name;
    new KubeStorageClass(this, 'Resource', {
      metadata: { name: this.name },
      provisioner: 'microk8s.io/hostpath',
      ...(props.usePvDirParameter ?? true ? { parameters: { pvDir: props.hostDirectory } } : {}),
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  }
}

import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface HostpathProvisionerPatchProps {
  /** Host directory where every hostpath volume will be created from now on. */
  readonly hostDirectory: string;
}

/**
 * For MicroK8s older than 1.25, whose hostpath provisioner ignores a StorageClass's `pvDir`:
 * a strategic-merge patch for the addon's own `kube-system/hostpath-provisioner` Deployment that
 * points `PV_DIR`, the `pv-volume` hostPath and its mountPath at the chosen directory.
 *
 * It is written to dist/patches/ (which `kubectl apply -f dist/` does not read, as it does not
 * recurse) and applied by `npm run deploy` with `kubectl patch`: it merges into the addon's
 * Deployment by container and volume name and never replaces the Deployment wholesale.
 * Note that it moves the default location for every hostpath volume on the machine.
 */
export class HostpathProvisionerPatch extends Construct {
  static readonly NAMESPACE = 'kube-system';
  static readonly DEPLOYMENT = 'hostpath-provisioner';

  constructor(scope: Construct, id: string, props: HostpathProvisionerPatchProps) {
    super(scope, id);
    const dir = props.hostDirectory;
    // A plain ApiObject, not a typed KubeDeployment: a strategic-merge patch is a partial
    // Deployment (no selector, no image), which the typed props rightly refuse.
    new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: HostpathProvisionerPatch.DEPLOYMENT, namespace: HostpathProvisionerPatch.NAMESPACE },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'hostpath-provisioner',
                env: [{ name: 'PV_DIR', value: dir }],
                volumeMounts: [{ name: 'pv-volume', mountPath: dir }],
              },
            ],
            volumes: [{ name: 'pv-volume', hostPath: { path: dir } }],
          },
        },
      },
    });
  }
}

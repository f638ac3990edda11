import { Construct } from 'constructs';
import { KubePersistentVolumeClaim, Quantity } from '../../imports/k8s';

export interface SharedDataClaimProps {
  readonly name: string;
  readonly namespace: string;
  readonly storageClassName: string;
  /** e.g. "100Gi". */
  readonly size: string;
  /** ReadWriteMany when several nodes mount it. */
  readonly accessMode: 'ReadWriteOnce' | 'ReadWriteMany';
}

/**
 * A PersistentVolumeClaim for shared data (datasets or the team folder) on a storage backend.
 * `npm run deploy` never prunes PVCs, and its StorageClass retains the data, so nothing we do
 * deletes it.
 */
export class SharedDataClaim extends Construct {
  readonly claimName: string;

  constructor(scope: Construct, id: string, props: SharedDataClaimProps) {
    super(scope, id);
    this.claimName = props.name;
    new KubePersistentVolumeClaim(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace },
      spec: {
        accessModes: [props.accessMode],
        storageClassName: props.storageClassName,
        resources: { requests: { storage: Quantity.fromString(props.size) } },
      },
    });
  }
}

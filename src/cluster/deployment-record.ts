import { Construct } from 'constructs';
import { KubeConfigMap } from '../../imports/k8s';

export interface DeploymentRecordProps {
  readonly namespace: string;
  /** Facts whose change moves or orphans user data (storage class, host directory, ...). */
  readonly facts: Readonly<Record<string, string>>;
}

import { DEPLOYMENT_RECORD_NAME } from './labels';

export { DEPLOYMENT_RECORD_NAME };

/**
 * A ConfigMap recording the storage facts of this deployment. It sits in dist/ and in the
 * cluster, so a later synth (or a reviewer reading the diff) sees when a change would put new
 * home volumes somewhere else than the existing ones.
 */
export class DeploymentRecord extends Construct {
  constructor(scope: Construct, id: string, props: DeploymentRecordProps) {
    super(scope, id);
    new KubeConfigMap(this, 'Resource', {
      metadata: { name: DEPLOYMENT_RECORD_NAME, namespace: props.namespace },
      data: { ...props.facts },
    });
  }
}

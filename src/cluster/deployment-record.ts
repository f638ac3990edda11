import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface DeploymentRecordProps {
  readonly namespace: string;
  /** Facts whose change moves or orphans user data (storage class, host directory, ...). */
  readonly facts: Record<string, string>;
}

export const DEPLOYMENT_RECORD_NAME = 'microk8s-jupyterhub-state';

/**
 * A ConfigMap recording the storage facts of this deployment. It sits in dist/ and in the
 * cluster, so a later synth (or a reviewer reading the diff) sees when a change would put new
 * home volumes somewhere else than the existing ones.
 */
export class DeploymentRecord extends Construct {
  constructor(scope: Construct, id: string, props: DeploymentRecordProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: DEPLOYMENT_RECORD_NAME, namespace: props.namespace },
      data: { ...props.facts },
    });
  }
}

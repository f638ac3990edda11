import { Construct } from 'constructs';
import { KubeNamespace } from '../../imports/k8s';

export interface HubNamespaceProps {
  /** Namespace name. @default "jupyterhub" */
  readonly name?: string;
}

/**
 * The namespace the hub, the proxy and every user server run in. `npm run deploy` never prunes
 * it: deleting a namespace deletes the PersistentVolumeClaims of every home directory in it.
 */
export class HubNamespace extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: HubNamespaceProps = {}) {
    super(scope, id);
    this.name = props.name ?? 'jupyterhub';
    new KubeNamespace(this, 'Resource', { metadata: { name: this.name } });
  }
}

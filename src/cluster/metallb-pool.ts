import { Construct } from 'constructs';
import { IpAddressPool, L2Advertisement } from '../../imports/metallb.io';
import { hubIpProblem, parseAddressPool } from '../config/network';
import { metallbServiceAnnotations, poolNameOf } from './microk8s-release';

export interface MetalLbPoolProps {
  /** Addresses MetalLB may hand out: "a.b.c.d-e.f.g.h" or a CIDR. */
  readonly addresses: string;
  /** The address the hub's LoadBalancer Service is pinned to; must lie inside `addresses`. */
  readonly hubIP: string;
  /** Namespace of the hub this pool serves; names the pool unless `name` is given. */
  readonly hubNamespace: string;
  /**
   * Name of the pool and of its L2Advertisement. They live in `metallb-system`, which every hub
   * on the cluster shares. @default - `hubNamespace`, so two hubs never share (or overwrite) a pool
   */
  readonly name?: string;
  /** Namespace MicroK8s's metallb addon runs in. @default "metallb-system" */
  readonly namespace?: string;
  /** MicroK8s release targeted (selects the annotation names). @default - every supported release */
  readonly microk8sRelease?: string;
}

export { poolNameOf };

/**
 * A MetalLB `IPAddressPool` and the `L2Advertisement` that announces it on the LAN (layer 2 mode,
 * as MicroK8s's metallb addon sets up). The pool does not auto-assign: only Services that ask
 * for one of its addresses (the hub) get one.
 */
export class MetalLbPool extends Construct {
  readonly name: string;
  /**
   * Annotations that pin a Service to `hubIP` in this pool: the only way the Service asks for its
   * IP (never also `spec.loadBalancerIP`, which every MetalLB refuses together with them).
   */
  readonly serviceAnnotations: Record<string, string>;

  constructor(scope: Construct, id: string, props: MetalLbPoolProps) {
    super(scope, id);
    const pool = parseAddressPool(props.addresses);
    if (!pool) throw new Error(`MetalLbPool: ${JSON.stringify(props.addresses)} is not an IPv4 range or CIDR`);
    const problem = hubIpProblem(props.hubIP, pool);
    if (problem) throw new Error(`MetalLbPool: hub IP ${props.hubIP} ${problem}`);
    this.name = props.name ?? props.hubNamespace;
    const namespace = props.namespace ?? 'metallb-system';
    new IpAddressPool(this, 'Pool', {
      metadata: { name: this.name, namespace },
      spec: { addresses: [pool.text], autoAssign: false },
    });
    new L2Advertisement(this, 'L2', {
      metadata: { name: this.name, namespace },
      spec: { ipAddressPools: [this.name] },
    });
    this.serviceAnnotations = metallbServiceAnnotations(props.microk8sRelease, this.name, props.hubIP);
  }
}

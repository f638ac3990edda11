import { Construct } from 'constructs';
import { KubeSecret } from '../../imports/k8s';

export interface TlsSecretProps {
  /** Secret name; z2jh's `proxy.https.secret.name` points at it. */
  readonly name: string;
  readonly namespace: string;
  /** PEM certificate chain, leaf first. */
  readonly certPem: string;
  /** PEM private key. */
  readonly keyPem: string;
}

/** A `kubernetes.io/tls` Secret built from PEM files read at synth time; z2jh's proxy serves it. */
export class TlsSecret extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: TlsSecretProps) {
    super(scope, id);
    this.name = props.name;
    new KubeSecret(this, 'Resource', {
      type: 'kubernetes.io/tls',
      metadata: { name: props.name, namespace: props.namespace },
      data: {
        'tls.crt': Buffer.from(props.certPem).toString('base64'),
        'tls.key': Buffer.from(props.keyPem).toString('base64'),
      },
    });
  }
}

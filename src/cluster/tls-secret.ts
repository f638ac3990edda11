import { Construct } from 'constructs';
import { tlsRestartAnnotations } from '../hub/restart-annotations';
import { KubeSecret } from '../../imports/k8s';

export interface TlsSecretProps {
  /** Secret name; z2jh's `proxy.https.secret.name` points at it. */
  readonly name: string;
  readonly namespace: string;
  /** PEM certificate chain, leaf first. */
  readonly certPem: string;
  /** PEM private key. */
  readonly keyPem: string;
  /** Key of the restart fingerprint (see hub/restart-annotations.ts). @default - no fingerprint */
  readonly fingerprintKey?: string;
}

/** A `kubernetes.io/tls` Secret built from PEM files read at synth time; z2jh's proxy serves it. */
export class TlsSecret extends Construct {
  readonly name: string;
  /**
   * Annotations for the proxy pod: configurable-http-proxy reads the certificate once at start
   * (`--ssl-cert`/`--ssl-key`), so a renewed certificate must restart it. Keyed, so the committed
   * Deployment says nothing about the key.
   */
  readonly proxyPodAnnotations: Record<string, string>;

  constructor(scope: Construct, id: string, props: TlsSecretProps) {
    super(scope, id);
    this.name = props.name;
    this.proxyPodAnnotations = tlsRestartAnnotations(props.fingerprintKey, props.certPem, props.keyPem);
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

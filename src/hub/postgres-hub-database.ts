import { Construct } from 'constructs';
import { hubDatabaseRestartAnnotations } from './restart-annotations';
import { HUB_DATABASE_SECRET } from './values';
import { KubeSecret } from '../../imports/k8s';

export interface PostgresHubDatabaseProps {
  readonly namespace: string;
  /** The password (from env HUB_DB_PASSWORD or the local secret store; never config). */
  readonly password: string;
  /** Key of the restart fingerprint (see restart-annotations.ts). @default - no fingerprint */
  readonly fingerprintKey?: string;
  /** Secret name. @default "hub-db-password" */
  readonly secretName?: string;
}

/**
 * The hub's PostgreSQL password, in its own Secret. The hub reads it as `PGPASSWORD` (libpq's
 * variable) through `hub.extraEnv`, so it never sits in Helm values or in `hub.db.url`.
 */
export class PostgresHubDatabase extends Construct {
  readonly secretName: string;
  /** Hub pod annotations: the hub reads PGPASSWORD at start, so a new password must restart it. */
  readonly hubPodAnnotations: Record<string, string>;

  constructor(scope: Construct, id: string, props: PostgresHubDatabaseProps) {
    super(scope, id);
    this.secretName = props.secretName ?? HUB_DATABASE_SECRET;
    this.hubPodAnnotations = hubDatabaseRestartAnnotations(props.fingerprintKey, props.password);
    new KubeSecret(this, 'Password', {
      type: 'Opaque',
      metadata: { name: this.secretName, namespace: props.namespace },
      data: { password: Buffer.from(props.password).toString('base64') },
    });
  }
}

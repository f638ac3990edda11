import { Construct } from 'constructs';
import { KubeSecret } from '../../imports/k8s';

export interface PostgresHubDatabaseProps {
  readonly namespace: string;
  /** The password (from env HUB_DB_PASSWORD or the local secret store; never config). */
  readonly password: string;
  /** Secret name. @default "hub-db-password" */
  readonly secretName?: string;
}

/**
 * The hub's PostgreSQL password, in its own Secret. The hub reads it as `PGPASSWORD` (libpq's
 * variable) through `hub.extraEnv`, so it never sits in Helm values or in `hub.db.url`.
 */
export class PostgresHubDatabase extends Construct {
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: PostgresHubDatabaseProps) {
    super(scope, id);
    this.secretName = props.secretName ?? 'hub-db-password';
    new KubeSecret(this, 'Password', {
      type: 'Opaque',
      metadata: { name: this.secretName, namespace: props.namespace },
      data: { password: Buffer.from(props.password).toString('base64') },
    });
  }
}

import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Auth0Config } from '../config/schema';

export interface Auth0AuthenticatorProps {
  readonly auth0: Auth0Config;
  /** Public base URL of the hub, e.g. "https://hub.example.org"; the callback URL derives from it. */
  readonly hubUrl: string;
  /** Namespace of the hub (the Secret lives there). */
  readonly namespace: string;
  /** The Auth0 application's client secret (from env or the local secret store, never config). */
  readonly clientSecret: string;
  /** Name of the Secret holding the client secret. @default "auth0-client" */
  readonly secretName?: string;
}

/** The env var OAuthenticator reads its client secret from. */
export const CLIENT_SECRET_ENV = 'OAUTH_CLIENT_SECRET';

/** `https://DOMAIN/hub/oauth_callback`: derived, never typed twice. */
export function oauthCallbackUrl(hubUrl: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/hub/oauth_callback`;
}

/**
 * Auth0 login through OAuthenticator's `Auth0OAuthenticator` (`authenticator_class: auth0`).
 * The client secret goes into its own Secret and reaches the hub as `OAUTH_CLIENT_SECRET` via
 * `hub.extraEnv`, so it is never in Helm values (which the chart copies into its `hub` Secret
 * and which we validate and diff).
 */
export class Auth0Authenticator extends Construct {
  readonly secretName: string;
  /** `hub.config` entries for the z2jh chart. */
  readonly hubConfig: Record<string, unknown>;
  /** `hub.extraEnv` entries for the z2jh chart. */
  readonly hubExtraEnv: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: Auth0AuthenticatorProps) {
    super(scope, id);
    const a = props.auth0;
    if (!a.allowAll && a.allowedUsers.length === 0 && a.adminUsers.length === 0) {
      throw new Error('Auth0Authenticator: choose who may log in (allowedUsers, adminUsers, or allowAll)');
    }
    this.secretName = props.secretName ?? 'auth0-client';
    new ApiObject(this, 'ClientSecret', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: this.secretName, namespace: props.namespace },
      data: { 'client-secret': Buffer.from(props.clientSecret).toString('base64') },
    });
    const auth0: Record<string, unknown> = {
      client_id: a.clientId,
      oauth_callback_url: oauthCallbackUrl(props.hubUrl),
      auth0_domain: a.domain,
      scope: [...a.scopes],
      username_claim: a.usernameClaim,
      allow_all: a.allowAll,
    };
    if (a.allowedUsers.length > 0) auth0.allowed_users = [...a.allowedUsers].sort();
    if (a.adminUsers.length > 0) auth0.admin_users = [...a.adminUsers].sort();
    this.hubConfig = {
      JupyterHub: { authenticator_class: 'auth0' },
      Auth0OAuthenticator: auth0,
    };
    this.hubExtraEnv = {
      [CLIENT_SECRET_ENV]: { valueFrom: { secretKeyRef: { name: this.secretName, key: 'client-secret' } } },
    };
  }
}

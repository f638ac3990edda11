import { Construct } from 'constructs';
import { KubeConfigMap, KubeSecret } from '../../imports/k8s';
import { ALLOWLIST_CONFIGMAP, ALLOWLIST_KEY, Auth0HubSettings, auth0HubSettings, Auth0SettingsProps } from './auth0-settings';

export * from './auth0-settings';

export type Auth0AuthenticatorProps = Auth0SettingsProps;

/**
 * Auth0 login through OAuthenticator's `Auth0OAuthenticator`, subclassed in hub.extraConfig (see
 * authenticatorPython). The client secret goes into its own Secret and reaches the hub as
 * `OAUTH_CLIENT_SECRET` via `hub.extraEnv`, so it is never in Helm values (which the chart copies
 * into its `hub` Secret and which we validate and diff). The allowlist is a ConfigMap the hub
 * mounts. What the hub is given is computed by auth0HubSettings (auth0-settings.ts).
 */
export class Auth0Authenticator extends Construct {
  readonly secretName: string;
  /** `hub.config` entries for the z2jh chart. */
  readonly hubConfig: Auth0HubSettings['hubConfig'];
  /** `hub.extraEnv` entries for the z2jh chart. */
  readonly hubExtraEnv: Auth0HubSettings['hubExtraEnv'];
  /** `hub.loadRoles` entries (the admin role). */
  readonly loadRoles: Auth0HubSettings['loadRoles'];
  /** `hub.extraVolumes`, `extraVolumeMounts`, `extraConfig` and pod `annotations` for the allowlist. */
  readonly hubExtras: Auth0HubSettings['hubExtras'];

  constructor(scope: Construct, id: string, props: Auth0AuthenticatorProps) {
    super(scope, id);
    const s = auth0HubSettings(props);
    this.secretName = s.secretName;
    this.hubConfig = s.hubConfig;
    this.hubExtraEnv = s.hubExtraEnv;
    this.loadRoles = s.loadRoles;
    this.hubExtras = s.hubExtras;
    new KubeSecret(this, 'ClientSecret', {
      type: 'Opaque',
      metadata: { name: this.secretName, namespace: props.namespace },
      data: { 'client-secret': Buffer.from(props.clientSecret).toString('base64') },
    });
    new KubeConfigMap(this, 'Allowlist', {
      metadata: { name: ALLOWLIST_CONFIGMAP, namespace: props.namespace },
      data: { [ALLOWLIST_KEY]: s.allowlistText },
    });
  }
}

import { createHash } from 'node:crypto';
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

export const ALLOWLIST_CONFIGMAP = 'auth0-allowlist';
export const ALLOWLIST_KEY = 'allowed_users';
const ALLOWLIST_DIR = '/usr/local/etc/jupyterhub/auth0-allowlist';

/**
 * hub.extraConfig: sets `allowed_users` from the mounted ConfigMap, one user per line. A missing
 * file gives an empty set (fail closed: only admins, or everyone with allow_all).
 */
export function allowlistPython(): string {
  return [
    '# microk8s-jupyterhub: the Auth0 allowlist comes from ConfigMap auth0-allowlist (one user per line).',
    'import pathlib',
    `_allowlist = pathlib.Path("${ALLOWLIST_DIR}/${ALLOWLIST_KEY}")`,
    'c.Auth0OAuthenticator.allowed_users = (',
    '    {u.strip() for u in _allowlist.read_text().splitlines() if u.strip()} if _allowlist.exists() else set()',
    ')',
    '',
  ].join('\n');
}

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
  /** `hub.extraVolumes`, `extraVolumeMounts`, `extraConfig` and pod `annotations` for the allowlist. */
  readonly hubExtras: {
    readonly extraVolumes: Record<string, unknown>[];
    readonly extraVolumeMounts: Record<string, unknown>[];
    readonly extraConfig: Record<string, string>;
    readonly annotations: Record<string, string>;
  };

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
    if (a.adminUsers.length > 0) auth0.admin_users = [...a.adminUsers].sort();
    // The allowlist goes into its own ConfigMap, not into Helm values: with thousands of users
    // the values (which the chart copies into its hub Secret and hashes) would triple helm's
    // time, and a reviewer sees list changes as plain lines of a committed ConfigMap.
    const allowed = [...new Set(a.allowedUsers)].sort();
    const allowlistText = allowed.map((u) => `${u}\n`).join('');
    new ApiObject(this, 'Allowlist', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ALLOWLIST_CONFIGMAP, namespace: props.namespace },
      data: { [ALLOWLIST_KEY]: allowlistText },
    });
    this.hubConfig = {
      JupyterHub: { authenticator_class: 'auth0' },
      Auth0OAuthenticator: auth0,
    };
    this.hubExtras = {
      extraVolumes: [{ name: ALLOWLIST_CONFIGMAP, configMap: { name: ALLOWLIST_CONFIGMAP } }],
      extraVolumeMounts: [{ name: ALLOWLIST_CONFIGMAP, mountPath: ALLOWLIST_DIR, readOnly: true }],
      extraConfig: { '10-auth0-allowlist': allowlistPython() },
      // The hub reads the list at start: a changed list must restart it.
      annotations: { 'microk8s-jupyterhub/allowlist-sha256': createHash('sha256').update(allowlistText).digest('hex') },
    };
    this.hubExtraEnv = {
      [CLIENT_SECRET_ENV]: { valueFrom: { secretKeyRef: { name: this.secretName, key: 'client-secret' } } },
    };
  }
}

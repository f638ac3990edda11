/**
 * What Auth0 login needs from the hub, as plain values (no cdk8s here, so synth can compute the
 * chart values before it loads cdk8s): OAuthenticator's settings, our authenticator subclass,
 * the admin roles, the allowlist. The Auth0Authenticator construct (auth0-authenticator.ts)
 * turns them into objects; src/hub/values.ts puts them into the z2jh values.
 */
import { createHash } from 'node:crypto';
import type { Auth0Config } from '../config/schema';
import { RESTART_ANNOTATIONS, secretFingerprint } from './restart-annotations';

export interface Auth0SettingsProps {
  readonly auth0: Auth0Config;
  /** Public base URL of the hub, e.g. "https://hub.example.org"; the callback URL derives from it. */
  readonly hubUrl: string;
  /** Namespace of the hub (the Secret lives there). */
  readonly namespace: string;
  /** The Auth0 application's client secret (from env or the local secret store, never config). */
  readonly clientSecret: string;
  /** Key of the restart fingerprints (see restart-annotations.ts): the hub's cookie secret. */
  readonly fingerprintKey: string;
  /** Name of the Secret holding the client secret. @default "auth0-client" */
  readonly secretName?: string;
}

/** The env var OAuthenticator reads its client secret from. */
export const CLIENT_SECRET_ENV = 'OAUTH_CLIENT_SECRET';

export const ALLOWLIST_CONFIGMAP = 'auth0-allowlist';
export const ALLOWLIST_KEY = 'allowed_users';
const ALLOWLIST_DIR = '/usr/local/etc/jupyterhub/auth0-allowlist';

/** Class name of our Auth0OAuthenticator subclass (defined in hub.extraConfig). */
export const AUTHENTICATOR_CLASS = 'MicroK8sAuth0Authenticator';

/**
 * Seconds between checks of a logged-in user against the lists (JupyterHub `auth_refresh_age`,
 * 300 by default). A deploy that changes the lists restarts the hub, and JupyterHub 4.0.2 refreshes
 * every user at their first request after a restart (`User._auth_refreshed` starts as None,
 * handlers/base.py `refresh_auth`), so this only bounds changes made inside the running hub
 * (an admin flag set in the admin panel is put back to the config's within a minute).
 */
export const AUTH_REFRESH_SECONDS = 60;

export interface LoginRules {
  /** Admins, as written in the config. */
  readonly adminUsers: readonly string[];
  readonly requireVerifiedEmail: boolean;
  /**
   * Whether listed admins get JupyterHub's admin flag (its `admin` role). False when they hold the
   * restricted `hub-admin` role instead (see adminRoles).
   */
  readonly adminFlag: boolean;
}

/** Python string literal holding a JSON value (JSON string escapes are valid Python escapes). */
const py = (v: unknown) => JSON.stringify(v);

/**
 * hub.extraConfig: our Auth0OAuthenticator subclass, which makes the config the only source of
 * who may log in and who is admin, checked at login and at every refresh:
 *
 * - the allowlist comes from the mounted ConfigMap (one user per line; a missing file is an empty
 *   list: fail closed). Checks use that list, not `allowed_users`, which JupyterHub's
 *   `add_user` may grow with every user in its database at start (jupyterhub 4.0.2 auth.py; in
 *   OAuthenticator 16.1.0 only with `allow_existing_users`, oauth2.py `add_user`);
 * - `refresh_user` returns False for a user no longer listed (JupyterHub 4.0.2 `refresh_auth` then
 *   treats the request as logged out) and returns the admin flag from the list;
 * - at login `admin` is True or False from the list, never None (OAuthenticator 16.1.0 sends None
 *   for anyone not in `admin_users`, which keeps a stale flag, oauth2.py `authenticate`);
 * - with `require_verified_email`, a login whose Auth0 userinfo lacks `email_verified: true` is
 *   refused (only OAuthenticator's Google class checks it; Auth0's does not).
 */
export function authenticatorPython(r: LoginRules): string {
  return [
    '# microk8s-jupyterhub: who may log in. See README "How people get in and out".',
    'import pathlib',
    'from oauthenticator.auth0 import Auth0OAuthenticator',
    '',
    `_allowlist = pathlib.Path("${ALLOWLIST_DIR}/${ALLOWLIST_KEY}")`,
    '_ALLOWED = frozenset(',
    '    u.strip() for u in _allowlist.read_text().splitlines() if u.strip()',
    ') if _allowlist.exists() else frozenset()',
    `_ADMINS = frozenset(${py([...r.adminUsers].sort())})`,
    `_REQUIRE_VERIFIED_EMAIL = ${r.requireVerifiedEmail ? 'True' : 'False'}`,
    '# Whether listed admins hold the admin flag (JupyterHub\'s admin role), or only the hub-admin role.',
    `_ADMIN_FLAG = ${r.adminFlag ? 'True' : 'False'}`,
    '',
    '',
    `class ${AUTHENTICATOR_CLASS}(Auth0OAuthenticator):`,
    '    """Auth0 login where the deployed lists alone decide who is in and who is admin."""',
    '',
    '    def _listed(self, names):',
    '        return {self.normalize_username(n) for n in names}',
    '',
    '    def is_listed_admin(self, name):',
    '        return self.normalize_username(name) in self._listed(_ADMINS)',
    '',
    '    def admin_flag(self, name):',
    '        return _ADMIN_FLAG and self.is_listed_admin(name)',
    '',
    '    def is_listed(self, name):',
    '        name = self.normalize_username(name)',
    '        return self.allow_all or name in self._listed(_ADMINS) or name in self._listed(_ALLOWED)',
    '',
    '    async def update_auth_model(self, auth_model):',
    '        auth_model = await super().update_auth_model(auth_model)',
    '        auth_model["admin"] = self.admin_flag(auth_model["name"])',
    '        return auth_model',
    '',
    '    async def check_allowed(self, username, auth_model):',
    '        if auth_model is None:',
    '            # JupyterHub 4 asks this at start for names in load_roles (oauthenticator#621).',
    '            return True',
    '        if _REQUIRE_VERIFIED_EMAIL:',
    '            info = (auth_model.get("auth_state") or {}).get(self.user_auth_state_key) or {}',
    '            if info.get("email_verified") is not True:',
    '                self.log.info("Refusing %s: Auth0 does not report a verified email address", username)',
    '                return False',
    '        return self.is_listed(username)',
    '',
    '    async def refresh_user(self, user, handler=None):',
    '        if not self.is_listed(user.name):',
    '            self.log.info("%s is no longer on the allowlist: treated as logged out", user.name)',
    '            return False',
    '        admin = self.admin_flag(user.name)',
    '        if bool(user.admin) != admin:',
    '            return {"name": user.name, "admin": admin}',
    '        return True',
    '',
    '',
    `c.JupyterHub.authenticator_class = ${AUTHENTICATOR_CLASS}`,
    '# Users in the list get a database entry and the user role at start.',
    'c.Auth0OAuthenticator.allowed_users = set(_ALLOWED)',
    '',
  ].join('\n');
}

/** Where Auth0 sends people back after logging out: register it as an "Allowed Logout URL". */
export function logoutReturnUrl(hubUrl: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/hub/login`;
}

/**
 * Auth0's logout endpoint, ending the Auth0 session too (so the next person at a shared computer
 * is asked for a password), then back to the hub. Auth0 only follows `returnTo` when it is one of
 * the application's Allowed Logout URLs, looked up by `client_id` (auth0.com/docs/api/authentication,
 * "Auth0 Logout"; without client_id it checks the tenant's list). OAuthenticator 16.1.0 adds
 * neither (auth0.py `_logout_redirect_url_default`; upstream jupyterhub/oauthenticator#722).
 */
export function auth0LogoutUrl(auth0Domain: string, clientId: string, hubUrl: string): string {
  const q = new URLSearchParams({ client_id: clientId, returnTo: logoutReturnUrl(hubUrl) });
  return `https://${auth0Domain}/v2/logout?${q.toString()}`;
}

/** JupyterHub's default admin role scopes (jupyterhub 4.0.2 roles.py `get_default_roles`). */
export const DEFAULT_ADMIN_SCOPES = [
  'admin-ui', 'admin:users', 'admin:servers', 'tokens', 'admin:groups', 'list:services', 'read:services',
  'read:hub', 'proxy', 'shutdown', 'access:services', 'access:servers', 'read:roles', 'read:metrics',
] as const;

/**
 * Scopes that let an admin into someone else's server: `access:servers` opens it; `tokens` would
 * let an admin make an API token for the user and get in with it (jupyterhub 4.0.2 scopes.py).
 */
export const SERVER_ACCESS_SCOPES = ['access:servers', 'tokens'] as const;

/** Our restricted admin role, used instead of JupyterHub's `admin` role when admins may not open servers. */
export const HUB_ADMIN_ROLE = 'hub-admin';

/**
 * z2jh `hub.loadRoles`: who holds admin powers, as static member lists. JupyterHub 4.0.2 (app.py
 * `init_role_assignment`) makes the membership of a role listed with `users` exactly that list at
 * every start, and clears the admin flag of anyone no longer in the `admin` role.
 *
 * JupyterHub 4.0.2 refuses to change the scopes of its `admin` role (roles.py `create_role`:
 * "Cannot override admin role"), so admins that may not open servers get a role of their own,
 * `hub-admin`, with the admin scopes minus SERVER_ACCESS_SCOPES, and the `admin` role is left empty.
 */
export function adminRoles(adminUsers: readonly string[], canAccessServers: boolean): Record<string, Record<string, unknown>> {
  const users = [...new Set(adminUsers)].sort();
  if (canAccessServers) return { admin: { users } };
  return {
    admin: { users: [] },
    [HUB_ADMIN_ROLE]: {
      description: 'Admins from auth0.adminUsers: manage users and servers, but not open them',
      scopes: DEFAULT_ADMIN_SCOPES.filter((s) => !(SERVER_ACCESS_SCOPES as readonly string[]).includes(s)),
      users,
    },
  };
}

/** `https://DOMAIN/hub/oauth_callback`: derived, never typed twice. */
export function oauthCallbackUrl(hubUrl: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/hub/oauth_callback`;
}

/** Whether a verified email is required: the config's choice, else on when the user name is the email. */
export function requiresVerifiedEmail(a: Auth0Config): boolean {
  return a.requireVerifiedEmail ?? a.usernameClaim === 'email';
}

/** Everything the hub side of Auth0 login is made of, for the values and the construct. */
export interface Auth0HubSettings {
  /** Name of the Secret holding the client secret. */
  readonly secretName: string;
  /** `hub.config` entries for the z2jh chart. */
  readonly hubConfig: Record<string, unknown>;
  /** `hub.extraEnv` entries for the z2jh chart. */
  readonly hubExtraEnv: Record<string, unknown>;
  /** `hub.loadRoles` entries (the admin role). */
  readonly loadRoles: Record<string, Record<string, unknown>>;
  /** `hub.extraVolumes`, `extraVolumeMounts`, `extraConfig` and pod `annotations` for the allowlist. */
  readonly hubExtras: {
    readonly extraVolumes: Record<string, unknown>[];
    readonly extraVolumeMounts: Record<string, unknown>[];
    readonly extraConfig: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  /** The allowlist ConfigMap's text: one user per line, sorted, without duplicates. */
  readonly allowlistText: string;
}

/** The hub side of Auth0 login for these props (a pure function: the construct and the values share it). */
export function auth0HubSettings(props: Omit<Auth0SettingsProps, 'namespace'>): Auth0HubSettings {
  const a = props.auth0;
  if (!a.allowAll && a.allowedUsers.length === 0 && a.adminUsers.length === 0) {
    throw new Error('Auth0Authenticator: choose who may log in (allowedUsers, adminUsers, or allowAll)');
  }
  const secretName = props.secretName ?? 'auth0-client';
  const auth0: Record<string, unknown> = {
    client_id: a.clientId,
    oauth_callback_url: oauthCallbackUrl(props.hubUrl),
    auth0_domain: a.domain,
    scope: [...a.scopes],
    username_claim: a.usernameClaim,
    allow_all: a.allowAll,
    // OAuthenticator 16.1.0 auth0.py defaults this to https://DOMAIN/v2/logout, without
    // client_id and returnTo: Auth0 then neither brings people back nor checks the URL.
    logout_redirect_url: auth0LogoutUrl(a.domain, a.clientId, props.hubUrl),
    auth_refresh_age: AUTH_REFRESH_SECONDS,
  };
  // Admins are NOT given as admin_users: the admin role below lists them, and JupyterHub 4.0.2
  // warns when both are set (app.py init_role_assignment).
  // The allowlist goes into its own ConfigMap, not into Helm values: with thousands of users
  // the values (which the chart copies into its hub Secret and hashes) would triple helm's
  // time, and a reviewer sees list changes as plain lines of a committed ConfigMap.
  const allowlistText = [...new Set(a.allowedUsers)].sort().map((u) => `${u}\n`).join('');
  return {
    secretName,
    // authenticator_class is set by the extraConfig below (a class defined there).
    hubConfig: { Auth0OAuthenticator: auth0 },
    loadRoles: adminRoles(a.adminUsers, a.adminsCanAccessServers),
    hubExtras: {
      extraVolumes: [{ name: ALLOWLIST_CONFIGMAP, configMap: { name: ALLOWLIST_CONFIGMAP } }],
      extraVolumeMounts: [{ name: ALLOWLIST_CONFIGMAP, mountPath: ALLOWLIST_DIR, readOnly: true }],
      extraConfig: {
        '10-auth0-authenticator': authenticatorPython({ adminUsers: a.adminUsers, requireVerifiedEmail: requiresVerifiedEmail(a), adminFlag: a.adminsCanAccessServers }),
      },
      annotations: {
        // The hub reads the list at start: a changed list must restart it. (The list is no
        // secret: it is in the committed ConfigMap.)
        'microk8s-jupyterhub/allowlist-sha256': createHash('sha256').update(allowlistText).digest('hex'),
        // The client secret reaches the hub as an env var, read at start.
        [RESTART_ANNOTATIONS.auth0ClientSecret]: secretFingerprint(props.fingerprintKey, 'auth0-client-secret', props.clientSecret),
      },
    },
    hubExtraEnv: {
      [CLIENT_SECRET_ENV]: { valueFrom: { secretKeyRef: { name: secretName, key: 'client-secret' } } },
    },
    allowlistText,
  };
}

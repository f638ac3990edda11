/**
 * dist/ as the hub's own code reads it: ../shared/hub-runtime runs jupyterhub 4.0.2,
 * oauthenticator 16.1.0 and kubespawner 6.1.0 (z2jh 3.1.0's hub image pins) on the rendered hub
 * Deployment, ConfigMap and Secrets, builds the authenticator and one KubeSpawner per profile, and
 * reports what they made of them. Here: every example and configs for each login and pod rule.
 * Each user pod and PVC then goes through the real API server (envtest), server-side dry run with
 * strict validation. Skipped with the reason where ../shared is absent; CI runs it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { capacityPlan } from '../src/cluster/capacity';
import { loadConfig } from '../src/config/load';
import { parseQuantity } from '../src/config/quantity';
import type { HubConfig, HubConfigInput } from '../src/config/schema';
import { GPU_NODE_LABEL } from '../src/hub/profiles';
import { placement } from '../src/hub/values';
import { synthesize } from '../src/output/synth';
import { envtestSkipReason, kubectl, kubectlOk, sharedControlPlane } from './support/envtest';
import { hubRuntimeSkipReason, runHubRuntime } from './support/hub-runtime';
import { baseConfig, find, readObjects, ROOT, SENTINELS, synthEnv, TLS_DIR, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-hubrt-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

const runtimeSkip = hubRuntimeSkipReason();
const CHECK_PY = fs.readFileSync(path.join(__dirname, 'support', 'hub-login-check.py'), 'utf8');

/** Who to ask about: [name, email_verified] per login, and the names for the other questions. */
interface LoginQuestions {
  readonly logins: Record<string, [string, boolean | null]>;
  /** Not listed, but in the hub database (removed from the allowlist). */
  readonly removed: string;
  /** Allowlisted, not an admin any more, still flagged admin in the database. */
  readonly demoted: string;
  readonly admin: string;
  readonly user: string;
}

interface Case {
  readonly name: string;
  /** A config object, or an example file. */
  readonly config: HubConfigInput | string;
  readonly questions?: LoginQuestions;
}

function questions(admin: string, user: string, demoted: string): LoginQuestions {
  return {
    logins: {
      verified: [user, true],
      unverified: [user, false],
      'no email_verified claim': [user, null],
      stranger: ['stranger@example.org', true],
      admin: [admin, true],
      'admin, unverified': [admin, false],
    },
    removed: 'removed@example.org',
    demoted,
    admin,
    user,
  };
}

/** Every login and pod rule of issue 11 in one config: Kubernetes memory units, GPUs on one of two nodes. */
function rulesConfig(): HubConfigInput {
  const b = baseConfig();
  return {
    ...b,
    namespace: 'hubrt-rules',
    auth0: { ...b.auth0, allowedUsers: ['analyst1@example.org', 'Former-Admin@Example.org'], adminUsers: ['lead@example.org'] },
    resources: { cpuGuarantee: '250m', cpuLimit: 2, memoryGuarantee: '512Mi', memoryLimit: '1.5Gi' },
    cluster: {
      nodes: [
        { name: 'cpu-node', cpus: 8, memory: '32Gi' },
        { name: 'gpu-node', cpus: 16, memory: '64Gi', gpus: 2 },
      ],
    },
    storage: { homes: 'nfs', hubDatabase: 'nfs', nfs: { setup: 'csi-driver-nfs', server: 'nfs.example.org', share: '/export/hub' } },
    hubDatabase: { type: 'postgres', url: 'postgresql://jupyterhub@db.example.org:5432/jupyterhub' },
    profiles: [
      { preset: 'data-science', default: true },
      { preset: 'deep-learning', memoryGuarantee: '3G', memoryLimit: '6Gi' },
      { preset: 'gpu' },
      { name: 'small', displayName: 'Small', image: { name: 'quay.io/jupyter/base-notebook', tag: '2024-05-27' }, memoryGuarantee: '1G', memoryLimit: '2G' },
    ],
  };
}

/** The opt-outs: admins may open servers, no email verification, TLS from files. */
function optOutConfig(): HubConfigInput {
  const b = baseConfig();
  return {
    ...b,
    namespace: 'hubrt-optout',
    tls: { mode: 'secret', certFile: path.join(TLS_DIR, 'hub.example.org.crt'), keyFile: path.join(TLS_DIR, 'hub.example.org.key') },
    auth0: { ...b.auth0, allowedUsers: ['analyst1@example.org', 'former-admin@example.org'], requireVerifiedEmail: false, adminsCanAccessServers: true },
  };
}

const CASES: Case[] = [
  ...fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ name: `examples/${f}`, config: path.join(ROOT, 'examples', f) })),
  { name: 'login and pod rules', config: rulesConfig(), questions: questions('lead@example.org', 'analyst1@example.org', 'former-admin@example.org') },
  { name: 'opt-outs: admins open servers, no email verification', config: optOutConfig(), questions: questions('lead@example.org', 'analyst1@example.org', 'former-admin@example.org') },
];
// The full example also answers the login questions, with its own users.
(CASES.find((c) => c.name === 'examples/full.yaml') as { questions?: LoginQuestions }).questions = questions('lead@example.org', 'analyst1@example.org', 'analyst2@example.org');

interface Run {
  readonly config: HubConfig;
  readonly dist: string;
  readonly report: any;
}

function runCase(c: Case, index: number): Run {
  const dir = path.join(work, `case-${index}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = typeof c.config === 'string' ? c.config : writeConfig(dir, c.config);
  const env = synthEnv(dir, { HUB_CONFIG: file, HUB_DB_PASSWORD: 'SENTINEL-db-password-4d2e' });
  synthesize({ env });
  const config = loadConfig({ HUB_CONFIG: file }).config;
  let exec: string | undefined;
  if (c.questions) {
    exec = path.join(dir, 'login-check.py');
    // JSON inside a Python string literal: the names reach the script exactly.
    fs.writeFileSync(exec, `import json\nPARAMS = json.loads(${JSON.stringify(JSON.stringify(c.questions))})\n${CHECK_PY}`);
  }
  const report = runHubRuntime(path.join(dir, 'dist'), { exec, out: path.join(dir, 'hub-report.json') });
  return { config, dist: path.join(dir, 'dist'), report };
}

/** What the pod of a profile must hold, from the capacity plan (the numbers `npm run plan` prints). */
function expectedPods(config: HubConfig) {
  const plan = capacityPlan(config);
  const multiNode = config.cluster.nodes.length > 1;
  const users = placement(config).users;
  return new Map(plan.fits.map((f) => {
    const p = f.profile;
    const selector = p.gpus > 0 && multiNode ? { ...(users ?? {}), [GPU_NODE_LABEL]: 'true' } : users;
    return [p.slug, {
      profile: p,
      requests: { cpu: p.cpuGuarantee, memory: p.memoryGuaranteeBytes },
      limits: { cpu: p.cpuLimit, memory: p.memoryLimitBytes, ...(p.gpus > 0 ? { 'nvidia.com/gpu': String(p.gpus) } : {}) },
      nodeSelector: selector && Object.keys(selector).length ? selector : null,
    }] as const;
  }));
}

CASES.forEach((c, index) => {
  describe(`the hub code on ${c.name}`, { skip: runtimeSkip }, () => {
    let run: Run;
    before(() => {
      run = runCase(c, index);
    });

    it('loads with no warning, no exception and no ignored config section', () => {
      const r = run.report;
      assert.deepEqual(r.exceptions, [], 'exceptions (any phase)');
      assert.deepEqual(r.warnings, [], 'log records at WARNING or above (any phase), e.g. "Config option not recognized"');
      assert.deepEqual(r.python_warnings, []);
      assert.deepEqual(r.summary.config_sections_ignored, []);
      for (const p of r.profiles) assert.deepEqual(p.exceptions, [], `profile ${p.profile}`);
      assert.equal(r.redaction_check.startsWith('ok'), true, r.redaction_check);
      assert.equal(JSON.stringify(r).includes(SENTINELS.auth0), false, 'the client secret is never in the report');
    });

    it('builds our Auth0 authenticator with the configured settings and logout through Auth0', () => {
      const a = run.report.summary.authenticator;
      const cfg = run.config;
      const hub = `${cfg.tls.mode === 'none' ? 'http' : 'https'}://${cfg.domain}`;
      assert.equal(run.report.authenticator.class, 'builtins.MicroK8sAuth0Authenticator');
      assert.equal(run.report.authenticator.oauthenticator_version, '16.1.0');
      assert.equal(a.auth0_domain, cfg.auth0.domain);
      assert.equal(a.authorize_url, `https://${cfg.auth0.domain}/authorize`);
      assert.equal(a.oauth_callback_url, `${hub}/hub/oauth_callback`);
      assert.equal(a.client_id, cfg.auth0.clientId);
      assert.equal(a.client_secret_nonempty, true);
      assert.deepEqual(a.scope, cfg.auth0.scopes);
      assert.equal(a.username_claim, cfg.auth0.usernameClaim);
      assert.equal(a.allow_all, cfg.auth0.allowAll);
      assert.deepEqual([...a.allowed_users].sort(), [...new Set(cfg.auth0.allowedUsers.map((u) => u.toLowerCase()))].sort());
      // OAuthenticator 16.1.0 oauth2.py OAuthLogoutHandler redirects to logout_redirect_url; Auth0's
      // /v2/logout ends the Auth0 session and returns to `returnTo` if it is an Allowed Logout URL
      // of the application named by client_id.
      const logout = new URL(run.report.authenticator.after_hub_init_users.logout_redirect_url);
      assert.equal(`${logout.origin}${logout.pathname}`, `https://${cfg.auth0.domain}/v2/logout`);
      assert.equal(logout.searchParams.get('client_id'), cfg.auth0.clientId);
      assert.equal(logout.searchParams.get('returnTo'), `${hub}/hub/login`);
    });

    it('gives every profile exactly the resources the capacity plan counts, its image, volumes and node selector', () => {
      const expected = expectedPods(run.config);
      const profiles = run.report.summary.profiles as any[];
      const byName = new Map(profiles.map((p) => [p.profile, p]));
      assert.deepEqual([...byName.keys()].filter((n) => n !== '(no user_options)').sort(), [...expected.keys()].sort());
      const defaultSlug = [...expected.values()].find((e) => e.profile.default)!.profile.slug;
      for (const [slug, want] of [...expected, ['(no user_options)', expected.get(defaultSlug)!] as const]) {
        const got = byName.get(slug)!;
        assert.deepEqual(got.resources.requests, want.requests, `${slug}: requests (bytes: what the plan divides node memory by)`);
        assert.deepEqual(got.resources.limits, want.limits, `${slug}: limits`);
        assert.equal(got.image, want.profile.image, `${slug}: image`);
        assert.deepEqual(got.nodeSelector, want.nodeSelector, `${slug}: node selector`);
        assert.equal(got.pvc_storage.requests.storage, run.config.storage.userCapacity, `${slug}: home size`);
        assert.ok(got.mounts.some((m: string) => m.startsWith('/home/jovyan <- ')), `${slug}: home mounted`);
        if (run.config.sharedData.datasets) assert.ok(got.mounts.includes(`${run.config.sharedData.datasetsMountPath} <- shared-datasets (ro)`), `${slug}: datasets read-only`);
        if (run.config.sharedData.teamFolder) assert.ok(got.mounts.includes(`${run.config.sharedData.teamFolderMountPath} <- shared-team-folder`), `${slug}: team folder`);
      }
    });

    if (c.name === 'login and pod rules') {
      it('reads Kubernetes memory units as Kubernetes does: 512Mi, 1.5Gi, 3G, 6Gi in bytes', () => {
        // Independent of memoryBytes: the numbers a Kubernetes quantity means.
        const pods = new Map((run.report.summary.profiles as any[]).map((p) => [p.profile, p.resources]));
        assert.deepEqual(pods.get('data-science').requests.memory, 512 * 2 ** 20);
        assert.deepEqual(pods.get('data-science').limits.memory, 1.5 * 2 ** 30);
        assert.deepEqual(pods.get('deep-learning').requests.memory, 3e9);
        assert.deepEqual(pods.get('deep-learning').limits.memory, 6 * 2 ** 30);
        assert.deepEqual(pods.get('small').requests, { cpu: 0.25, memory: 1e9 });
      });
    }

    it('restarts the pods when a secret they read at start changes, without revealing it', () => {
      const objects = readObjects(run.dist);
      const hub = (find(objects, 'Deployment', 'hub')!.object as any).spec.template;
      const ann = hub.metadata.annotations as Record<string, string>;
      assert.match(ann['checksum/auth0-client-secret'], /^[0-9a-f]{64}$/);
      const text = fs.readdirSync(run.dist).filter((f) => !f.endsWith('.secret.yaml') && f.endsWith('.yaml')).map((f) => fs.readFileSync(path.join(run.dist, f), 'utf8')).join('\n');
      for (const s of [SENTINELS.auth0, 'SENTINEL-db-password-4d2e']) assert.equal(text.includes(s), false);
      if (run.config.hubDatabase.type === 'postgres') {
        assert.match(ann['checksum/hub-db-password'], /^[0-9a-f]{64}$/);
        // z2jh 3.1.0 templates/hub/deployment.yaml: --upgrade-db for postgres only with hub.db.upgrade.
        assert.equal(hub.spec.containers[0].args.includes('--upgrade-db'), run.config.hubDatabase.upgradeOnStart);
      }
      if (run.config.tls.mode === 'secret') {
        const proxy = (find(objects, 'Deployment', 'proxy')!.object as any).spec.template.metadata.annotations;
        assert.match(proxy['checksum/tls-certificate'], /^[0-9a-f]{64}$/);
      }
    });

    it('pre-pulls the GPU image only on GPU nodes', () => {
      const objects = readObjects(run.dist);
      const expected = expectedPods(run.config);
      const gpuImages = [...expected.values()].filter((e) => e.profile.gpus > 0).map((e) => e.profile.image);
      const continuous = (find(objects, 'DaemonSet', 'continuous-image-puller')!.object as any).spec.template.spec.initContainers.map((x: any) => x.image);
      for (const e of expected.values()) {
        if (e.profile.gpus === 0) assert.ok(continuous.includes(e.profile.image), `${e.profile.slug} pre-pulled everywhere`);
        else assert.ok(!continuous.includes(e.profile.image), `${e.profile.slug}: no CUDA image on every node`);
      }
      const gpuPuller = find(objects, 'DaemonSet', 'gpu-image-puller')?.object as any;
      if (gpuImages.length === 0) assert.equal(gpuPuller, undefined);
      else {
        assert.deepEqual(gpuPuller.spec.template.spec.nodeSelector, { [GPU_NODE_LABEL]: 'true' });
        assert.deepEqual(gpuPuller.spec.template.spec.initContainers.map((x: any) => x.image), [...new Set(gpuImages)]);
      }
    });

    const envSkip = envtestSkipReason();
    it('user pods and PVCs pass the real API server (server-side dry run, strict validation)', { skip: envSkip }, () => {
      const kubeconfig = sharedControlPlane().kubeconfig;
      const ns = run.config.namespace;
      const objects = readObjects(run.dist).filter((o) => !o.file.startsWith('patches') && !o.object.apiVersion.startsWith('metallb.io/'));
      // What admission needs for real: the namespace, its default ServiceAccount (envtest has no
      // controller to make it) and the PriorityClasses user pods name; the rest of dist/ as a
      // server-side dry run.
      const first = new Set(['Namespace', 'PriorityClass']);
      const nsObj = objects.filter((o) => first.has(o.object.kind)).map((o) => o.object);
      kubectlOk(kubeconfig, ['apply', '-f', '-'], nsObj.map((o) => yaml.dump(o)).join('---\n'));
      if (kubectl(kubeconfig, ['-n', ns, 'get', 'serviceaccount', 'default']).status !== 0) kubectlOk(kubeconfig, ['-n', ns, 'create', 'serviceaccount', 'default']);
      const rest = objects.filter((o) => !first.has(o.object.kind)).map((o) => yaml.dump(o.object)).join('---\n');
      kubectlOk(kubeconfig, ['apply', '--dry-run=server', '--validate=strict', '-f', '-'], rest);
      for (const p of run.report.profiles) {
        for (const kind of ['pod', 'pvc'] as const) {
          const r = kubectl(kubeconfig, ['-n', ns, 'create', '--dry-run=server', '--validate=strict', '-o', 'json', '-f', '-'], JSON.stringify(p[kind]));
          assert.equal(r.status, 0, `${p.profile} ${kind}: ${r.stderr}`);
          if (kind === 'pod') {
            const admitted = JSON.parse(r.stdout);
            const want = expectedPods(run.config).get(p.profile === '(no user_options)' ? [...expectedPods(run.config).values()].find((e) => e.profile.default)!.profile.slug : p.profile)!;
            // The API server keeps the byte count: requests.memory is the plan's number.
            const memory = admitted.spec.containers.find((x: any) => x.name === 'notebook').resources.requests.memory;
            assert.equal(parseQuantity(memory), want.requests.memory, `${p.profile}: memory request as admitted (${memory})`);
          }
        }
      }
    });

    if (c.questions) {
      const q = c.questions;
      it('lets in only verified, listed people; logs out removed users and demotes removed admins', () => {
        const e = run.report.exec;
        const cfg = run.config;
        const verified = cfg.auth0.requireVerifiedEmail ?? cfg.auth0.usernameClaim === 'email';
        assert.equal(e.class, 'MicroK8sAuth0Authenticator');
        assert.equal(e.auth_refresh_age, 60);
        const admins = cfg.auth0.adminsCanAccessServers;
        assert.deepEqual(e.login, {
          verified: { allowed: true, admin: false },
          unverified: { allowed: !verified, admin: false },
          'no email_verified claim': { allowed: !verified, admin: false },
          stranger: { allowed: false, admin: false },
          // The admin flag is JupyterHub's admin role; without server access admins hold hub-admin instead.
          admin: { allowed: true, admin: admins },
          'admin, unverified': { allowed: !verified, admin: admins },
          removed: { allowed: false, admin: false },
        });
        // jupyterhub 4.0.2 handlers/base.py refresh_auth: False => the request counts as logged out;
        // a dict's `admin` is written to the user (auth_to_user).
        assert.equal(e.refresh.removed, false);
        assert.deepEqual(e.refresh.demoted, { name: q.demoted, admin: false });
        assert.equal(e.refresh.user, true);
        assert.equal(e.refresh.admin, true);
        // OAuthenticator 16.1.0 oauth2.py add_user: database users join allowed_users only with allow_existing_users.
        assert.equal(e.removed_in_allowed_users_after_add_user, false);
        // jupyterhub 4.0.2 app.py init_role_assignment with a static admin member list: flag cleared at start.
        assert.equal(e.startup.demoted_admin_flag, false);
        assert.ok(!e.startup.demoted_roles.includes('admin'));
        assert.deepEqual(e.scopes.admin, {
          admin_flag: admins,
          roles: admins ? ['admin', 'user'] : ['hub-admin', 'user'],
          'admin-ui': true,
          'admin:users': true,
          'admin:servers': true,
          'access:servers': admins,
          tokens: admins,
        });
        assert.deepEqual(e.scopes.user, { admin_flag: false, roles: ['user'], 'admin-ui': false, 'admin:users': false, 'admin:servers': false, 'access:servers': false, tokens: false });
      });
    }
  });
});

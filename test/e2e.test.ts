/**
 * End to end, the way a team member meets the hub: open https://hub.example.org, sign in at the
 * Auth0 tenant, come back to the hub, start a server from the spawn page, reach it, stop it; and
 * someone the config does not allow, or whose Auth0 email is unverified, is turned away.
 *
 * Each config below is rendered here (the fixture chart in CI, tls.mode: secret with the
 * certificate in ../shared/e2e/pki) and handed to ../shared/e2e/run-e2e.sh, which runs the real
 * consumers of dist/ on this machine, in a private network namespace: the envtest API server with
 * dist/ applied, JupyterHub 4.0.2 `start()` with the hub Deployment's command, files, env and
 * ServiceAccount, configurable-http-proxy with the proxy Deployment's arguments and TLS Secret, a
 * stand-in Auth0 tenant under the config's tenant name, a stand-in kubelet that runs each user
 * Pod's `jupyterhub-singleuser`, and a scripted browser. We assert on the run's result.json and
 * logs; when an assertion fails, the message carries the run's relevant log lines.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { synthesize } from '../src/output/synth';
import { ROOT, synthEnv, tmpdir } from './helpers';
import { kubectlBinary, SHARED } from './support/envtest';

const E2E_DIR = path.join(SHARED, 'e2e');
const RUN_E2E = path.join(E2E_DIR, 'run-e2e.sh');
const PKI = path.join(E2E_DIR, 'pki');
const DOMAIN = 'hub.example.org'; // the name pki/hub.example.org.chain.crt is issued for
/** run-e2e.sh's bound on one run (E2E_TIMEOUT): ~15 s on a quiet machine; generous for a busy one. */
const RUN_TIMEOUT_S = 400;

/** Why the chain cannot run here, or undefined when it can. */
function chainSkipReason(): string | undefined {
  if (!fs.existsSync(RUN_E2E)) return `no ${RUN_E2E} (../shared is absent)`;
  if (!kubectlBinary()) return 'no kubectl: run `npm run setup` (installs kubectl v1.32.3 beside helm)';
  // run-e2e.sh runs everything in `unshare --mount --net`: root, or unprivileged user namespaces.
  const ns = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (ns.status !== 0) return `cannot make a private network namespace (run-e2e.sh needs root): ${(ns.stderr || String(ns.error)).trim()}`;
  const py = spawnSync('/usr/bin/python3', ['-c', 'import jupyter_server, pycurl, sqlalchemy, tornado, yaml, requests'], { encoding: 'utf8' });
  if (py.status !== 0) return `the hub runtime's Debian packages are missing: run ../shared/e2e/setup.sh as root (${(py.stderr || String(py.error)).trim().split('\n').pop()})`;
  return undefined;
}

/** A config as the test renders it, with what a user must then see on the spawn page. */
interface ChainConfig {
  readonly name: string;
  readonly config: Record<string, any>;
  /** Profile slugs the spawn page must offer, in order. */
  readonly profiles: readonly string[];
  /** The slug the spawn page preselects. */
  readonly defaultProfile: string;
  /** The image the user Pod of the preselected profile runs. */
  readonly defaultImage: string;
}

/** An example, switched to tls.mode: secret with ../shared/e2e/pki's certificate and key (read from there, never copied). */
function example(file: string, change: (c: Record<string, any>) => void = () => {}): Record<string, any> {
  const c = yaml.load(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as Record<string, any>;
  c.domain = DOMAIN;
  c.tls = { mode: 'secret', certFile: path.join(PKI, 'hub.example.org.chain.crt'), keyFile: path.join(PKI, 'hub.example.org.key') };
  change(c);
  return c;
}

function configs(): ChainConfig[] {
  const full = example('full.yaml');
  const fullProfiles = full.profiles as Array<{ name?: string; preset?: string; default?: boolean }>;
  const fullDefault = fullProfiles.find((p) => p.default) ?? fullProfiles[0];
  // examples/three-nodes-nfs.yaml keeps its hub database on PostgreSQL, which the chain does not run.
  return [
    {
      name: 'examples/full.yaml',
      config: full,
      // The config's own list, in its own words: a profile's `name`, else its `preset`.
      profiles: fullProfiles.map((p) => p.name ?? p.preset!),
      defaultProfile: fullDefault.name ?? fullDefault.preset!,
      // The data-science preset runs `notebook.image`.
      defaultImage: `${full.notebook.image.name}:${full.notebook.image.tag}`,
    },
    {
      name: 'examples/minimal.yaml + one allowlisted member',
      config: example('minimal.yaml', (c) => { c.auth0.allowedUsers = ['member@example.org']; }),
      // README "The analysis environment": without `profiles`, data-science (the default) and
      // deep-learning; no team image, no GPU node here.
      profiles: ['data-science', 'deep-learning'],
      defaultProfile: 'data-science',
      defaultImage: 'quay.io/jupyter/scipy-notebook:2024-05-27', // README: notebook.image's default
    },
  ];
}

type UserKind = 'allowlisted user' | 'admin';
type RefusedKind = 'stranger' | 'allowlisted user with an unverified email' | 'admin with an unverified email';

/** One run of the chain: who signs in and spawns, and who must be refused at the callback. */
interface ChainRun {
  readonly config: ChainConfig;
  readonly user: string;
  readonly userKind: UserKind;
  readonly refused: string;
  readonly refusedKind: RefusedKind;
}

function runs(cs: ChainConfig[]): ChainRun[] {
  const [full, minimal] = cs;
  return [
    { config: full, user: 'analyst1@example.org', userKind: 'allowlisted user', refused: 'stranger@example.org', refusedKind: 'stranger' },
    { config: full, user: 'lead@example.org', userKind: 'admin', refused: 'analyst2@example.org', refusedKind: 'allowlisted user with an unverified email' },
    { config: minimal, user: 'admin@example.org', userKind: 'admin', refused: 'stranger@example.org', refusedKind: 'stranger' },
    { config: minimal, user: 'member@example.org', userKind: 'allowlisted user', refused: 'admin@example.org', refusedKind: 'admin with an unverified email' },
  ];
}

const runLabel = (r: ChainRun) => `${r.config.name}: ${r.userKind} ${r.user} signs in, spawns, stops; ${r.refusedKind} ${r.refused} is refused`;

interface Outcome {
  readonly run: ChainRun;
  readonly dir: string;
  readonly exitCode: number | null;
  readonly result?: Record<string, any>;
  readonly readError?: string;
}

/** Runs ../shared/e2e/run-e2e.sh on one dist/; resolves when it exits (its own timeout bounds it). */
function runChain(run: ChainRun, dist: string, dir: string): Promise<Outcome> {
  const verified = run.refusedKind === 'stranger' ? 'verified' : 'unverified';
  const args = [dist, '--user', run.user, '--denied', `${run.refused}:${verified}`];
  return new Promise((resolve) => {
    const out = fs.openSync(path.join(dir, '..', `${path.basename(dir)}.out`), 'w');
    const child = spawn(RUN_E2E, args, {
      env: { ...process.env, KUBECTL: kubectlBinary()!, E2E_RUN_DIR: dir, E2E_TIMEOUT: String(RUN_TIMEOUT_S) },
      stdio: ['ignore', out, out],
    });
    child.on('close', (code) => {
      fs.closeSync(out);
      try {
        resolve({ run, dir, exitCode: code, result: JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')) });
      } catch (e) {
        resolve({ run, dir, exitCode: code, readError: String(e) });
      }
    });
  });
}

/**
 * How many runs go at once: one per core, as memory allows. A run peaks at about 350 MB
 * (../shared/e2e/README.md) and needs about 11 CPU-seconds, most of it the hub's and envtest's
 * start; more runs than cores only slow each other down (and the hub has 90 s to come up).
 */
function parallelRuns(runs: number): number {
  return Math.max(1, Math.min(runs, os.availableParallelism(), Math.floor(os.freemem() / (500 * 2 ** 20))));
}

/** Runs `items` through `fn`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ----------------------------------------------------------------------------- the run's evidence

function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0) : [];
}

function jsonLines(file: string): Array<Record<string, any>> {
  return readLines(file).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
}

const clip = (l: string, n = 400) => (l.length > n ? `${l.slice(0, n)}…` : l);

/** The run folder's lines that say why a run failed: result summary, hub, proxy, Auth0 requests, kubelet, user server. */
function explain(o: Outcome): string {
  const r = o.result ?? {};
  const c = r.client ?? {};
  const part = (title: string, lines: string[]) => (lines.length ? [`--- ${title}`, ...lines.map((l) => `  ${clip(l)}`)] : []);
  const hub = readLines(path.join(o.dir, 'hub.log'));
  const hubPicked = [...new Set([
    ...hub.filter((l) => /^\[(E|W|C)|Traceback|Error|not allowed|User logged in|took .* seconds to start|Deleting pod/.test(l))
      .filter((l) => !/suspected API request to not-running server|424 GET \/hub\/user\//.test(l)) // the browser polling a starting server
      .slice(0, 40),
    ...hub.slice(-25),
  ])];
  const podLogs = fs.existsSync(path.join(o.dir, 'pods'))
    ? fs.readdirSync(path.join(o.dir, 'pods')).flatMap((p) => part(`user server ${p} (container.log, last lines)`, readLines(path.join(o.dir, 'pods', p, 'container.log')).slice(-12)))
    : [];
  return [
    `=== e2e run ${runLabel(o.run)}`,
    `run folder: ${o.dir} (run-e2e.sh exit ${o.exitCode}${o.readError ? `; result.json unreadable: ${o.readError}` : ''})`,
    `stages: ${JSON.stringify(r.stages)} client stages: ${JSON.stringify(c.stages)}`,
    ...(/SIGTERM/.test(String(r.error)) ? [`the run was stopped after E2E_TIMEOUT=${RUN_TIMEOUT_S} s: this machine is too slow or too busy`] : []),
    ...(r.error ? [`error: ${r.error}`, ...String(r.traceback ?? '').split('\n').slice(-12)] : []),
    ...(c.error ? [`client error: ${c.error}`] : []),
    ...(r.applied ?? []).filter((a: any) => a.rc !== 0).map((a: any) => `kubectl apply ${a.file} failed: ${a.err}`),
    ...((r.prepare_problems ?? []).length ? [`hub file problems: ${JSON.stringify(r.prepare_problems)}`] : []),
    `timings: ${JSON.stringify(r.timings)}; k8s_after:\n${String(r.k8s_after ?? '').trimEnd()}`,
    ...part('browser steps (client.json)', (c.steps ?? []).map((s: any) => `${s.step}: ${(s.chain ?? []).join(' -> ')}`)),
    ...part('hub.log (warnings, errors, markers, last lines)', hubPicked),
    ...part('chp.log (last lines)', readLines(path.join(o.dir, 'chp.log')).slice(-12)),
    ...part('Auth0 requests (auth0-requests.jsonl)', readLines(path.join(o.dir, 'auth0-requests.jsonl'))),
    ...part('kubelet (kubelet.jsonl)', readLines(path.join(o.dir, 'kubelet.jsonl'))),
    ...podLogs,
    ...part('client.log (last lines)', readLines(path.join(o.dir, 'client.log')).slice(-12)),
    ...part('orchestrator.log (last lines)', readLines(path.join(o.dir, 'orchestrator.log')).slice(-15)),
  ].join('\n');
}

interface HubUser {
  readonly admin: boolean;
  readonly roles: string[];
  readonly scopes: string[];
}

/** The users in the hub's sqlite database after the run, with their roles' scopes. */
function hubDatabase(o: Outcome): Map<string, HubUser> {
  const file = path.join(o.dir, 'hub', 'fs', 'srv', 'jupyterhub', 'jupyterhub.sqlite');
  assert.ok(fs.existsSync(file), `the hub database ${file} exists`);
  const py = [
    'import json, sqlite3, sys',
    'db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)',
    'out = {}',
    'for name, admin in db.execute("select name, admin from users"):',
    '    out[name] = {"admin": bool(admin), "roles": [], "scopes": []}',
    'q = "select u.name, r.name, r.scopes from users u join user_role_map m on m.user_id = u.id join roles r on r.id = m.role_id"',
    'for user, role, scopes in db.execute(q):',
    '    out[user]["roles"].append(role)',
    '    out[user]["scopes"] += json.loads(scopes or "[]")',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `reading the hub database: ${r.stderr}`);
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, HubUser>));
}

/** Runs the assertions; a failure carries the run's log lines, so a red CI says why. */
function withEvidence(o: Outcome, check: (r: Record<string, any>) => void): void {
  try {
    assert.ok(o.result, `run-e2e.sh wrote no result.json (exit ${o.exitCode})`);
    check(o.result);
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n${explain(o)}`;
    throw e;
  }
}

// ----------------------------------------------------------------------------------- the tests

const skip = chainSkipReason();
// CI has ../shared and runs as root: there, a missing prerequisite is a failure, not a skip.
const mustRun = process.env.CI === 'true' && fs.existsSync(E2E_DIR);

if (skip && mustRun) {
  it('the login-and-spawn chain runs in CI', () => assert.fail(`the e2e chain cannot run: ${skip}`));
}

describe('the login-and-spawn chain, end to end (../shared/e2e)', { skip: skip ? `SKIPPED: ${skip}` : false }, () => {
  let work: string | undefined;
  const cs = configs();
  const plan = runs(cs);
  const outcomes = new Map<ChainRun, Outcome>();
  let failed = false;

  before(async () => {
    const root = tmpdir('mk8s-jh-e2e-');
    work = root;
    // The stand-in kubelet runs notebook servers as the pod's uid 1000: every parent of a run folder must be o+x.
    fs.chmodSync(root, 0o755);
    const dists = new Map<ChainConfig, string>();
    for (const [i, c] of cs.entries()) {
      const dir = path.join(root, `config-${i}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'config.yaml'), yaml.dump(c.config));
      synthesize({ env: synthEnv(dir, { HUB_CONFIG: path.join(dir, 'config.yaml') }) });
      dists.set(c, path.join(dir, 'dist'));
    }
    const runsDir = path.join(root, 'runs');
    fs.mkdirSync(runsDir, { mode: 0o755 });
    const done = await pool(plan, parallelRuns(plan.length), (r) => runChain(r, dists.get(r.config)!, path.join(runsDir, `run-${plan.indexOf(r)}`)));
    for (const o of done) outcomes.set(o.run, o);
  });

  after(() => {
    // Keep the run folders of a failed run to look into; they hold a dist/ with a TLS key only in /tmp.
    if (work && !failed) fs.rmSync(work, { recursive: true, force: true });
  });

  for (const run of plan) {
    it(runLabel(run), (t) => {
      const o = outcomes.get(run)!;
      t.diagnostic(`chain timings (s): ${JSON.stringify(o.result?.timings)}, total ${o.result?.total_s}`);
      try {
        withEvidence(o, (r) => assertRun(run, o, r));
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  }
});

function assertRun(run: ChainRun, o: Outcome, r: Record<string, any>): void {
  const c = r.client ?? {};
  // Every file of dist/ but the MetalLB one (run-e2e.sh leaves it out) applied server-side to kube-apiserver v1.32.13.
  const applied = (r.applied ?? []) as Array<{ file: string; rc: number; err: string }>;
  assert.ok(applied.some((a) => a.file === '10-jupyterhub.yaml'), `dist/ files applied: ${applied.map((a) => a.file).join(', ')}`);
  for (const a of applied) assert.equal(a.rc, 0, `kubectl apply --server-side ${a.file}: ${a.err}`);
  // 1: the hub (JupyterHub 4.0.2 on envtest) and configurable-http-proxy answer https://DOMAIN/hub/health with our TLS Secret.
  assert.equal(r.stages?.['1'], 'PASS', 'hub and proxy up behind https://hub.example.org');
  // 2: the tenant named in dist/ (auth0.domain) is what the hub talks to.
  assert.match(String(r.stages?.['2_precheck']), /: 200$/, 'Auth0 tenant reachable under its name');
  assert.equal(r.auth0_domain, run.config.config.auth0.domain, 'the hub signs in at the config\'s tenant');
  assert.equal(c.error, undefined, 'the scripted browser ran to the end');

  // 3: sign in at the tenant and land back on the hub, logged in.
  assert.match(String(c.stages?.['3']), /^PASS/, 'login through Auth0');
  const auth0 = jsonLines(path.join(o.dir, 'auth0-requests.jsonl'));
  const userinfo = (email: string) => auth0.filter((e) => e.path === '/userinfo' && e.email === email);
  assert.equal(userinfo(run.user).length, 1, `the hub fetched ${run.user}'s profile from the tenant once`);
  assert.ok((r.hub_log_markers ?? []).some((l: string) => l.endsWith(`User logged in: ${run.user}`)), `hub.log: "User logged in: ${run.user}"`);
  // Who the hub, after the run, holds as a user and with which powers: its own database (sqlite,
  // the hub-db-dir volume), tables users, roles and user_role_map of JupyterHub 4.0.2 orm.py.
  const db = hubDatabase(o);
  const me = db.get(run.user);
  assert.ok(me, `the hub has a user ${run.user}`);
  const adminScopes = me.scopes.filter((x) => x.startsWith('admin'));
  if (run.userKind === 'admin') {
    assert.ok(me.admin || adminScopes.includes('admin:users'), `${run.user} may manage users (admin flag or admin:users): ${JSON.stringify(me)}`);
  } else {
    assert.deepEqual([me.admin, adminScopes], [false, []], `${run.user} has no admin powers`);
  }
  if (run.refusedKind === 'stranger') assert.equal(db.get(run.refused), undefined, `no user record for the stranger ${run.refused}`);

  // The spawn page offers the config's profiles, the default preselected.
  assert.deepEqual(c.profiles_offered, run.config.profiles, 'profiles on the spawn page');
  assert.equal(c.profile_chosen, run.config.defaultProfile, 'preselected profile');

  // 4: spawn; the user's own server answers /user/<name>/api/status through the proxy.
  assert.equal(c.stages?.['4'], 'PASS', 'spawn and reach /user/<name>/api/status');
  assert.ok(c.api_status?.started, 'jupyter_server answered /api/status');
  const kubelet = jsonLines(path.join(o.dir, 'kubelet.jsonl'));
  const started = kubelet.filter((e) => e.event === 'container-started');
  assert.equal(started.length, 1, 'one user Pod started');
  assert.ok(String(started[0].service_url).includes(`/user/${run.user}/`), `the Pod serves /user/${run.user}/`);
  assert.equal(started[0].image, run.config.defaultImage, 'the Pod runs the preselected profile\'s image');
  const podName: string = started[0].pod;
  const claims = kubelet.filter((e) => e.event === 'pvc-bound' && e.pvc !== 'hub-db-dir').map((e) => e.pvc as string);
  assert.equal(claims.length, 1, `one home volume claim made for ${run.user}: ${claims.join(', ')}`);

  // Stop: the hub deletes the Pod, the home volume claim (and the hub database's) stay.
  assert.equal(c.stop_status, 204, 'DELETE /hub/api/users/<name>/server');
  const left = String(r.k8s_after ?? '');
  assert.doesNotMatch(left, new RegExp(`^pod/${podName}\\s`, 'm'), `Pod ${podName} is gone after stop`);
  assert.match(left, new RegExp(`^persistentvolumeclaim/${claims[0]}\\s+Bound`, 'm'), `PVC ${claims[0]} stays after stop`);
  assert.match(left, /^persistentvolumeclaim\/hub-db-dir\s+Bound/m, 'the hub database claim stays');

  // Refused: the tenant lets them sign in (and says whether the email is verified), the hub answers 403 at the callback.
  const refusedInfo = userinfo(run.refused);
  assert.equal(refusedInfo.length, 1, `the tenant signed ${run.refused} in and the hub asked for their profile`);
  assert.equal(refusedInfo[0].email_verified, run.refusedKind === 'stranger', 'email_verified as the tenant reported it');
  assert.equal(c.denied_user_result, '403 at /hub/oauth_callback', `${run.refusedKind} ${run.refused} refused by the hub`);
  assert.equal(c.stages?.allowlist, 'PASS');
}

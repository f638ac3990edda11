/**
 * The output folder (issue 12): synth only ever replaces dist/ or a folder it wrote, one synth at
 * a time, dist/ never missing, nothing with secrets left behind by a killed run.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveHelm } from '../src/hub/helm-binary';
import { synthesize } from '../src/output/synth';
import { checkOutdir, LOCK_FILE, OUTDIR_MARKER } from '../src/output/write-dist';
import { UserError } from '../src/util/errors';
import { baseConfig, readObjects, ROOT, SENTINELS, snapshot, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

const LAUNCH = path.join(ROOT, 'src', 'launch.mjs');

function caseDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** `npm run synth` as a user runs it (the launcher), from `cwd`. */
function runSynth(env: NodeJS.ProcessEnv, cwd = ROOT) {
  return spawnSync(process.execPath, [LAUNCH, 'src/main.ts'], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/** A process that is certainly alive while the test runs (its pid goes into a lock file). */
function liveProcess(): ChildProcess {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

const leftovers = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('.tmp-') || n.startsWith('.dist-'));

describe('only a folder this program wrote is replaced', () => {
  it('HUB_OUTDIR=. is refused with exit 1 and nothing is deleted', () => {
    // The reproduction: HUB_OUTDIR=. from a checkout deleted .git and .secrets.
    const dir = caseDir('dot');
    const checkout = path.join(dir, 'checkout');
    fs.mkdirSync(path.join(checkout, '.git'), { recursive: true });
    fs.mkdirSync(path.join(checkout, '.secrets'), { recursive: true });
    fs.writeFileSync(path.join(checkout, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(checkout, '.secrets', 'auth0-client-secret'), 'x');
    fs.writeFileSync(path.join(checkout, 'notes.txt'), 'mine');
    const before = snapshot(checkout);
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()), HUB_OUTDIR: '.' });
    const r = runSynth(env, checkout);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^Refusing to write the output folder .*checkout: it holds files this program did not write \(\.git, \.secrets, notes\.txt\)/);
    assert.match(r.stderr, /Nothing was changed\. Set HUB_OUTDIR to a new or empty folder/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(snapshot(checkout), before);
    assert.deepEqual(fs.readdirSync(checkout).sort(), ['.git', '.secrets', 'notes.txt']);
  });

  it('HUB_OUTDIR naming a folder with the user\'s files is refused; a new one is created and marked', () => {
    const dir = caseDir('user-folder');
    const mine = path.join(dir, 'mine');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'deployment.yaml'), 'kind: ConfigMap\n');
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()), HUB_OUTDIR: mine });
    assert.throws(() => synthesize({ env }), (e: Error) => e instanceof UserError && e.exitCode === 1 && /holds files this program did not write \(deployment\.yaml\)/.test(e.message));
    assert.deepEqual([...snapshot(mine).keys()], ['deployment.yaml']);

    const fresh = path.join(dir, 'new', 'nested', 'out');
    synthesize({ env: { ...env, HUB_OUTDIR: fresh } });
    assert.ok(fs.existsSync(path.join(fresh, OUTDIR_MARKER)), 'marked as ours');
    assert.ok(readObjects(fresh).length > 10);
    // Ours now: the next synth replaces it, and drops a file synth no longer writes.
    fs.writeFileSync(path.join(fresh, '99-stale.yaml'), 'kind: ConfigMap\n');
    synthesize({ env: { ...env, HUB_OUTDIR: fresh } });
    assert.ok(!fs.existsSync(path.join(fresh, '99-stale.yaml')));
  });

  it('a folder that contains the project or the secret store is refused even if empty otherwise', () => {
    const dir = caseDir('protect');
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    assert.throws(() => checkOutdir(dir, { defaultOutdir: path.join(project, 'dist'), protect: [project] }), /it contains .*project, and every synth replaces/);
    assert.throws(() => checkOutdir(project, { defaultOutdir: path.join(project, 'dist'), protect: [project] }), /it contains/);
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.throws(() => checkOutdir(path.join(dir, 'file'), { defaultOutdir: path.join(project, 'dist'), protect: [project] }), /it is a file, not a folder/);
  });
});

describe('one synth at a time', () => {
  function prepared(name: string) {
    const dir = caseDir(name);
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env });
    return { dir, env, dist: path.join(dir, 'dist') };
  }

  it('waits for a lock held by a running synth, then says which process holds it', async () => {
    const { env, dist } = prepared('lock-held');
    const holder = liveProcess();
    fs.writeFileSync(path.join(dist, LOCK_FILE), `${holder.pid}\n`);
    const before = snapshot(dist);
    assert.throws(() => synthesize({ env, lockWaitSeconds: 1 }), (e: Error) =>
      e instanceof UserError && new RegExp(`^Another synth \\(process ${holder.pid}\\) is writing .*dist; waited 1 s for it\\.\\n.*kill ${holder.pid}`).test(e.message));
    assert.deepEqual(snapshot(dist), before, 'nothing written while locked');
    const gone = new Promise((resolve) => holder.on('exit', resolve));
    holder.kill('SIGKILL');
    await gone;
    // The holder was killed: its lock is stale and taken over.
    synthesize({ env, lockWaitSeconds: 1 });
    assert.ok(!fs.existsSync(path.join(dist, LOCK_FILE)), 'released');
  });

  it('takes over a lock left by a killed process (pid no longer running)', () => {
    const { env, dist } = prepared('lock-stale');
    fs.writeFileSync(path.join(dist, LOCK_FILE), `${deadPid()}\n`);
    synthesize({ env, lockWaitSeconds: 0 });
    assert.deepEqual(leftovers(dist), []);
  });

  it('two synths started together both succeed and leave one complete dist/', async () => {
    const { dir, env, dist } = prepared('concurrent');
    const expected = snapshot(dist);
    const run = () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [LAUNCH, 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr!.on('data', (b) => (stderr += b));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    const results = await Promise.all([run(), run(), run()]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshot(dist), expected, 'same config, same secrets: the same files');
    assert.deepEqual(leftovers(dist), []);
    assert.deepEqual(leftovers(dir), []);
  });
});

describe('a killed synth', () => {
  it('SIGTERM while helm runs: no temporary file, dist/ as before, the next synth works', async () => {
    const dir = caseDir('sigterm');
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env });
    const dist = path.join(dir, 'dist');
    const before = snapshot(dist);
    const realHelm = resolveHelm(env).command;
    // A helm that says it started, then hangs: the moment synth is killed.
    const started = path.join(dir, 'helm-started');
    const helm = path.join(dir, 'slow-helm');
    fs.writeFileSync(helm, `#!/bin/sh\nif [ "$1" = version ]; then exec ${realHelm} "$@"; fi\necho $$ > ${started}\nexec sleep 60\n`, { mode: 0o755 });
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const child = spawn(process.execPath, [LAUNCH, 'src/main.ts'], { cwd: ROOT, env: { ...env, HELM: helm, TMPDIR: tmp }, stdio: 'ignore' });
    children.push(child);
    for (let i = 0; i < 600 && !fs.existsSync(started); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.existsSync(started), 'helm was started');
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    process.kill(Number(fs.readFileSync(started, 'utf8')), 'SIGKILL');
    assert.deepEqual(fs.readdirSync(tmp), [], 'nothing written to TMPDIR (the values went to helm on standard input)');
    assert.deepEqual(snapshot(dist), before, 'dist/ as before');
    assert.deepEqual(leftovers(dist), []);
    const again = runSynth(env);
    assert.equal(again.status, 0, again.stderr);
  });

  it('leftovers of a kill during writing (staging with Secrets, lock, old-version swap folders) are removed by the next synth', () => {
    const dir = caseDir('leftovers');
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env });
    const dist = path.join(dir, 'dist');
    const staging = path.join(dist, '.tmp-staging-99999');
    fs.mkdirSync(staging);
    fs.writeFileSync(path.join(staging, '02-secrets.secret.yaml'), `clientSecret: ${SENTINELS.auth0}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dist, LOCK_FILE), `${deadPid()}\n`);
    for (const n of ['.dist-new-abc123', '.dist-old-def456']) {
      fs.mkdirSync(path.join(dir, n));
      fs.writeFileSync(path.join(dir, n, '02-secrets.secret.yaml'), `clientSecret: ${SENTINELS.auth0}\n`);
    }
    const r = runSynth(env);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(leftovers(dist), []);
    assert.deepEqual(leftovers(dir), []);
  });

  it('the output folder never disappears while it is rewritten', async () => {
    const dir = caseDir('never-missing');
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env });
    const dist = path.join(dir, 'dist');
    // A reader polling dist/ (as kubectl apply -f dist/ would read it) while three synths run.
    const runs = [0, 1, 2].map((i) => new Promise<number | null>((resolve) => {
      const c = spawn(process.execPath, [LAUNCH, 'src/main.ts'], { cwd: ROOT, env: { ...env, HUB_CONFIG: writeConfig(dir, { ...baseConfig(), domain: `hub${i}.example.org` }, `c${i}.yaml`) }, stdio: 'ignore' });
      c.on('close', resolve);
    }));
    let done = false;
    let checks = 0;
    const all = Promise.all(runs).then((codes) => {
      done = true;
      return codes;
    });
    while (!done) {
      for (const f of ['00-namespace.yaml', '10-jupyterhub.yaml', '02-secrets.secret.yaml']) assert.ok(fs.existsSync(path.join(dist, f)), `${f} present`);
      checks++;
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await all, [0, 0, 0]);
    assert.ok(checks > 10);
  });
});

describe('a synth that changes nothing rewrites nothing', () => {
  it('unchanged files keep their inode and time; a changed file or a loosened Secret file mode is written again', () => {
    const dir = caseDir('unchanged');
    const env = synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()) });
    synthesize({ env });
    const dist = path.join(dir, 'dist');
    const stat = (f: string) => fs.statSync(path.join(dist, f));
    const before = new Map(fs.readdirSync(dist).filter((f) => f.endsWith('.yaml')).map((f) => [f, stat(f)]));
    assert.ok(before.size >= 5);
    fs.chmodSync(path.join(dist, '02-secrets.secret.yaml'), 0o644);
    synthesize({ env });
    for (const [f, st] of before) {
      if (f === '02-secrets.secret.yaml') continue;
      assert.equal(stat(f).ino, st.ino, `${f} was not rewritten`);
      assert.equal(stat(f).mtimeMs, st.mtimeMs, `${f} kept its time`);
    }
    assert.equal(stat('02-secrets.secret.yaml').mode & 0o777, 0o600, 'the Secrets file is private again');
    assert.notEqual(stat('02-secrets.secret.yaml').ino, before.get('02-secrets.secret.yaml')!.ino);
    // One more user: only the file holding the allowlist changes.
    const c = baseConfig();
    c.auth0.allowedUsers = [...(c.auth0.allowedUsers ?? []), 'new.member@example.org'];
    synthesize({ env: { ...env, HUB_CONFIG: writeConfig(dir, c) } });
    assert.notEqual(stat('10-jupyterhub.yaml').ino, before.get('10-jupyterhub.yaml')!.ino);
    assert.match(fs.readFileSync(path.join(dist, '10-jupyterhub.yaml'), 'utf8'), /new\.member@example\.org/);
    assert.equal(stat('00-namespace.yaml').ino, before.get('00-namespace.yaml')!.ino);
  });
});

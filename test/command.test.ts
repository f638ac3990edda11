/** The command runner: real child processes (sleeping, reading stdin, flooding stdout) and shell-style splitting of env values. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  clusterCommands, CommandError, describeFailure, orThrow, run, runSync, splitCommandLine, succeeded,
} from '../src/util/command';
import { UserError } from '../src/util/errors';
import { tmpdir } from './helpers';

const NODE = process.execPath;
/** A child that would sleep for a minute: the runner must stop it long before. */
const SLEEPER = [NODE, '-e', 'setTimeout(() => {}, 60000)'];

/** Pids of live processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const state = /^State:\s+(\w)/m.exec(fs.readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (cmd.includes(marker) && state !== 'Z') out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runSync / run: results', () => {
  for (const [name, runner] of [['runSync', async (a: string[], o: Parameters<typeof runSync>[1]) => runSync(a, o)], ['run', run]] as const) {
    it(`${name}: status, stdout and stderr of a command that ran`, async () => {
      const r = await runner([NODE, '-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'], { timeoutMs: 30_000 });
      assert.equal(r.status, 3);
      assert.equal(r.stdout, 'out');
      assert.equal(r.stderr, 'err');
      assert.equal(r.failure, undefined, 'a non-zero exit is not a failure to run');
      assert.equal(succeeded(r), false);
      assert.match(describeFailure(r), /failed \(exit 3\):\nerr$/);
    });

    it(`${name}: stdin input reaches the command, env and cwd are the ones given`, async () => {
      const dir = tmpdir();
      const r = await runner([NODE, '-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(s.toUpperCase()+"|"+process.env.ONLY_HERE+"|"+process.cwd()))'],
        { timeoutMs: 30_000, input: 'values: here', env: { ...process.env, ONLY_HERE: 'yes' }, cwd: dir });
      assert.ok(succeeded(r), describeFailure(r));
      assert.equal(r.stdout.trim(), `VALUES: HERE|yes|${fs.realpathSync(dir)}`);
      fs.rmSync(dir, { recursive: true });
    });

    it(`${name}: a command that does not finish in time is killed and reported as a timeout naming it and the seconds`, async () => {
      const r = await runner(SLEEPER, { timeoutMs: 300 });
      assert.deepEqual(r.failure, { kind: 'timeout', seconds: 0.3 });
      assert.equal(r.status, null);
      assert.equal(r.signal, 'SIGKILL');
      assert.equal(describeFailure(r), `\`${NODE} -e ...\` did not finish within 0.3 s and was stopped`);
      assert.throws(() => orThrow(r), (e: unknown) => e instanceof CommandError && e instanceof UserError && /within 0\.3 s/.test(e.message));
    });

    it(`${name}: a missing program is reported as missing, not as a failed run`, async () => {
      const r = await runner(['/no/such/program-xyz', 'kubectl'], { timeoutMs: 30_000 });
      assert.deepEqual(r.failure, { kind: 'missing' });
      assert.match(describeFailure(r), /^`\/no\/such\/program-xyz kubectl`: no such command/);
    });

    it(`${name}: output beyond maxBuffer stops the command`, async () => {
      const r = await runner([NODE, '-e', 'const b="x".repeat(65536); (function w(){ while (process.stdout.write(b)); process.stdout.once("drain", w); })()'],
        { timeoutMs: 30_000, maxBuffer: 100_000 });
      assert.deepEqual(r.failure, { kind: 'output-too-large', maxBuffer: 100_000 });
    });
  }

  it('run: the timed-out child process is really gone', { skip: fs.existsSync('/proc/self/cmdline') ? false : 'needs /proc' }, async () => {
    // Found by a marker in its command line: no race with how fast the child starts.
    const marker = `mk8s-jh-timeout-marker-${process.pid}-${Date.now()}`;
    const r = await run([NODE, '-e', 'setTimeout(() => {}, 600000)', marker], { timeoutMs: 1000 });
    assert.equal(r.failure?.kind, 'timeout');
    assert.deepEqual(processesWith(marker), [], 'the child outlived its timeout');
  });

  it('run: a stopped command whose grandchild keeps the output pipe open does not keep us waiting', async () => {
    // sh starts sleep, which inherits stdout and prints its pid; killing sh leaves sleep holding the pipe.
    // 5 s: ample for sh to start sleep even on a loaded machine (no assertion on time).
    const r = await run(['sh', '-c', 'sleep 600 & echo $!; wait'], { timeoutMs: 5000 });
    const grandchild = Number(r.stdout.trim());
    try {
      assert.equal(r.failure?.kind, 'timeout');
      assert.ok(grandchild > 0, `no pid in ${JSON.stringify(r.stdout)}`);
      assert.equal(alive(grandchild), true, 'the grandchild still holds the pipe: we returned without waiting for it');
    } finally {
      if (grandchild > 0 && alive(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('refuses an empty argv and a missing timeout (programming errors, not user errors)', () => {
    assert.throws(() => runSync([], { timeoutMs: 1000 }), /empty argv/);
    assert.throws(() => runSync([NODE], { timeoutMs: 0 }), /timeoutMs/);
    assert.throws(() => runSync([NODE], { timeoutMs: Infinity }), /timeoutMs/);
  });
});

describe('splitCommandLine: env values split as a shell would', () => {
  const cases: [string, string[] | undefined][] = [
    ['microk8s kubectl', ['microk8s', 'kubectl']],
    ['  microk8s   kubectl  ', ['microk8s', 'kubectl']],
    ["'/opt/my kube/kubectl' --context x", ['/opt/my kube/kubectl', '--context', 'x']],
    ['"/opt/my kube/kubectl" --context x', ['/opt/my kube/kubectl', '--context', 'x']],
    ['/opt/my\\ kube/kubectl --context=x', ['/opt/my kube/kubectl', '--context=x']],
    ["kubectl --context 'it'\\''s'", ['kubectl', '--context', "it's"]],
    ['kubectl --context "say \\"hi\\" \\\\ \\x"', ['kubectl', '--context', 'say "hi" \\ \\x']],
    ["kubectl ''", ['kubectl', '']],
    ['a"b"\'c\'d', ['abcd']],
    ['kubectl --kubeconfig=/home/me/.kube/config#1', ['kubectl', '--kubeconfig=/home/me/.kube/config#1']],
    ["kubectl '$HOME' \"a|b;c\"", ['kubectl', '$HOME', 'a|b;c']],
    ['', undefined],
    ['   ', undefined],
  ];
  for (const [value, argv] of cases) {
    it(JSON.stringify(value), () => assert.deepEqual(splitCommandLine(value, 'KUBECTL'), argv));
  }
  it('unset is undefined', () => assert.equal(splitCommandLine(undefined, 'KUBECTL'), undefined));

  const refused: [string, RegExp][] = [
    ["'/opt/my kube/kubectl --context x", /unterminated single quote/],
    ['"/opt/kubectl', /unterminated double quote/],
    ['kubectl\\', /lone backslash/],
    ['$HOME/bin/kubectl', /contains \$/],
    ['"$HOME/bin/kubectl"', /uses \$ inside double quotes/],
    ['kubectl | tee log', /contains \|/],
    ['kubectl; rm -rf x', /contains ;/],
    ['kubectl > out', /contains >/],
    ['~/bin/kubectl', /contains ~/],
    ['kube*', /contains \*/],
    ['kubectl # comment', /contains #/],
  ];
  for (const [value, why] of refused) {
    it(`refuses ${JSON.stringify(value)} naming the variable and the fix`, () => {
      assert.throws(() => splitCommandLine(value, 'KUBECTL'), (e: unknown) =>
        e instanceof UserError && why.test(e.message) && e.message.startsWith(`KUBECTL=${value} `) && /Fix: set KUBECTL to/.test(e.message));
    });
  }
});

describe('clusterCommands: one decision for doctor, deploy and verify', () => {
  it('default: microk8s kubectl', () => {
    assert.deepEqual(clusterCommands({}), { microk8s: ['microk8s'], microk8sFromEnv: false, kubectl: ['microk8s', 'kubectl'], kubectlViaMicrok8s: true });
  });
  it('MICROK8S alone also changes kubectl (snap alias or a path)', () => {
    const c = clusterCommands({ MICROK8S: "'/snap/bin/micro k8s'" });
    assert.deepEqual(c.kubectl, ['/snap/bin/micro k8s', 'kubectl']);
    assert.deepEqual(c.microk8s, ['/snap/bin/micro k8s']);
    assert.equal(c.microk8sFromEnv, true);
    assert.equal(c.kubectlViaMicrok8s, true);
  });
  it('KUBECTL wins over MICROK8S for kubectl', () => {
    const c = clusterCommands({ MICROK8S: '/opt/microk8s', KUBECTL: 'kubectl --context lab' });
    assert.deepEqual(c.kubectl, ['kubectl', '--context', 'lab']);
    assert.deepEqual(c.microk8s, ['/opt/microk8s']);
    assert.equal(c.kubectlViaMicrok8s, false);
  });
  it('blank values count as unset', () => {
    assert.deepEqual(clusterCommands({ MICROK8S: ' ', KUBECTL: '' }).kubectl, ['microk8s', 'kubectl']);
  });
  it('a bad value is a user error naming the variable', () => {
    assert.throws(() => clusterCommands({ MICROK8S: '"oops' }), (e: unknown) =>
      e instanceof UserError && e.message.startsWith('MICROK8S="oops has an unterminated double quote.\nFix: set MICROK8S to'));
  });
});

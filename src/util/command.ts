/**
 * The one way this project runs another program: an argv array (never a shell), always with a
 * timeout, optional standard input, env and output limit. A command that does not finish in time
 * is killed and reported as a timeout that names the command and the seconds; a missing program is
 * reported as missing, not as a failed run. `runSync` is for the CLIs and probes that wait anyway;
 * `run` is for work that should overlap other work (e.g. `helm template` during synth).
 *
 * Also here: how env values that name a command (`KUBECTL="microk8s kubectl"`, `DOCKER=podman`)
 * become argv, split as a POSIX shell splits words, and the single decision of which command
 * talks to the cluster (`clusterCommands`), so doctor, deploy and verify can never talk to
 * different clusters.
 */
import { spawn, spawnSync } from 'node:child_process';
import { UserError } from './errors';

/** Output kept from a command when the caller sets no limit: 64 MiB, larger than any `kubectl get -o json` we read. */
export const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

export interface RunOptions {
  /** Killed (SIGKILL) after this many milliseconds and reported as a timeout. Required: no command may hang a CLI forever. */
  readonly timeoutMs: number;
  /** Written to the command's standard input, which is then closed. @default no input (stdin is /dev/null) */
  readonly input?: string | Buffer;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default the current directory */
  readonly cwd?: string;
  /** Bytes of stdout (and of stderr) kept before the command is stopped as too talkative. @default DEFAULT_MAX_BUFFER */
  readonly maxBuffer?: number;
  /**
   * 'pipe' captures stdout and stderr; 'inherit' lets the user see them live (docker build) and
   * leaves `stdout`/`stderr` empty. @default 'pipe'
   */
  readonly output?: 'pipe' | 'inherit';
}

/** Why a command did not run to completion. */
export type CommandFailure =
  | { readonly kind: 'missing' }
  | { readonly kind: 'timeout'; readonly seconds: number }
  | { readonly kind: 'output-too-large'; readonly maxBuffer: number }
  | { readonly kind: 'spawn-error'; readonly code: string };

export interface CommandResult {
  readonly argv: readonly string[];
  /** Exit code; null when the command did not run or was killed. */
  readonly status: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command did not run to completion (never set for a plain non-zero exit). */
  readonly failure?: CommandFailure;
}

/** True when the command ran to the end and exited 0. */
export function succeeded(r: CommandResult): boolean {
  return !r.failure && r.status === 0;
}

/** argv as a user would type it, for messages: words that need it are single-quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** One line saying how a command went wrong, naming it (without its arguments: they may be long). */
export function describeFailure(r: CommandResult): string {
  const name = `\`${formatArgv(r.argv.slice(0, 2))}${r.argv.length > 2 ? ' ...' : ''}\``;
  const f = r.failure;
  if (f?.kind === 'missing') return `${name}: no such command (${r.argv[0]} is not installed or not on PATH)`;
  if (f?.kind === 'timeout') return `${name} did not finish within ${f.seconds} s and was stopped`;
  if (f?.kind === 'output-too-large') return `${name} printed more than ${f.maxBuffer} bytes and was stopped`;
  if (f?.kind === 'spawn-error') return `${name} could not be started (${f.code})`;
  if (r.signal) return `${name} was killed by ${r.signal}`;
  const detail = r.stderr.trim() || r.stdout.trim();
  return `${name} failed (exit ${r.status})${detail ? `:\n${detail}` : ''}`;
}

/** A command that did not succeed, as an error the CLIs print without a stack trace. */
export class CommandError extends UserError {
  constructor(readonly result: CommandResult, hint?: string) {
    super(hint ? `${describeFailure(result)}\n${hint}` : describeFailure(result));
    this.name = 'CommandError';
  }
}

/** Returns the result when the command succeeded, else throws a `CommandError` (with `hint` as the fix). */
export function orThrow(r: CommandResult, hint?: string): CommandResult {
  if (!succeeded(r)) throw new CommandError(r, hint);
  return r;
}

function checkArgv(argv: readonly string[], timeoutMs: number): void {
  if (argv.length === 0 || !argv[0]) throw new Error('command runner: empty argv');
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new Error(`command runner: timeoutMs must be a positive number, got ${timeoutMs}`);
}

function failureFromCode(code: string | undefined, o: RunOptions): CommandFailure {
  if (code === 'ENOENT') return { kind: 'missing' };
  if (code === 'ETIMEDOUT') return { kind: 'timeout', seconds: seconds(o.timeoutMs) };
  if (code === 'ENOBUFS') return { kind: 'output-too-large', maxBuffer: o.maxBuffer ?? DEFAULT_MAX_BUFFER };
  return { kind: 'spawn-error', code: code ?? 'unknown' };
}

/** Runs a command and waits for it. Never throws for the command's own failures: see `failure` and `status`. */
export function runSync(argv: readonly string[], o: RunOptions): CommandResult {
  checkArgv(argv, o.timeoutMs);
  const inherit = o.output === 'inherit';
  const r = spawnSync(argv[0], argv.slice(1), {
    env: o.env ?? process.env,
    cwd: o.cwd,
    input: o.input,
    encoding: 'utf8',
    timeout: o.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: o.maxBuffer ?? DEFAULT_MAX_BUFFER,
    stdio: [o.input === undefined ? 'ignore' : 'pipe', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'],
  });
  const base = { argv: [...argv], status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.error) return { ...base, status: null, failure: failureFromCode((r.error as NodeJS.ErrnoException).code, o) };
  return base;
}

/**
 * Runs a command without blocking: other work (parsing, building objects) goes on while it runs.
 * Resolves, never rejects, for the command's own failures: see `failure` and `status`.
 */
export function run(argv: readonly string[], o: RunOptions): Promise<CommandResult> {
  checkArgv(argv, o.timeoutMs);
  const inherit = o.output === 'inherit';
  const maxBuffer = o.maxBuffer ?? DEFAULT_MAX_BUFFER;
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: o.env ?? process.env,
      cwd: o.cwd,
      stdio: [o.input === undefined ? 'ignore' : 'pipe', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: CommandFailure | undefined;
    let done = false;
    const stop = (f: CommandFailure) => {
      if (failure) return;
      failure = f;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop({ kind: 'timeout', seconds: seconds(o.timeoutMs) }), o.timeoutMs);
    const finish = (status: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({
        argv: [...argv],
        status: failure ? null : status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(failure ? { failure } : {}),
      });
    };
    child.stdout?.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxBuffer) stop({ kind: 'output-too-large', maxBuffer });
      else out.push(b);
    });
    child.stderr?.on('data', (b: Buffer) => {
      errBytes += b.length;
      if (errBytes > maxBuffer) stop({ kind: 'output-too-large', maxBuffer });
      else err.push(b);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Spawn failed (ENOENT, EACCES): there is no process to wait for.
      if (!failure) failure = failureFromCode(e.code, o);
      finish(null, null);
    });
    // 'close' waits for the output pipes too; once the command was stopped, a grandchild that
    // still holds them must not keep us waiting, so 'exit' is enough then.
    child.on('exit', (status, signal) => {
      if (failure) {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(status, signal);
      }
    });
    child.on('close', (status, signal) => finish(status, signal));
    if (child.stdin) {
      // A command that exits without reading all its input closes the pipe: that is its business.
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.input);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Env values that name a command

function example(name: string): string {
  if (name === 'KUBECTL') return `KUBECTL="microk8s kubectl" or KUBECTL="'/opt/my kube/kubectl' --context x"`;
  const cmd = name.toLowerCase();
  return `${name}=${cmd} or ${name}="'/opt/my tools/${cmd}' --some-flag"`;
}

/**
 * Splits an env value into argv the way a POSIX shell splits words: whitespace separates words;
 * '...' keeps everything literally; "..." keeps everything except that \ escapes $ ` " \ and
 * newline; outside quotes \ escapes the next character. Nothing is expanded: `$`, backquotes,
 * globs and operators (| ; & < > ( )) are refused, since no shell runs and the user would not get
 * what they meant. Returns undefined for an unset or blank value. `name` (e.g. "KUBECTL") is used
 * in errors.
 */
export function splitCommandLine(value: string | undefined, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const words: string[] = [];
  let word = '';
  let inWord = false;
  const fail = (why: string): never => {
    throw new UserError(`${name}=${value} ${why}.\n` +
      `Fix: set ${name} to a command and its arguments, quoted as for a shell, e.g. ${example(name)}. ` +
      'No shell runs it, so variables, pipes and redirections are not available.');
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = value.indexOf("'", i + 1);
      if (end < 0) fail('has an unterminated single quote');
      word += value.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < value.length && value[j] !== '"'; j++) {
        if (value[j] === '\\' && j + 1 < value.length && '$`"\\\n'.includes(value[j + 1])) {
          if (value[j + 1] !== '\n') word += value[j + 1];
          j++;
        } else if (value[j] === '$' || value[j] === '`') {
          fail(`uses ${value[j]} inside double quotes, which would need a shell to expand`);
        } else {
          word += value[j];
        }
      }
      if (j >= value.length) fail('has an unterminated double quote');
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= value.length) fail('ends with a lone backslash');
      if (value[i + 1] !== '\n') word += value[i + 1];
      inWord = true;
      i++;
    } else if ('$`|;&<>()*?[~#'.includes(c) && !(inWord && '#~'.includes(c))) {
      fail(`contains ${c}, which would need a shell`);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words.length ? words : undefined;
}

/** How this program talks to the cluster and to MicroK8s. */
export interface ClusterCommands {
  /** `microk8s`, or env MICROK8S split into argv. */
  readonly microk8s: readonly string[];
  /** Whether MICROK8S was set (changes the "not installed" message). */
  readonly microk8sFromEnv: boolean;
  /** env KUBECTL, else `<microk8s> kubectl`. */
  readonly kubectl: readonly string[];
  /** True when kubectl is `<microk8s> kubectl` (so it needs a working microk8s). */
  readonly kubectlViaMicrok8s: boolean;
}

/**
 * The one decision of which command talks to the cluster, used by doctor, deploy and verify:
 * env KUBECTL; else env MICROK8S's `<microk8s> kubectl`; else `microk8s kubectl`. Pure.
 * Throws a UserError naming the variable when a value cannot be split (e.g. an unclosed quote).
 */
export function clusterCommands(env: NodeJS.ProcessEnv): ClusterCommands {
  const mkEnv = splitCommandLine(env.MICROK8S, 'MICROK8S');
  const kubectlEnv = splitCommandLine(env.KUBECTL, 'KUBECTL');
  const microk8s = mkEnv ?? ['microk8s'];
  return {
    microk8s,
    microk8sFromEnv: mkEnv !== undefined,
    kubectl: kubectlEnv ?? [...microk8s, 'kubectl'],
    kubectlViaMicrok8s: kubectlEnv === undefined,
  };
}

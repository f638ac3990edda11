/**
 * Runs `helm template` with the chart values on standard input (`--values -`): the values hold
 * every hub secret, so they are never written to a file. Two ways to run it, same arguments and
 * same errors: `runHelmTemplate` blocks (tests, `npm run diff`), `startHelmTemplate` returns at
 * once so the caller can do other work while helm renders (`npm run synth`).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { UserError } from '../util/errors';

/** helm output larger than this is refused (z2jh renders ~80 KB). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** @default for HelmTemplateRequest.timeoutSeconds */
export const DEFAULT_HELM_TIMEOUT_SECONDS = 60;

export interface HelmTemplateRequest {
  /** The helm executable (see resolveHelm). */
  readonly helm: string;
  /** Arguments after `helm`: `template ... --values -` (see helmTemplateArgs). */
  readonly args: readonly string[];
  /** The values document helm reads from standard input. Holds secrets: never logged. */
  readonly valuesYaml: string;
  /** What the chart is, for messages (a path or a repository URL). */
  readonly origin: string;
  /** Strings to hide wherever helm might echo them back in an error (the secret values). */
  readonly secrets: readonly string[];
  /** @default DEFAULT_HELM_TIMEOUT_SECONDS */
  readonly timeoutSeconds?: number;
  /** Environment for helm. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export interface HelmTemplateArgsProps {
  readonly releaseName: string;
  readonly namespace: string;
  readonly kubeVersion: string;
  /** A chart folder or .tgz, or the chart's name in `repo`. */
  readonly chart: string;
  readonly repo?: string;
  readonly version?: string;
}

/** The same arguments cdk8s's Helm construct passed, with the values read from standard input. */
export function helmTemplateArgs(p: HelmTemplateArgsProps): string[] {
  const args = ['template'];
  if (p.repo) args.push('--repo', p.repo);
  if (p.version) args.push('--version', p.version);
  args.push('--namespace', p.namespace, '--kube-version', p.kubeVersion, '--values', '-', p.releaseName, p.chart);
  return args;
}

/** Helm quotes offending values in some errors; keep only the lines that name paths and templates. */
export function redactHelmOutput(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a secret that contains another is hidden whole.
  for (const s of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join('(hidden)');
  return out.replace(/(auth_token|cookie_secret|secretToken|cookieSecret|keys|password|client_secret)(["':= ]+)[^\s"',}]+/gi, '$1$2(hidden)');
}

function timeoutOf(req: HelmTemplateRequest): number {
  return req.timeoutSeconds ?? DEFAULT_HELM_TIMEOUT_SECONDS;
}

function timedOut(req: HelmTemplateRequest): UserError {
  return new UserError(
    `helm template of ${req.origin} did not finish within ${timeoutOf(req)} s and was stopped.\n` +
      'Check that the helm binary works (`helm version`) and, for a chart from a repository, that the network is reachable; ' +
      'or set HUB_HELM_TIMEOUT_SECONDS to wait longer.',
  );
}

function failed(req: HelmTemplateRequest, detail: string): UserError {
  return new UserError(`helm template of ${req.origin} failed:\n${redactHelmOutput(detail, req.secrets).trim()}`);
}

function notStarted(req: HelmTemplateRequest, err: NodeJS.ErrnoException): UserError {
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOTDIR') {
    return new UserError(`Cannot run helm (${req.helm}): ${err.code}. Install it (npm run setup) or set HELM to a helm 3 binary.`);
  }
  return failed(req, err.message);
}

/** Runs helm to completion and returns what it printed on standard output. */
export function runHelmTemplate(req: HelmTemplateRequest): string {
  const r = spawnSync(req.helm, [...req.args], {
    input: req.valuesYaml,
    env: req.env ?? process.env,
    timeout: timeoutOf(req) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_OUTPUT_BYTES,
    encoding: 'utf8',
  });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') throw timedOut(req);
  // EPIPE: helm exited without reading its values; its exit status says why.
  if (r.error && code !== 'EPIPE') {
    if (code === 'ENOBUFS') throw failed(req, `its output is larger than ${MAX_OUTPUT_BYTES} bytes`);
    throw notStarted(req, r.error);
  }
  if (r.status !== 0) throw failed(req, r.stderr || `exit status ${r.status ?? r.signal}`);
  return r.stdout;
}

/** A helm run in the background. */
export interface HelmRun {
  /**
   * Resolves once helm's standard input is closed, so that it has all its values and renders on
   * its own (never rejects; `output` reports failures). Closing the pipe needs the event loop:
   * a caller that goes on with synchronous work before this resolves keeps helm waiting.
   */
  readonly inputSent: Promise<void>;
  /** helm's standard output once it exits with status 0; a UserError otherwise. */
  readonly output: Promise<string>;
  /** Stops helm if it still runs (on any error of the caller). */
  cancel(): void;
}

/** Starts helm and returns at once. */
export function startHelmTemplate(req: HelmTemplateRequest): HelmRun {
  let child: ChildProcess | undefined;
  let finished = false;
  let inputDone: () => void = () => undefined;
  const inputSent = new Promise<void>((resolve) => {
    inputDone = resolve;
  });
  const output = new Promise<string>((resolve, reject) => {
    const done = (err: UserError | undefined, text?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(text!);
    };
    // On timeout, helm is killed and the error given once it has exited (no process left behind).
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      child?.kill('SIGKILL');
    }, timeoutOf(req) * 1000);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    try {
      child = spawn(req.helm, [...req.args], { env: req.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      // spawn reports most failures as an 'error' event, some (ENOTDIR, E2BIG) by throwing.
      inputDone();
      done(notStarted(req, e as NodeJS.ErrnoException));
      return;
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      inputDone();
      done(notStarted(req, e));
    });
    // EPIPE: helm exited without reading its values; its exit status says why.
    child.stdin!.on('error', inputDone);
    child.stdin!.on('finish', inputDone);
    child.stdin!.end(req.valuesYaml);
    child.stdout!.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT_BYTES) {
        child?.kill('SIGKILL');
        done(failed(req, `its output is larger than ${MAX_OUTPUT_BYTES} bytes`));
      } else out.push(b);
    });
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('close', (status, signal) => {
      inputDone();
      // Exit status 0 wins over the timer: a caller that blocked the event loop past the timeout
      // (say waiting for the folder's lock) sees the timer before helm's exit, which was in time.
      if (status === 0) done(undefined, Buffer.concat(out).toString('utf8'));
      else if (expired) done(timedOut(req));
      else done(failed(req, Buffer.concat(err).toString('utf8') || `exit status ${status ?? signal}`));
    });
  });
  // The caller awaits `output` later; until then a failure must not count as unhandled.
  output.catch(() => undefined);
  return {
    inputSent,
    output,
    cancel() {
      if (!finished && child && child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

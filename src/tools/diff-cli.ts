/**
 * `npm run diff [-- --against REF | --dist DIR] [--json]`
 *
 * Synthesizes the working tree in memory and compares it, object by object, with dist/ as
 * committed at a git ref (default HEAD) or with an existing dist/ folder. Secret values are
 * never printed. Exit code: 0 when nothing changed, 1 when something did, 2 when it could not
 * compare (usage, bad config, no such folder or ref, unreadable files); 70 only for a bug.
 * Secrets are gitignored, so against a git ref they are left out of the comparison.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../util/project-root';
import { dataMoves, previousRecord } from '../output/data-move';
import { diffDists, DistDiff, summaryLine } from '../output/object-diff';
import { isSecretFile } from '../output/manifests';
import { synthesize } from '../output/synth';
import { readDist } from '../output/write-dist';
import { runCli, UserError } from '../util/errors';

/** dist/ files as committed at `ref` (relative to dist/). Git failures are "cannot compare" (exit 2). */
export function distAtRef(ref: string, repo = PROJECT_ROOT, distPath = 'dist'): Map<string, string> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: repo, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      const why = e.code === 'ENOENT' ? 'git is not installed' : (String(e.stderr ?? '').trim().split('\n')[0] || 'git failed');
      throw new UserError(`Cannot read dist/ at ${JSON.stringify(ref)}: ${why}.\nFix: run inside the git checkout of your deployment, or compare with a folder: --dist <folder>.`, 2);
    }
  };
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repo, stdio: 'ignore' });
  } catch {
    throw new UserError(`git ref ${JSON.stringify(ref)} not found. Use --against <branch|tag|commit> or --dist <folder>.`, 2);
  }
  const out = new Map<string, string>();
  const names = git(['ls-tree', '-r', '--name-only', ref, '--', `${distPath}/`]).split('\n').filter(Boolean);
  for (const n of names) {
    if (!/\.(ya?ml|json)$/.test(n)) continue;
    out.set(path.posix.relative(distPath, n), git(['show', `${ref}:${n}`]));
  }
  return out;
}

/** A dist/ folder to compare with; a missing folder or a file is "cannot compare", not "everything added". */
export function distInFolder(dir: string): Map<string, string> {
  const shown = path.relative(process.cwd(), dir) || dir;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such folder' : `cannot be read (${code ?? 'unknown error'})`;
    throw new UserError(`Cannot compare: --dist ${shown}: ${why}.\nFix: give the dist/ folder to compare with (a synth output), or compare with git: --against <ref>.`, 2);
  }
  if (!st.isDirectory()) {
    throw new UserError(`Cannot compare: --dist ${shown} is a file, not a folder.\nFix: give the dist/ folder to compare with (a synth output), or compare with git: --against <ref>.`, 2);
  }
  try {
    return readDist(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot compare: a file under --dist ${shown} cannot be read (${code ?? 'unknown error'}).\nFix: check its permissions, or compare with git: --against <ref>.`, 2);
  }
}

const USAGE = 'Usage: npm run diff -- [--against REF | --dist DIR] [--json]';

export interface DiffArgs {
  readonly against: string;
  readonly dist?: string;
  readonly json: boolean;
}

/** The command line; mistakes are usage errors (exit 2). */
export function parseDiffArgs(argv: readonly string[]): DiffArgs {
  let values: { against?: string; dist?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { against: { type: 'string' }, dist: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // parseArgs's messages name the option only ("Unknown option '--x'"), never a value.
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new UserError(`${first}\n${USAGE}`, 2);
  }
  if (values.against !== undefined && values.dist !== undefined) throw new UserError(`Give --against or --dist, not both.\n${USAGE}`, 2);
  if (values.against === '' || values.dist === '') throw new UserError(`--against and --dist need a value.\n${USAGE}`, 2);
  return { against: values.against ?? 'HEAD', dist: values.dist, json: values.json ?? false };
}

export function renderText(d: DistDiff, against: string): string {
  const out: string[] = [];
  for (const id of d.added) out.push(`+ added   ${id}`);
  for (const id of d.removed) out.push(`- removed ${id}`);
  for (const c of d.changed) out.push(`~ changed ${c.id}`);
  for (const c of d.changed) out.push('', c.diff);
  out.push('', `${summaryLine(d)} (against ${against})`);
  return out.join('\n');
}

if (require.main === module) {
  runCli(() => {
    const args = parseDiffArgs(process.argv.slice(2));
    const distDir = args.dist !== undefined ? path.resolve(args.dist) : undefined;
    // The folder first: a wrong --dist should not cost a synth, nor look like "everything added".
    const fromFolder = distDir !== undefined ? distInFolder(distDir) : undefined;
    let next;
    try {
      next = synthesize({ dryRun: true, allowDataMove: true });
    } catch (err) {
      // Documented: 2 means "could not compare", never "changes"; 70 stays a bug.
      if (err instanceof UserError && err.exitCode !== 70) throw new UserError(err.message, 2);
      throw err;
    }
    let before: Map<string, string>;
    let after = new Map(next.files);
    let label: string;
    if (distDir !== undefined && fromFolder !== undefined) {
      before = fromFolder;
      label = path.relative(process.cwd(), distDir) || '.';
    } else {
      const rel = path.relative(PROJECT_ROOT, next.outdir);
      before = distAtRef(args.against, PROJECT_ROOT, rel);
      after = new Map([...after].filter(([n]) => !isSecretFile(n)));
      label = `${args.against}:${rel}/ (Secrets not compared: they are not in git)`;
    }
    // Against git, Secrets are absent and the secret checksums may come from other secrets.
    const d = diffDists(before, after, { ignoreSecretChecksums: !distDir });
    const moves = dataMoves(previousRecord(before), previousRecord(after));
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ against: label, summary: { added: d.added.length, changed: d.changed.length, removed: d.removed.length }, dataMoves: moves, ...d }, null, 2)}\n`);
    } else {
      if (moves.length) process.stdout.write(`WARNING: data-moving change (synth and deploy need --allow-data-move):\n${moves.map((m) => `  ${m}`).join('\n')}\n\n`);
      process.stdout.write(`${renderText(d, label)}\n`);
    }
    return d.added.length + d.changed.length + d.removed.length > 0 ? 1 : 0;
  });
}

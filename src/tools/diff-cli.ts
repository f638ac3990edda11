/**
 * `npm run diff [-- --against REF | --dist DIR] [--json]`
 *
 * Synthesizes the working tree in memory and compares it, object by object, with dist/ as
 * committed at a git ref (default HEAD) or with an existing dist/ folder. Secret values are
 * never printed. Exit code: 0 when nothing changed, 1 when something did, 2 on errors.
 * Secrets are gitignored, so against a git ref they are left out of the comparison.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../util/project-root';
import { dataMoves, previousRecord } from '../output/data-move';
import { diffDists, DistDiff, summaryLine } from '../output/object-diff';
import { isSecretFile } from '../output/manifests';
import { synthesize } from '../output/synth';
import { readDist } from '../output/write-dist';
import { runCli, UserError } from '../util/errors';

/** dist/ files as committed at `ref` (relative to dist/). */
export function distAtRef(ref: string, repo = PROJECT_ROOT, distPath = 'dist'): Map<string, string> {
  const git = (args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
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
    const args = process.argv.slice(2);
    let against = 'HEAD';
    let distDir: string | undefined;
    let json = false;
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--against') against = args[++i] ?? '';
      else if (args[i] === '--dist') distDir = path.resolve(args[++i] ?? '');
      else if (args[i] === '--json') json = true;
      else throw new UserError(`Unknown argument ${args[i]}. Usage: npm run diff -- [--against REF | --dist DIR] [--json]`, 2);
    }
    let next;
    try {
      next = synthesize({ dryRun: true, allowDataMove: true });
    } catch (err) {
      // Documented: 2 means "could not compare", never "changes".
      if (err instanceof UserError) throw new UserError(err.message, 2);
      throw err;
    }
    let before: Map<string, string>;
    let after = new Map(next.files);
    let label: string;
    if (distDir) {
      before = readDist(distDir);
      label = path.relative(process.cwd(), distDir) || '.';
    } else {
      const rel = path.relative(PROJECT_ROOT, next.outdir);
      before = distAtRef(against, PROJECT_ROOT, rel);
      after = new Map([...after].filter(([n]) => !isSecretFile(n)));
      label = `${against}:${rel}/ (Secrets not compared: they are not in git)`;
    }
    // Against git, Secrets are absent and the secret checksums may come from other secrets.
    const d = diffDists(before, after, { ignoreSecretChecksums: !distDir });
    const moves = dataMoves(previousRecord(before), previousRecord(after));
    if (json) {
      process.stdout.write(`${JSON.stringify({ against: label, summary: { added: d.added.length, changed: d.changed.length, removed: d.removed.length }, dataMoves: moves, ...d }, null, 2)}\n`);
    } else {
      if (moves.length) process.stdout.write(`WARNING: data-moving change (synth and deploy need --allow-data-move):\n${moves.map((m) => `  ${m}`).join('\n')}\n\n`);
      process.stdout.write(`${renderText(d, label)}\n`);
    }
    return d.added.length + d.changed.length + d.removed.length > 0 ? 1 : 0;
  });
}

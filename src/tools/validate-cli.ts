/**
 * `npm run validate [-- DIR] [--allow-kind Kind]`: offline validation of a synthesized dist/
 * (synth runs the same checks before it writes). Exit 0 when clean, 1 with one line per problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowedKinds, DEFAULT_OUTDIR } from '../output/synth';
import { formatProblems, validateFiles } from '../output/validate';
import { readDist } from '../output/write-dist';
import { runCli, UserError } from '../util/errors';

runCli(() => {
  const args = process.argv.slice(2);
  const allow = [...allowedKinds(process.env)];
  let dir = DEFAULT_OUTDIR;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--allow-kind') allow.push(args[++i] ?? '');
    else if (args[i].startsWith('--')) throw new UserError(`Unknown option ${args[i]}. Usage: npm run validate -- [DIR] [--allow-kind Kind]`, 2);
    else dir = path.resolve(args[i]);
  }
  if (!fs.existsSync(dir)) throw new UserError(`${dir} does not exist. Run \`npx cdk8s synth\` first.`);
  const files = readDist(dir);
  const problems = validateFiles(files, { allowKinds: allow });
  let objects = 0;
  for (const text of files.values()) objects += (text.match(/^---$/gm) ?? []).length;
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} problem(s) in ${path.relative(process.cwd(), dir) || '.'}/:\n${formatProblems(problems)}\n`);
    return 1;
  }
  process.stdout.write(`OK: ${objects} objects in ${files.size} files valid against Kubernetes 1.27 and MetalLB v0.13.10 schemas.\n`);
  return 0;
});

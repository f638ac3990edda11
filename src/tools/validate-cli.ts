/**
 * `npm run validate [-- DIR] [--allow-kind Kind] [--microk8s-release 1.32]`: offline validation of
 * a synthesized dist/ (synth runs the same checks before it writes). Exit 0 when clean, 1 with one
 * line per problem, 2 for a usage mistake.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { metallbVersionsFor, SUPPORTED_RELEASES } from '../cluster/microk8s-release';
import { allowedKinds, DEFAULT_OUTDIR } from '../output/synth';
import { formatProblems, kubernetesSchemaSource, validateFiles } from '../output/validate';
import { readDist } from '../output/write-dist';
import { runCli, UserError } from '../util/errors';

const USAGE = 'Usage: npm run validate -- [DIR] [--allow-kind Kind]... [--microk8s-release 1.32]';

runCli(() => {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { 'allow-kind': { type: 'string', multiple: true }, 'microk8s-release': { type: 'string' } },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    process.stderr.write(`One folder at most, got ${positionals.length}.\n${USAGE}\n`);
    return 2;
  }
  const release = values['microk8s-release'];
  if (release !== undefined && !SUPPORTED_RELEASES.includes(release)) {
    process.stderr.write(`--microk8s-release ${release} is not a supported MicroK8s release (${SUPPORTED_RELEASES.join(', ')}).\n${USAGE}\n`);
    return 2;
  }
  const allow = [...allowedKinds(process.env), ...(values['allow-kind'] ?? [])];
  const dir = path.resolve(positionals[0] ?? DEFAULT_OUTDIR);
  if (!fs.existsSync(dir)) throw new UserError(`${dir} does not exist. Run \`npx cdk8s synth\` first.`);
  const files = readDist(dir);
  const problems = validateFiles(files, { allowKinds: allow, microk8sRelease: release });
  let objects = 0;
  for (const text of files.values()) objects += (text.match(/^---$/gm) ?? []).length;
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} problem(s) in ${path.relative(process.cwd(), dir) || '.'}/:\n${formatProblems(problems)}\n`);
    return 1;
  }
  process.stdout.write(`OK: ${objects} objects in ${files.size} files valid against the ${kubernetesSchemaSource()} schemas and ` +
    `MetalLB ${metallbVersionsFor(release).join(', ')} (MicroK8s ${release ?? SUPPORTED_RELEASES[0] + '-' + SUPPORTED_RELEASES[SUPPORTED_RELEASES.length - 1]}).\n`);
  return 0;
});

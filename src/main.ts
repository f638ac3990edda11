/**
 * The cdk8s app (cdk8s.yaml `app`): `npx cdk8s synth` runs this. It synthesizes the config into
 * dist/ (see src/output/synth.ts); `--allow-data-move` permits a storage location change.
 */
import { synthesize, summarize } from './output/synth';
import { runCli } from './util/errors';

runCli(() => {
  const env = { ...process.env };
  if (process.argv.includes('--allow-data-move')) env.HUB_ALLOW_DATA_MOVE = '1';
  const r = synthesize({ env });
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`${summarize(r)}\n`);
  if (r.placeholderReasons.length > 0) {
    process.stderr.write(
      '\nWARNING: dist/ is NOT deployable: it holds placeholder secrets.\n' +
        r.placeholderReasons.map((x) => `  - ${x}\n`).join('') +
        'Fine for CI diffs and reviews; `npm run deploy` refuses it.\n',
    );
  }
});

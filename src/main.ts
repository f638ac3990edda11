/**
 * The cdk8s app (cdk8s.yaml `app`): `npx cdk8s synth` and `npm run synth` run this. It
 * synthesizes the config into dist/ (see src/output/synth.ts); `--allow-data-move` permits a
 * storage location change.
 */
import * as fs from 'node:fs';
import { synthesizeAsync, summarize } from './output/synth';
import { runCli, UserError } from './util/errors';

// cdk8s-cli captures the app's stdout and shows only its stderr: talk to people on stderr there.
const underCdk8sCli = process.env.CDK8S_OUTDIR !== undefined;
const say = (text: string) => (underCdk8sCli ? process.stderr : process.stdout).write(text);
// cdk8s-cli empties its output folder before running the app, except in --stdout mode, where it
// hands the app a fresh temporary folder.
const stagingExisted = underCdk8sCli && fs.existsSync(process.env.CDK8S_OUTDIR!);

runCli(async () => {
  const env = { ...process.env };
  if (process.argv.includes('--allow-data-move')) env.HUB_ALLOW_DATA_MOVE = '1';
  try {
    const r = await synthesizeAsync({ env });
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    say(`${summarize(r)}\n`);
    if (r.placeholderReasons.length > 0) {
      process.stderr.write(
        '\nWARNING: dist/ is NOT deployable: it holds placeholder secrets.\n' +
          r.placeholderReasons.map((x) => `  - ${x}\n`).join('') +
          'Fine for CI diffs and reviews; `npm run deploy` refuses it.\n',
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof UserError && underCdk8sCli && !stagingExisted) {
      // A non-zero exit makes cdk8s-cli print a stack trace of its own. Exiting 0 without
      // creating its output folder makes it report "synthesis failed" and exit 1 instead.
      process.stderr.write(`${err.message.trimEnd()}\n`);
      return 0;
    }
    throw err;
  }
});

/**
 * `npm run plan`: the capacity plan for the configured machines (from config: no cluster is
 * needed). Per profile, how many users fit at once by CPU and memory guarantees and GPUs; the
 * system pods' requests; the disk the homes need. Exit 0; warnings are printed, not fatal.
 */
import { capacityPlan, renderPlan } from '../cluster/capacity';
import { loadConfig } from '../config/load';
import { parseCliArgs } from '../util/cli-args';
import { runCli } from '../util/errors';

runCli(() => {
  // No options: the config comes from HUB_CONFIG or src/config.ts. Anything given is a mistake.
  parseCliArgs({ usage: 'npm run plan   (reads the config from HUB_CONFIG or src/config.ts)', options: {} });
  const { config, source } = loadConfig();
  process.stdout.write(`Capacity plan for ${source}\n\n${renderPlan(capacityPlan(config), config)}\n`);
  return 0;
});

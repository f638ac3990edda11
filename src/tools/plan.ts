/**
 * `npm run plan`: the capacity plan for the configured machines (from config: no cluster is
 * needed). Per profile, how many users fit at once by CPU and memory guarantees and GPUs; the
 * system pods' requests; the disk the homes need. Exit 0; warnings are printed, not fatal.
 */
import { capacityPlan, renderPlan } from '../cluster/capacity';
import { loadConfig } from '../config/load';
import { runCli } from '../util/errors';

runCli(() => {
  const { config, source } = loadConfig();
  process.stdout.write(`Capacity plan for ${source}\n\n${renderPlan(capacityPlan(config), config)}\n`);
  return 0;
});

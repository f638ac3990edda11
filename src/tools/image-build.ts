/**
 * `npm run image:build [-- --dry-run]`: builds images/team and pushes it to the MicroK8s
 * registry addon (`microk8s enable registry`, localhost:32000) as teamImage.name:teamImage.tag.
 * Prints every command first. Needs Docker (or env DOCKER, e.g. "podman").
 */
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import type { HubConfig } from '../config/schema';
import { PROJECT_ROOT } from '../util/project-root';
import { imageString } from '../hub/profiles';
import { parseCliArgs } from '../util/cli-args';
import { describeFailure, formatArgv, runSync, splitCommandLine, succeeded } from '../util/command';
import { runCli, UserError } from '../util/errors';

/** A first build pulls a multi-GB base image: an hour before we call it stuck. */
const BUILD_TIMEOUT_MS = 60 * 60_000;

/** The build and push commands for the team image. Pure. */
export function imageBuildCommands(c: HubConfig, docker: readonly string[] = ['docker']): string[][] {
  const image = imageString({ name: c.teamImage.name, tag: c.teamImage.tag });
  const context = path.join(PROJECT_ROOT, 'images', 'team');
  return [
    [...docker, 'build', '--pull', '--build-arg', `BASE_IMAGE=${imageString(c.notebook.image)}`, '--tag', image, context],
    [...docker, 'push', image],
  ];
}

if (require.main === module) {
  runCli(() => {
    const dry = parseCliArgs({ usage: 'npm run image:build [-- --dry-run]', options: { 'dry-run': { type: 'boolean' } } }).values['dry-run'] === true;
    const { config } = loadConfig();
    const docker = splitCommandLine(process.env.DOCKER, 'DOCKER') ?? ['docker'];
    for (const cmd of imageBuildCommands(config, docker)) {
      process.stdout.write(`$ ${formatArgv(cmd)}\n`);
      if (dry) continue;
      const r = runSync(cmd, { timeoutMs: BUILD_TIMEOUT_MS, output: 'inherit' });
      if (!succeeded(r)) throw new UserError(`${describeFailure(r)}\nIs Docker running, and the registry addon enabled (microk8s enable registry)?`);
    }
    if (!config.teamImage.enabled) process.stdout.write('Next: set teamImage.enabled: true (and bump teamImage.tag on every change), then synth and deploy.\n');
    return 0;
  });
}

/**
 * `npm run image:build [-- --dry-run]`: builds images/team and pushes it to the MicroK8s
 * registry addon (`microk8s enable registry`, localhost:32000) as teamImage.name:teamImage.tag.
 * Prints every command first. Needs Docker (or env DOCKER, e.g. "podman").
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import type { HubConfig } from '../config/schema';
import { PROJECT_ROOT } from '../util/project-root';
import { imageString } from '../hub/profiles';
import { runCli, UserError } from '../util/errors';

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
    const dry = process.argv.includes('--dry-run');
    const { config } = loadConfig();
    const docker = (process.env.DOCKER ?? 'docker').trim().split(/\s+/);
    for (const cmd of imageBuildCommands(config, docker)) {
      process.stdout.write(`$ ${cmd.join(' ')}\n`);
      if (dry) continue;
      const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
      if (r.error || r.status !== 0) throw new UserError(`${cmd[0]} failed (${r.error?.message ?? `exit ${r.status}`}). Is Docker running, and the registry addon enabled (microk8s enable registry)?`);
    }
    if (!config.teamImage.enabled) process.stdout.write('Next: set teamImage.enabled: true (and bump teamImage.tag on every change), then synth and deploy.\n');
    return 0;
  });
}

/**
 * The real hub code for the tests: ../shared/hub-runtime runs jupyterhub 4.0.2, oauthenticator
 * 16.1.0 and kubespawner 6.1.0 (the z2jh 3.1.0 hub image's pins) against a dist/ folder and
 * writes a JSON report (see its README). Where it or its Python packages are absent,
 * `hubRuntimeSkipReason()` says why and the tests skip with that reason; CI has it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED } from './envtest';

export const HUB_RUNTIME = path.join(SHARED, 'hub-runtime');
const SCRIPT = path.join(HUB_RUNTIME, 'run-hub-config.sh');

let cachedReason: string | undefined | null = null;

/** Why the hub runtime cannot run here, or undefined when it can. */
export function hubRuntimeSkipReason(): string | undefined {
  if (cachedReason !== null) return cachedReason;
  cachedReason = (() => {
    if (!fs.existsSync(SCRIPT)) return `no ${SCRIPT} (../shared/hub-runtime is absent)`;
    // Its Debian python3-* packages (setup.sh installs them) and the pinned sources.
    const probe = spawnSync('/bin/bash', ['-c', `. "${path.join(HUB_RUNTIME, 'env.sh')}" && /usr/bin/python3 -c "import jupyterhub.app, oauthenticator.auth0, kubespawner.spawner, psycopg2"`], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status !== 0) return `hub-runtime's Python packages are missing (run ../shared/hub-runtime/setup.sh): ${(probe.stderr || '').trim().split('\n').pop()}`;
    const ns = spawnSync('unshare', process.getuid?.() === 0 ? ['--mount', '--net', 'true'] : ['--user', '--map-root-user', '--mount', '--net', 'true'], { encoding: 'utf8' });
    if (ns.status !== 0) return `hub-runtime needs root or user namespaces for unshare: ${(ns.stderr || '').trim()}`;
    return undefined;
  })();
  // CI has ../shared and runs as root: there a missing prerequisite must fail, never skip quietly.
  if (cachedReason && process.env.CI === 'true' && fs.existsSync(HUB_RUNTIME)) {
    throw new Error(`CI must run the real hub code, but cannot: ${cachedReason}`);
  }
  return cachedReason;
}

/** Runs the hub code on `dist`; `exec`: a Python file defining `async def check(app)`. */
export function runHubRuntime(dist: string, opts: { exec?: string; out: string }): any {
  const args = [dist, '--out', opts.out, ...(opts.exec ? ['--exec', opts.exec] : [])];
  const r = spawnSync(SCRIPT, args, { encoding: 'utf8', timeout: 360_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 || !fs.existsSync(opts.out)) {
    throw new Error(`run-hub-config.sh ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || '').slice(-4000)}`);
  }
  return JSON.parse(fs.readFileSync(opts.out, 'utf8'));
}

import { isSecretFile } from './manifests';

/**
 * Which non-secret files contain any of `secrets`, as written or base64-encoded. Used by every
 * synth as a last line of defence: a hit aborts the synth before anything is written.
 */
export function findLeaks(files: ReadonlyMap<string, string>, secrets: readonly string[]): string[] {
  const needles = secrets
    .filter((s) => s.length >= 8)
    .flatMap((s) => [s, Buffer.from(s).toString('base64').replace(/=+$/, '')]);
  const leaks: string[] = [];
  for (const [name, content] of files) {
    if (isSecretFile(name)) continue;
    if (needles.some((n) => content.includes(n))) leaks.push(name);
  }
  return leaks;
}

import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The project folder (the one with cdk8s.yaml and package.json), found by walking up from this
 * file, so it is the same whether the code runs from src/ (tsx) or from the compiled copy in
 * .cache/build/ (src/launch.mjs).
 */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'cdk8s.yaml')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '..', '..');
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot(__dirname);

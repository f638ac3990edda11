/**
 * src/launch.mjs, what cdk8s.yaml and every npm script run: one esbuild bundle per entry, rebuilt
 * when a source file changes (an edit of src/config.ts must reach the next synth), reused
 * otherwise; the entry runs as the main module (the CLIs in src/tools/ start on
 * `require.main === module`); a syntax error is reported by file and line, without a stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A tiny project laid out like this one (src/launch.mjs, node_modules), so edits stay out of the checkout. */
function project(): string {
  const dir = fs.mkdtempSync(path.join(work, 'p-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.copyFileSync(path.join(ROOT, 'src', 'launch.mjs'), path.join(dir, 'src', 'launch.mjs'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'src', 'msg.ts'), "export const msg: string = 'first';\n");
  fs.writeFileSync(path.join(dir, 'src', 'hello.ts'), [
    "import { msg } from './msg';",
    "import * as yaml from 'js-yaml';",
    'if (require.main === module) process.stdout.write(yaml.dump({ msg, args: process.argv.slice(2) }));',
    '',
  ].join('\n'));
  return dir;
}

const run = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(dir, 'src', 'launch.mjs'), 'src/hello.ts', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });

describe('the launcher', () => {
  it('runs the entry as the main module with its arguments, packages from node_modules', () => {
    const dir = project();
    const r = run(dir, '--allow-data-move', 'x');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'msg: first\nargs:\n  - \'--allow-data-move\'\n  - x\n');
  });

  it('rebuilds after an edit of an imported file, and only then', () => {
    const dir = project();
    assert.equal(run(dir).status, 0);
    const bundle = path.join(dir, '.cache', 'build', 'src', 'hello.cjs');
    const built = fs.statSync(bundle).mtimeMs;
    assert.match(run(dir).stdout, /msg: first/);
    assert.equal(fs.statSync(bundle).mtimeMs, built, 'unchanged sources: the bundle is reused');
    fs.writeFileSync(path.join(dir, 'src', 'msg.ts'), "export const msg: string = 'second, edited';\n");
    assert.match(run(dir).stdout, /msg: second, edited/);
  });

  it('reports a syntax error by file and line, exit 1, no stack trace', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'src', 'msg.ts'), "export const msg: string = 'unclosed;\n");
    const r = run(dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^src\/msg\.ts:1:\d+: Unterminated string literal/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});

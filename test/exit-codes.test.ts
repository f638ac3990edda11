/**
 * Exit codes as README documents them: 0 ok, 1 a problem the user can fix (config, files, the
 * machine), 2 usage or "could not compare", 70 only for a bug. A file where a folder is expected
 * is the machine's state, not a bug.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { environmentError, UserError } from '../src/util/errors';
import { baseConfig, runTs, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-exit-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** The error Node gives for `fn`, which must fail. */
function nodeError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a failure');
}

describe('file-system failures become user errors that name the path', () => {
  const file = path.join(work, 'a-file');
  fs.writeFileSync(file, 'x');

  it('a file where a folder is expected (list, create, write beneath)', () => {
    for (const [err, action] of [
      [nodeError(() => fs.readdirSync(file)), 'list the folder'],
      [nodeError(() => fs.mkdirSync(file)), 'create the folder'],
      [nodeError(() => fs.writeFileSync(path.join(file, 'x.yaml'), '')), 'open'],
    ] as const) {
      const u = environmentError(err);
      assert.ok(u instanceof UserError);
      assert.equal(u.exitCode, 1);
      assert.match(u.message, new RegExp(`^Cannot ${action} ${file.replace(/[/.]/g, '\\$&')}.*: (a file is in the way where a folder is expected|it is a folder where a file is expected) \\((ENOTDIR|EEXIST)\\)\\.\\nFix: check that path`));
    }
    const isDir = environmentError(nodeError(() => fs.readFileSync(work)));
    assert.match(isDir!.message, /it is a folder where a file is expected \(EISDIR\)/);
  });

  it('leaves other errors alone: they are bugs', () => {
    assert.equal(environmentError(new TypeError('x is undefined')), undefined);
    assert.equal(environmentError(nodeError(() => fs.readFileSync(path.join(work, 'missing')))), undefined, 'ENOENT is for the code to handle');
  });
});

describe('the synth command', () => {
  it('HUB_OUTDIR naming a file: exit 1 with the path, not 70 "internal error"', () => {
    const dir = path.join(work, 'outdir-file');
    fs.mkdirSync(dir, { recursive: true });
    const outdir = path.join(dir, 'dist');
    fs.writeFileSync(outdir, 'not a folder');
    const r = runTs('src/main.ts', [], synthEnv(dir, { HUB_CONFIG: writeConfig(dir, baseConfig()), HUB_OUTDIR: outdir }));
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(outdir) || r.stderr.includes(path.relative(process.cwd(), outdir)), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|This is a bug|^\s+at /m);
    assert.equal(fs.readFileSync(outdir, 'utf8'), 'not a folder', 'the file is left alone');
  });
});

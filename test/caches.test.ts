/**
 * The compiled-validator cache (.cache/validators/, or HUB_CACHE_DIR) may be left damaged by a
 * full disk, a crash of the file system or a hand edit: synth and validate must then compile
 * again, not fail with an internal error and not accept a broken object. (Writes are atomic, so
 * a crash of ours cannot damage it; a file replaced on purpose is not defended against: whoever
 * can write .cache/ can write src/. The Helm version cache is covered in helm-install.test.ts.)
 */
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTs, snapshot, synthEnv, tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

const corruptions: [string, (text: string) => string][] = [
  ['cut short (a syntax error)', (t) => t.slice(0, Math.floor(t.length / 2))],
  ['empty', () => ''],
  ['valid JavaScript exporting nothing', () => 'module.exports = {};\n'],
];

function corruptAll(cache: string, corrupt: (text: string) => string): string[] {
  const dir = path.join(cache, 'validators');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));
  for (const f of files) fs.writeFileSync(path.join(dir, f), corrupt(fs.readFileSync(path.join(dir, f), 'utf8')));
  return files;
}

describe('damaged validator cache', () => {
  const dir = path.join(work, 'hub');
  const cache = path.join(work, 'cache');
  const badDist = path.join(work, 'bad-dist');
  before(() => {
    const first = runTs('src/main.ts', [], synthEnv(dir, { HUB_CACHE_DIR: cache }));
    assert.equal(first.status, 0, first.stderr);
    fs.cpSync(path.join(dir, 'dist'), badDist, { recursive: true });
    const hub = path.join(badDist, '10-jupyterhub.yaml');
    const text = fs.readFileSync(hub, 'utf8');
    assert.match(text, /^\s+replicas: \d+$/m);
    fs.writeFileSync(hub, text.replace(/^(\s+)replicas: \d+$/m, '$1replicas: "many"'));
  });

  it('synth with every cached validator exporting nothing: compiles again, same dist/', () => {
    const env = synthEnv(dir, { HUB_CACHE_DIR: cache });
    const files = corruptAll(cache, corruptions[2][1]);
    assert.ok(files.length >= 2, `values and Kubernetes validators cached: ${files.join(', ')}`);
    const before = snapshot(path.join(dir, 'dist'));
    const again = runTs('src/main.ts', [], env);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(snapshot(path.join(dir, 'dist')), before);
    // The values validator is rewritten whole (validate's Kubernetes ones are not needed by synth's own pass if cached elsewhere).
    const rewritten = files.filter((f) => fs.readFileSync(path.join(cache, 'validators', f), 'utf8').length > 1000);
    assert.ok(rewritten.some((f) => f.startsWith('values-')), `values validator not rewritten: ${rewritten.join(', ')}`);
  });

  for (const [what, corrupt] of corruptions) {
    it(`validate with a cache that is ${what}: still finds the broken object`, () => {
      corruptAll(cache, corrupt);
      const checked = runTs('src/tools/validate-cli.ts', [badDist], synthEnv(dir, { HUB_CACHE_DIR: cache }));
      assert.equal(checked.status, 1, `validate accepted a Deployment with replicas "many":\n${checked.stdout}${checked.stderr}`);
      assert.match(checked.stderr, /replicas/);
      assert.doesNotMatch(checked.stderr, /internal error|^\s+at /m);
    });
  }

  it('V8 code caches: written beside the validators synth used; garbage in them is ignored and replaced', () => {
    const env = synthEnv(dir, { HUB_CACHE_DIR: cache });
    const first = runTs('src/main.ts', [], env);
    assert.equal(first.status, 0, first.stderr);
    const vdir = path.join(cache, 'validators');
    const codeCaches = fs.readdirSync(vdir).filter((f) => f.endsWith('.v8cache'));
    assert.ok(codeCaches.some((f) => f.startsWith('values-')) && codeCaches.some((f) => f.startsWith('k8s-')), codeCaches.join(', '));
    for (const f of codeCaches) assert.ok(fs.existsSync(path.join(vdir, f.replace(/\.js\..*$/, '.js'))), `${f} sits beside its validator`);
    const before = snapshot(path.join(dir, 'dist'));
    for (const f of codeCaches) fs.writeFileSync(path.join(vdir, f), 'not V8 code');
    const again = runTs('src/main.ts', [], env);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(snapshot(path.join(dir, 'dist')), before);
    for (const f of codeCaches) assert.notEqual(fs.readFileSync(path.join(vdir, f), 'utf8'), 'not V8 code', `${f} was replaced`);
  });
});

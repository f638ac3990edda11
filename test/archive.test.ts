/**
 * The tar and zip readers, on real archives made by GNU tar and zip: the header flavours a chart
 * .tgz or an npm tarball can come in (ustar, GNU long names, PAX), paths longer than the 100
 * bytes a plain ustar name field holds, corruption.
 */
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { extractFromTgz, extractFromZip } from '../src/util/archive';
import { readChartFile } from '../src/hub/chart-source';
import { tmpdir } from './helpers';

const haveTar = spawnSync('tar', ['--version']).status === 0;
const haveZip = spawnSync('zip', ['-v']).status === 0;

/** One path component of 120 characters: too long for ustar's 100-byte name field and not splittable into its prefix. */
const LONG_DIR = 'd'.repeat(120);
const LONG_FILE = `${LONG_DIR}/values.schema.json`;
/** > 255 bytes in all: beyond even ustar's prefix + name. */
const VERY_LONG_FILE = `${'a'.repeat(90)}/${'b'.repeat(90)}/${'c'.repeat(90)}/Chart.yaml`;

describe('extractFromTgz on archives made by GNU tar', { skip: haveTar ? false : 'GNU tar is not installed' }, () => {
  let dir: string;
  before(() => {
    dir = tmpdir();
    const src = path.join(dir, 'src');
    for (const [rel, text] of [[LONG_FILE, 'long-name contents\n'], [VERY_LONG_FILE, 'name: jupyterhub\n'], ['short.txt', 'short\n']]) {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), text);
    }
    fs.writeFileSync(path.join(src, 'big.bin'), Buffer.alloc(300_000, 7));
    for (const format of ['gnu', 'pax']) {
      const r = spawnSync('tar', [`--format=${format}`, '-czf', path.join(dir, `${format}.tgz`), '-C', src, '.'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    // The way `helm package` lays a chart out: top folder, no "./".
    const r = spawnSync('tar', ['--format=pax', '-czf', path.join(dir, 'chart.tgz'), '-C', src, '--transform', 's,^\\.,jupyterhub,', '.'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of ['gnu', 'pax']) {
    it(`--format=${format}: a file under a 120-character folder name`, () => {
      const tgz = fs.readFileSync(path.join(dir, `${format}.tgz`));
      // Proof the archive really uses the long-name mechanism the test is about.
      const raw = zlib.gunzipSync(tgz).toString('latin1');
      assert.ok(format === 'gnu' ? raw.includes('././@LongLink') : raw.includes(`path=./${LONG_FILE}`), `${format} archive without long-name headers`);
      assert.equal(extractFromTgz(tgz, LONG_FILE).toString(), 'long-name contents\n');
      assert.equal(extractFromTgz(tgz, `./${LONG_FILE}`).toString(), 'long-name contents\n');
    });
    it(`--format=${format}: a path longer than 255 bytes, a short one, and a file spanning many blocks`, () => {
      const tgz = fs.readFileSync(path.join(dir, `${format}.tgz`));
      assert.equal(extractFromTgz(tgz, VERY_LONG_FILE).toString(), 'name: jupyterhub\n');
      assert.equal(extractFromTgz(tgz, 'short.txt').toString(), 'short\n');
      assert.deepEqual(extractFromTgz(tgz, 'big.bin'), Buffer.alloc(300_000, 7));
    });
    it(`--format=${format}: a missing file and a folder are "not found"`, () => {
      const tgz = fs.readFileSync(path.join(dir, `${format}.tgz`));
      assert.throws(() => extractFromTgz(tgz, 'nope.txt'), /nope\.txt not found in archive/);
      assert.throws(() => extractFromTgz(tgz, LONG_DIR), /not found in archive/);
      // The 100-byte truncation an ustar-only reader would see must not match either.
      assert.throws(() => extractFromTgz(tgz, `./${LONG_FILE}`.slice(0, 100)), /not found in archive/);
    });
  }

  it('uncompressed tar works too', () => {
    const tar = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'pax.tgz')));
    assert.equal(extractFromTgz(tar, 'short.txt').toString(), 'short\n');
  });

  it('a truncated archive is an error, not a partial file', () => {
    const tar = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'pax.tgz')));
    // Cut inside big.bin's data (its header is followed by 300,000 bytes of 0x07).
    const at = tar.indexOf(Buffer.alloc(1024, 7));
    assert.ok(at > 0);
    assert.throws(() => extractFromTgz(zlib.gzipSync(tar.subarray(0, at + 2048)), 'big.bin'), /corrupt tar archive|not found/);
    assert.throws(() => extractFromTgz(fs.readFileSync(path.join(dir, 'pax.tgz')).subarray(0, 60), 'short.txt'), /corrupt tar archive|not found/);
  });

  it('readChartFile reads a packaged chart whose files have long PAX names', () => {
    const chart = path.join(dir, 'chart.tgz');
    assert.equal(readChartFile(chart, VERY_LONG_FILE)?.toString(), 'name: jupyterhub\n');
    assert.equal(readChartFile(chart, 'short.txt')?.toString(), 'short\n');
    assert.equal(readChartFile(chart, 'missing.yaml'), undefined);
  });
});

describe('extractFromZip on an archive made by zip', { skip: haveZip ? false : 'zip is not installed' }, () => {
  it('stored and deflated entries', () => {
    const dir = tmpdir();
    fs.mkdirSync(path.join(dir, 'helm'));
    fs.writeFileSync(path.join(dir, 'helm', 'helm'), Buffer.alloc(50_000, 1));
    fs.writeFileSync(path.join(dir, 'stored.txt'), 'as is');
    assert.equal(spawnSync('zip', ['-q', '-r', 'deflated.zip', 'helm'], { cwd: dir }).status, 0);
    assert.equal(spawnSync('zip', ['-q', '-0', 'deflated.zip', 'stored.txt'], { cwd: dir }).status, 0);
    const zip = fs.readFileSync(path.join(dir, 'deflated.zip'));
    assert.deepEqual(extractFromZip(zip, 'helm/helm'), Buffer.alloc(50_000, 1));
    assert.equal(extractFromZip(zip, 'stored.txt').toString(), 'as is');
    assert.throws(() => extractFromZip(zip, 'nope'), /nope not found in zip/);
    assert.throws(() => extractFromZip(Buffer.from('not a zip at all, just text'), 'x'), /not a zip archive/);
    fs.rmSync(dir, { recursive: true });
  });
});

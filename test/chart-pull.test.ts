/** npm run chart:pull against a chart repository served on loopback by the test. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveChartSource } from '../src/hub/chart-source';
import { resolveHelm } from '../src/hub/helm-binary';
import { digestFromIndex, pullChart } from '../src/tools/chart-pull';
import { FIXTURE_CHART, tmpdir } from './helpers';

const work = tmpdir();
const repoDir = path.join(work, 'repo');
let server: http.Server;
let url = '';

before(async () => {
  fs.mkdirSync(repoDir, { recursive: true });
  const helm = resolveHelm().command;
  assert.equal(spawnSync(helm, ['package', FIXTURE_CHART, '--destination', repoDir]).status, 0);
  server = http.createServer((req, res) => {
    const file = path.join(repoDir, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  assert.equal(spawnSync(helm, ['repo', 'index', repoDir, '--url', url]).status, 0);
});
after(() => {
  server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('chart:pull', () => {
  it('downloads the pinned version, checks the index digest, and records it for synth', async () => {
    const charts = path.join(work, 'charts');
    const file = await pullChart('3.1.0', url, charts);
    assert.equal(path.basename(file), 'jupyterhub-3.1.0.tgz');
    const recorded = fs.readFileSync(`${file}.sha256`, 'utf8').split(/\s+/)[0];
    assert.equal(recorded, digestFromIndex(fs.readFileSync(path.join(repoDir, 'index.yaml'), 'utf8'), '3.1.0'));
    assert.equal(resolveChartSource('3.1.0', {}, charts).kind, 'cache');
  });

  it('refuses a tarball whose digest differs from the index, and keeps nothing', async () => {
    const index = fs.readFileSync(path.join(repoDir, 'index.yaml'), 'utf8');
    fs.writeFileSync(path.join(repoDir, 'index.yaml'), index.replace(/digest: [0-9a-f]{64}/, `digest: ${'1'.repeat(64)}`));
    const charts = path.join(work, 'charts-bad');
    await assert.rejects(pullChart('3.1.0', url, charts), /has sha256 [0-9a-f]{64} but .*index\.yaml says 1{64}; removed it/);
    assert.equal(fs.existsSync(path.join(charts, 'jupyterhub-3.1.0.tgz')), false);
    fs.writeFileSync(path.join(repoDir, 'index.yaml'), index);
  });

  it('says so when the version does not exist', async () => {
    await assert.rejects(pullChart('9.9.9', url, path.join(work, 'charts-none')), /has no jupyterhub 9\.9\.9/);
  });
});

/**
 * The fixture chart stands in for z2jh 3.1.0 in every test here, so its hub configuration
 * (test/fixtures/z2jh-fixture/files/hub/*.py) must make the real hub code (../shared/hub-runtime:
 * JupyterHub 4.0.2, OAuthenticator 16.1.0, KubeSpawner 6.1.0) configure itself exactly as the real
 * chart's does. The real chart's reports for a set of value files were recorded with
 * `tools/hub-equivalence.sh --record /path/to/real/jupyterhub` (the real chart is not in CI);
 * this test renders the same values with the fixture and compares the reports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers';
import { hubRuntimeSkipReason } from './support/hub-runtime';

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'z2jh-fixture', 'tools', 'hub-equivalence.sh');

describe('the fixture chart configures the real hub code as z2jh 3.1.0 does', { skip: hubRuntimeSkipReason() }, () => {
  it('every recorded real-chart report equals the fixture\'s (tools/recorded)', () => {
    const r = spawnSync('bash', [SCRIPT, '--recorded'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, `hub-equivalence.sh --recorded exit ${r.status}:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /every-hub-setting/);
  });
});

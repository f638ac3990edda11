/**
 * Upgrading from a version that named every hub's StorageClass "jupyterhub-<backend>" and its
 * MetalLB pool "jupyterhub": this version names both after the hub (two hubs on one cluster must
 * not share them). A hub outside namespace "jupyterhub" would see its hub-db-dir claim change
 * class (the API server refuses that) and a second pool over the same addresses (MetalLB's
 * webhook refuses that): synth stops first and names the one config line that keeps the old
 * names, never a volume move.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { synthesize } from '../src/output/synth';
import { UserError } from '../src/util/errors';
import { baseConfig, readObjects, synthEnv, tmpdir, writeConfig } from './helpers';

const work = tmpdir('mk8s-jh-upgrade-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('names earlier versions gave', () => {
  const env = (config: object) => synthEnv(work, { HUB_CONFIG: writeConfig(work, config) });
  // What an earlier version wrote for a hub in namespace "research": the old default names.
  const old = { ...baseConfig(), namespace: 'research', storage: { storageClassName: 'jupyterhub-hostpath' }, loadBalancer: { ...baseConfig().loadBalancer, poolName: 'jupyterhub' } };

  it('a renamed default class: synth refuses and says which config line keeps the old one', () => {
    synthesize({ env: env(old) });
    const now = { ...old, storage: {}, loadBalancer: { ...old.loadBalancer, poolName: 'jupyterhub' } };
    assert.throws(() => synthesize({ env: env(now) }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /PersistentVolumeClaim research\/hub-db-dir:\n {4}spec\.storageClassName: "jupyterhub-hostpath" -> "research-jupyterhub-hostpath-[0-9a-f]{6}"/);
      assert.match(e.message, /set storage\.storageClassName: "jupyterhub-hostpath" in the config, then synth again \(nothing moves\)/);
      assert.doesNotMatch(e.message, /delete pvc/, 'no volume move is suggested when one config line keeps the class');
      return true;
    });
  });

  it('a renamed default pool over the same addresses: synth refuses with the config line and the manual way', () => {
    synthesize({ env: env(old) });
    const now = { ...old, loadBalancer: { addressPool: old.loadBalancer.addressPool, hubIP: old.loadBalancer.hubIP } };
    assert.throws(() => synthesize({ env: env(now) }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /IPAddressPool metallb-system\/research:\n {4}metadata\.name: "jupyterhub" -> "research" with overlapping addresses/);
      assert.match(e.message, /set loadBalancer\.poolName: "jupyterhub" in the config/);
      assert.match(e.message, /HUB_ALLOW_POOL_RENAME=1 npm run synth/);
      return true;
    });
    // After the manual steps, the override lets it through, and dist/ has the new pool only.
    synthesize({ env: { ...env(now), HUB_ALLOW_POOL_RENAME: 'true' } }); // any on-value, as every HUB_ALLOW_* flag (src/util/env-flag.ts)
    const pools = readObjects(path.join(work, 'dist')).filter((o) => o.object.kind === 'IPAddressPool').map((o) => o.object.metadata.name);
    assert.deepEqual(pools, ['research']);
  });
});

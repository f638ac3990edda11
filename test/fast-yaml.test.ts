/** The faster parser for helm output must read exactly what cdk8s's own YAML 1.1 parser reads. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Yaml } from 'cdk8s';
import { loadManifests, needsYaml11 } from '../src/hub/fast-yaml';
import { resolveHelm } from '../src/hub/helm-binary';
import { FIXTURE_CHART, tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function same(text: string, name: string) {
  const f = path.join(work, name);
  fs.writeFileSync(f, text);
  assert.deepEqual(loadManifests(f), Yaml.load(f));
}

describe('fast YAML loading of helm output', () => {
  it('matches cdk8s on fixture renders with several value sets', () => {
    const helm = resolveHelm().command;
    const sets = [[], ['--set', 'prePuller.hook.enabled=false'], ['--set', 'proxy.https.enabled=true,proxy.https.type=letsencrypt,proxy.https.letsencrypt.contactEmail=a@b.org,proxy.https.hosts={h.example.org}'],
      ['--set', 'scheduling.userScheduler.enabled=true,scheduling.podPriority.enabled=true,scheduling.userPlaceholder.replicas=2']];
    sets.forEach((args, i) => {
      const r = spawnSync(helm, ['template', 'jupyterhub', FIXTURE_CHART, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      same(r.stdout, `render-${i}.yaml`);
    });
  });

  it('leaves YAML 1.1-only scalars to cdk8s', () => {
    for (const [text, needs] of [
      ['a: yes', true], ['a: "yes"', false], ['- off', true], ['mode: 0755', true], ['t: 2024-05-27', true],
      ['t: 12:30', true], ['image: quay.io/x:2024-05-27', false], ['a: [on, 1]', true], ['s: "0755"', false],
    ] as const) {
      assert.equal(needsYaml11(text), needs, text);
      same(`---\n${text}\n---\n{}\n`, 'one.yaml');
    }
  });
});

/**
 * coalesceValues, the merge of our values over the chart's defaults that the schema check runs
 * on, against the consumer itself: the helm binary renders `.Values` for the same defaults and
 * user values, and both must agree (a null removes a default; maps merge; lists and scalars replace).
 */
import { describe, it, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { resolveHelm } from '../src/hub/helm-binary';
import { coalesceValues } from '../src/hub/values-schema';
import { tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

function helmOrSkip(): string | undefined {
  try {
    return resolveHelm().command;
  } catch {
    return undefined;
  }
}
const helm = helmOrSkip();

/** `.Values` as helm computes them for a chart with `defaults` given `user` values. */
function helmValues(defaults: object, user: object): unknown {
  const chart = fs.mkdtempSync(path.join(work, 'chart-'));
  fs.mkdirSync(path.join(chart, 'templates'));
  fs.writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
  fs.writeFileSync(path.join(chart, 'values.yaml'), JSON.stringify(defaults));
  fs.writeFileSync(path.join(chart, 'templates', 'v.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata:\n  values: {{ toJson .Values | quote }}\n');
  const userFile = path.join(chart, 'user.json');
  fs.writeFileSync(userFile, JSON.stringify(user));
  const r = spawnSync(helm!, ['template', 'r', chart, '--values', userFile], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse((yaml.load(r.stdout) as { data: { values: string } }).data.values);
}

const defaults = {
  keep: 1,
  drop: 2,
  dropMap: { a: 1 },
  nested: { a: 1, b: { x: 1, w: 2 } },
  list: [1, 2],
  mapToScalar: { a: 1 },
  scalarToMap: 5,
};

const cases: [string, object][] = [
  ['a null removes a default key', { drop: null }],
  ['a null removes a default map', { dropMap: null }],
  ['a null deep inside removes only that key', { nested: { b: { x: null } } }],
  ['a null for a key the defaults lack stays null', { notInDefaults: null, nested: { b: { q: null } } }],
  ['maps merge key by key', { nested: { b: { z: 3 }, c: 4 } }],
  ['lists replace, not merge', { list: [3] }],
  ['a scalar replaces a map', { mapToScalar: 7 }],
  ['a map replaces a scalar', { scalarToMap: { q: 1 } }],
  ['a new map keeps its nulls', { newMap: { k: null, j: 1 } }],
  ['everything at once', { drop: null, dropMap: null, notInDefaults: null, nested: { b: { x: null, z: 3 } }, list: [], newMap: { k: null } }],
];

describe('coalesceValues agrees with helm', { skip: helm ? false : 'no helm found (npm run setup installs one)' }, () => {
  for (const [name, user] of cases) {
    it(name, () => assert.deepEqual(coalesceValues(defaults, user), helmValues(defaults, user)));
  }
});

describe('coalesceValues', () => {
  it('a null removes the default, so the schema check sees the key absent', () => {
    assert.deepEqual(coalesceValues({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: null } }), { b: { d: 3 } });
  });
  it('leaves both inputs untouched', () => {
    const d = { a: { b: 1 } };
    const u = { a: { b: null } };
    coalesceValues(d, u);
    assert.deepEqual([d, u], [{ a: { b: 1 } }, { a: { b: null } }]);
  });
});

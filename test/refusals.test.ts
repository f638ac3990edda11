/**
 * What synth refuses to write, whatever the chart renders: two objects with one identity (kubectl
 * would keep only one) and Helm hook objects (kubectl ignores hook annotations, so a hook Job
 * would linger and block later applies).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { normalizeObjects } from '../src/output/manifests';
import type { KubeObject } from '../src/output/kube-object';
import { UserError } from '../src/util/errors';

const opts = { namespace: 'hub-ns', release: 'hub', placeholders: false };
const obj = (kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'hub-ns', ...extra } }) as KubeObject;

describe('refusals in the output', () => {
  it('two objects of the same kind, namespace and name are refused, naming them and the likely cause', () => {
    assert.throws(() => normalizeObjects([obj('Secret', 'hub-tls'), obj('ConfigMap', 'hub-tls'), obj('Secret', 'hub-tls')], opts), (e: unknown) =>
      e instanceof UserError && e.exitCode === 1 &&
      /^Two objects would have the same kind, namespace and name: [^\n]*Secret[^\n]*hub-tls[^\n]*; kubectl would keep only one\.\nFix: .*tls\.secretName/.test(e.message) &&
      !/ConfigMap/.test(e.message));
  });

  it('the same name in two namespaces, or of two kinds, is not a duplicate', () => {
    const out = normalizeObjects([obj('Secret', 'x'), obj('ConfigMap', 'x'), { ...obj('Secret', 'x'), metadata: { name: 'x', namespace: 'other' } } as KubeObject], opts);
    assert.equal(out.length, 3);
  });

  it('a Helm hook object is refused, naming it and what to change', () => {
    const hook = obj('Job', 'hook-image-awaiter', { annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade' } });
    assert.throws(() => normalizeObjects([obj('Secret', 'a'), hook], opts), (e: unknown) =>
      e instanceof UserError && e.exitCode === 1 &&
      /^Helm hook objects reached the output: [^\n]*Job[^\n]*hook-image-awaiter/.test(e.message) &&
      /kubectl ignores hook annotations/.test(e.message) && /Fix: keep prePuller\.hook\.enabled false/.test(e.message));
  });

  it('other annotations are kept and are no reason to refuse', () => {
    const [o] = normalizeObjects([obj('ConfigMap', 'c', { annotations: { 'helm.sh/resource-policy': 'keep' } })], opts);
    assert.equal(o.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  });
});

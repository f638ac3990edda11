/**
 * dist/ against a real Kubernetes API server (envtest kube-apiserver v1.32, see
 * ../shared/envtest/README.md) with each MetalLB CRD set MicroK8s installs: every example is
 * applied exactly as README says (`kubectl apply -f dist/`), then server-side with strict
 * validation (as `npm run deploy` does, plus --validate=strict), then must show no difference
 * (`kubectl diff --server-side` exits 0). The offline validation must agree with the server on
 * MetalLB fields that differ between versions, and the README's apply-size limit is measured.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALLOWLIST_KEY } from '../src/hub/auth0-authenticator';
import { METALLB_VERSIONS, MICROK8S_RELEASES, MetalLbVersion } from '../src/cluster/microk8s-release';
import type { KubeObject } from '../src/output/kube-object';
import { clientSideApplyAnnotationBytes, TOTAL_ANNOTATION_SIZE_LIMIT, validateObject } from '../src/output/validate';
import { baseConfig, readObjects, ROOT } from './helpers';
import { kubectlBinary } from './support/envtest';
import { Cluster, clusterWithMetalLb, CRD_DIR, ownPlaneSkipReason, removeHub, synthTo, Synthesized, tmpdir } from './support/envtest-hub';
import { metallbSchemasFile } from '../src/tools/import-metallb';
import { KUBERNETES_SCHEMAS_FILE, kubernetesSchemasText } from '../src/tools/import-kubernetes';

const skip = ownPlaneSkipReason();
const work = tmpdir('mk8s-jh-envtest-apply-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort();
const releasesOf = (v: MetalLbVersion) => Object.entries(MICROK8S_RELEASES).filter(([, m]) => m === v).map(([r]) => r);

/** Each example synthesized once (default: every supported release), reused for every CRD set. */
const synthesized = new Map<string, Synthesized>();
function example(file: string): Synthesized {
  let s = synthesized.get(file);
  if (!s) {
    s = synthTo(work, file.replace(/\.yaml$/, ''), path.join(ROOT, 'examples', file));
    synthesized.set(file, s);
  }
  return s;
}

for (const version of METALLB_VERSIONS) {
  describe(`real API server, MetalLB ${version} CRDs (MicroK8s ${releasesOf(version).join(', ')})`, { skip }, () => {
    let c: Cluster;
    before(() => { c = clusterWithMetalLb(version); });
    // Examples share namespaces (and so PVC names with immutable specs): the previous example
    // applied in the same namespace is removed first, as a fresh machine would have it.
    const applied = new Map<string, string>();
    const freshNamespace = (file: string) => {
      const ns = readObjects(example(file).dist).find((o) => o.object.kind === 'Namespace')!.object.metadata.name!;
      if (applied.has(ns)) removeHub(c, ns);
      applied.set(ns, file);
    };
    after(() => c?.stop());

    for (const file of EXAMPLES) {
      if (version === METALLB_VERSIONS[0]) {
        it(`examples/${file}: plain \`kubectl apply -f dist/\` (README) is accepted`, () => {
          freshNamespace(file);
          const plain = c.run(['apply', '--filename', example(file).dist]);
          assert.equal(plain.status, 0, `kubectl apply -f dist/ failed:\n${plain.stderr}`);
        });
      }

      it(`examples/${file}: server-side apply --validate=strict is accepted, and re-applying changes nothing`, () => {
        if (version !== METALLB_VERSIONS[0]) freshNamespace(file);
        const s = example(file);
        // After a client-side apply, server-side apply must take over field ownership (z2jh's
        // NetworkPolicy rule lists are atomic and conflict otherwise): --force-conflicts, as deploy does.
        const ssa = c.run(['apply', '--server-side', '--validate=strict', '--force-conflicts', '--field-manager=microk8s-jupyterhub', '--filename', s.dist]);
        assert.equal(ssa.status, 0, `server-side apply --validate=strict failed:\n${ssa.stderr}`);
        const diff = c.run(['diff', '--server-side', '--force-conflicts', '--field-manager=microk8s-jupyterhub', '--filename', s.dist]);
        assert.equal(diff.status, 0, `re-applying would change:\n${diff.stdout}${diff.stderr}`);
      });

      it(`examples/${file}: the hub Service asks MetalLB for its IP by annotation only (MetalLB refuses both)`, () => {
        const s = example(file);
        const svc = readObjects(s.dist).find((o) => o.object.kind === 'Service' && o.object.metadata.name === 'proxy-public')!.object;
        const live = c.get('service', 'proxy-public', svc.metadata.namespace);
        // MetalLB v0.13.3/v0.14.9/v0.15.2 controller/service.go: "service can not have both
        // <loadBalancerIPs annotation> and svc.Spec.LoadBalancerIP".
        assert.equal(live.spec.loadBalancerIP, undefined);
        // v0.13.3 controller/service.go reads only metallb.universe.tf/{address-pool,loadBalancerIPs};
        // v0.14.9 and v0.15.2 read metallb.io/... first and these as "Deprecated Annotations".
        const ip = live.metadata.annotations['metallb.universe.tf/loadBalancerIPs'];
        assert.ok(ip, 'metallb.universe.tf/loadBalancerIPs is set');
        const pool = c.get('ipaddresspools.metallb.io', live.metadata.annotations['metallb.universe.tf/address-pool'], 'metallb-system');
        assert.ok(pool, 'the annotated pool exists in metallb-system');
        assert.equal(pool.spec.autoAssign, false);
      });
    }

    it(`dist/ for microk8s.release "${releasesOf(version).at(-1)}" is accepted, with the annotation names MetalLB ${version} reads`, () => {
      const release = releasesOf(version).at(-1)!;
      const s = synthTo(work, `release-${release}`, { ...baseConfig(), namespace: `rel-${release.replace('.', '-')}`, microk8s: { release } });
      const r = c.run(['apply', '--server-side', '--validate=strict', '--force-conflicts', '--filename', s.dist]);
      assert.equal(r.status, 0, r.stderr);
      const live = c.get('service', 'proxy-public', `rel-${release.replace('.', '-')}`);
      const prefix = version === 'v0.13.3' ? 'metallb.universe.tf' : 'metallb.io';
      assert.equal(live.metadata.annotations[`${prefix}/loadBalancerIPs`], '192.168.1.241');
      assert.equal(live.spec.loadBalancerIP, undefined);
    });

    it('offline validation and the server agree on MetalLB fields that differ between versions', () => {
      const base = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { namespace: 'metallb-system' } };
      const cases: KubeObject[] = [
        { ...base, metadata: { ...base.metadata, name: 'plain' }, spec: { addresses: ['10.9.0.1-10.9.0.2'] } },
        // serviceAllocation and avoidBuggyIPs: added after v0.13.3
        { ...base, metadata: { ...base.metadata, name: 'alloc' }, spec: { addresses: ['10.9.1.1-10.9.1.2'], serviceAllocation: { priority: 1 } } },
        { ...base, metadata: { ...base.metadata, name: 'buggy' }, spec: { addresses: ['10.9.2.1-10.9.2.2'], avoidBuggyIPs: true } },
        { ...base, metadata: { ...base.metadata, name: 'wrong' }, spec: { addresses: '10.9.3.1-10.9.3.2' } },
      ] as KubeObject[];
      for (const o of cases) {
        const server = c.run(['apply', '--server-side', '--validate=strict', '--dry-run=server', '--filename', '-'], JSON.stringify(o)).status === 0;
        const offline = validateObject(o, 'test.yaml', { microk8sRelease: releasesOf(version)[0] }).length === 0;
        assert.equal(offline, server, `${o.metadata.name}: server ${server ? 'accepts' : 'refuses'}, offline validation ${offline ? 'accepts' : 'refuses'}`);
      }
    });

    if (version === METALLB_VERSIONS[0]) {
      it('imports/kubernetes.schemas.json is what this API server serves (npm run import:kubernetes), and imports/metallb.io.schemas.json what the CRD files hold (npm run import:metallb)', (t) => {
        assert.equal(metallbSchemasFile(CRD_DIR), fs.readFileSync(path.join(ROOT, 'imports', 'metallb.io.schemas.json'), 'utf8'));
        const committed = fs.readFileSync(KUBERNETES_SCHEMAS_FILE, 'utf8');
        const live = kubernetesSchemasText([kubectlBinary()!, '--kubeconfig', c.kubeconfig]);
        const source = (text: string) => (JSON.parse(text) as { source: string }).source;
        if (source(live) !== source(committed)) {
          t.skip(`the API server is ${source(live)}, imports/ was made from ${source(committed)} (KUBEBUILDER_ASSETS points elsewhere)`);
          return;
        }
        assert.ok(live === committed, 'imports/kubernetes.schemas.json differs from the server\'s schemas: run `npm run import:kubernetes`');
      });

      it('plain `kubectl apply -f dist/` fits the allowlist up to the size synth computes; one user more is refused by the server and warned about by synth', () => {
        // The allowlist ConfigMap of a small synth, grown to the boundary the estimator computes.
        const names = (n: number) => Array.from({ length: n }, (_, i) => `user${String(i).padStart(5, '0')}@example.org`);
        const small = synthTo(work, 'size-probe', { ...baseConfig(), namespace: 'size' });
        const cm = small.result.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'auth0-allowlist')!;
        const withUsers = (n: number) => ({ ...cm, data: { [ALLOWLIST_KEY]: names(n).map((u) => `${u}\n`).join('') } }) as KubeObject;
        let fit = 0;
        for (let step = 8192; step >= 1; step /= 2) if (clientSideApplyAnnotationBytes(withUsers(fit + step)) <= TOTAL_ANNOTATION_SIZE_LIMIT) fit += step;
        const config = (n: number) => ({ ...baseConfig(), namespace: 'size', auth0: { ...baseConfig().auth0, allowedUsers: names(n) } });

        const under = synthTo(work, 'size-under', config(fit));
        assert.deepEqual(under.result.warnings, []);
        const ok = c.run(['apply', '--filename', under.dist]);
        assert.equal(ok.status, 0, `${fit} users must fit plain kubectl apply:\n${ok.stderr}`);
        // The estimate is kubectl's annotation to the byte.
        const live = c.get('configmap', 'auth0-allowlist', 'size');
        const real = Object.entries(live.metadata.annotations as Record<string, string>).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
        assert.equal(clientSideApplyAnnotationBytes(under.result.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'auth0-allowlist')!), real);

        const over = synthTo(work, 'size-over', config(fit + 1));
        assert.ok(over.result.warnings.some((w) => /ConfigMap\/size\/auth0-allowlist is too large for plain `kubectl apply`[\s\S]*--server-side/.test(w)), over.result.warnings.join('\n'));
        const refused = c.run(['apply', '--filename', over.dist]);
        assert.notEqual(refused.status, 0);
        assert.match(refused.stderr, /metadata\.annotations: Too long: may not be more than 262144 bytes/);
        const ssa = c.run(['apply', '--server-side', '--force-conflicts', '--field-manager=microk8s-jupyterhub', '--filename', over.dist]);
        assert.equal(ssa.status, 0, `server-side apply takes it:\n${ssa.stderr}`);
        process.stdout.write(`# plain kubectl apply fits ${fit} allowlisted users of ${names(1)[0].length} characters\n`);
      });
    }
  });
}

/**
 * The z2jh release construct: how helm's output is read (YAML 1.1, as the cluster's clients read
 * it), how helm is run (values on standard input, never in a file), and what a user sees when
 * helm fails or hangs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { App, Chart, Yaml } from 'cdk8s';
import * as yaml from 'js-yaml';
import { parseHelmOutput } from '../src/hub/helm-output';
import { runHelmTemplate, startHelmTemplate } from '../src/hub/helm-template';
import { JupyterHubChart } from '../src/hub/jupyterhub-chart';
import { UserError } from '../src/util/errors';
import { tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** What cdk8s 2.70's Yaml.load (the reader the old Helm construct used) gives for `text`. */
function cdk8sReads(text: string): unknown[] {
  const f = path.join(work, `cdk8s-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(f, text);
  return Yaml.load(f);
}

describe('helm output is read as YAML 1.1, as kubectl and helm install read it', () => {
  // Expected values: go-yaml v2.4.0 (the base of sigs.k8s.io/yaml/goyaml.v2, which kubectl and
  // helm use to turn manifests into JSON), resolve.go resolveMapList and resolve(), decode.go scalar().
  const agreeWithCdk8s: [string, string, unknown][] = [
    // resolve.go: {true, ..., "y","Y","yes","Yes","YES"}, {"on","On","ON"}, {false, "n","N","no",...,"off",...}
    ['plain yes/no/on/off/y/n values are booleans', 'a: [yes, no, on, off, y, n, Yes, OFF, "yes"]', { a: [true, false, true, false, true, false, true, false, 'yes'] }],
    // the same table resolves keys; sigs.k8s.io/yaml then writes the bool key as "true"/"false"
    ['mapping keys on:/no: are the booleans true/false', 'on: {push: 1}\nno: 2\n"off": 3', { true: { push: 1 }, false: 2, off: 3 }],
    // resolve.go: strconv.ParseInt(plain, 0, 64): a leading 0 means octal
    ['legacy octal 0755 is 493; 0x1F, 0b101 and 1_000 are numbers', 'mode: 0755\nquoted: "0755"\nhex: 0x1F\nbin: 0b101\nsep: 1_000', { mode: 493, quoted: '0755', hex: 31, bin: 5, sep: 1000 }],
    // resolve.go: {"<<", yaml_MERGE_TAG}; decode.go merge()
    ['merge keys <<: *x copy the anchored mapping; own keys win', 'base: &x {a: 1, b: 2}\nm:\n  <<: *x\n  b: 3', { base: { a: 1, b: 2 }, m: { a: 1, b: 3 } }],
    ['~, null and empty are null', 'a: ~\nb: null\nc:', { a: null, b: null, c: null }],
  ];
  for (const [name, text, expected] of agreeWithCdk8s) {
    it(name, () => {
      assert.deepEqual(parseHelmOutput(text, 'test'), [expected]);
      assert.deepEqual(cdk8sReads(text), [expected], 'cdk8s reads the same');
    });
  }

  // Where cdk8s's reader and go-yaml v2.4.0 disagree, dist/ must hold what the cluster would get
  // from `helm install`: go-yaml's reading. Each row also pins cdk8s's reading, to show the case
  // really is a difference (it is what the old construct wrote into dist/).
  const kubectlNotCdk8s: [string, string, unknown, unknown][] = [
    // resolve.go: "Base 60 floats ... are purposefully unsupported here"
    ['sexagesimal 1:30 stays a string', 't: 1:30\nu: -1:00:00', { t: '1:30', u: '-1:00:00' }, { t: 90, u: -3600 }],
    // decode.go scalar(): "for backward compatibility reasons we set it as a string"
    ['timestamps stay the text as written', 'd: 2024-05-27\nt: 2001-12-14t21:59:43.10-05:00\ne: !!timestamp 2024-05-27', { d: '2024-05-27', t: '2001-12-14t21:59:43.10-05:00', e: '2024-05-27' }, undefined],
    // decode.go unmarshal(): tag == yaml_BINARY_TAG -> resolved = string(data)
    ['!!binary is the decoded text', 'bin: !!binary aGVsbG8=', { bin: 'hello' }, { bin: { type: 'Buffer', data: [104, 101, 108, 108, 111] } }],
    // resolve.go: strconv.ParseInt(plain, 0, 64) accepts Go's 0o prefix
    ['0o755 is 493', 'o: 0o755\nneg: -0o7_55', { o: 493, neg: -493 }, { o: '0o755', neg: '-0o7_55' }],
  ];
  for (const [name, text, expected, cdk8s] of kubectlNotCdk8s) {
    it(name, () => {
      assert.deepEqual(parseHelmOutput(text, 'test'), [expected]);
      if (cdk8s !== undefined) assert.deepEqual(cdk8sReads(text), [cdk8s], 'cdk8s read something else');
      else assert.notDeepEqual(cdk8sReads(text), [expected], 'cdk8s read something else');
    });
  }

  it('skips empty documents, keeps order, and reports broken YAML by line without its text', () => {
    assert.deepEqual(parseHelmOutput('---\n# only a comment\n---\na: 1\n---\n{}\n---\nb: 2\n', 'x'), [{ a: 1 }, { b: 2 }]);
    assert.deepEqual(parseHelmOutput('', 'x'), []);
    assert.throws(() => parseHelmOutput('a: 1\n---\nsecret: "s3cr3t-value\n', 'chart-x'), (e: Error) =>
      e instanceof UserError && /chart-x printed YAML that does not parse \(document 2, line \d+/.test(e.message) && !e.message.includes('s3cr3t'));
    assert.throws(() => parseHelmOutput('bin: !!binary "not base64!"', 'x'), UserError);
  });
});

/** A stand-in helm: a shell script (this project's tests run on Linux, as CI). */
function fakeHelm(name: string, body: string): string {
  const f = path.join(work, name);
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

const SECRET = 'SENTINEL-proxy-token-4b1e0d';

function release(helm: string): JupyterHubChart {
  const chart = new Chart(new App({ outdir: path.join(work, 'unused') }), 'c');
  return new JupyterHubChart(chart, 'JupyterHub', {
    source: { kind: 'local', path: '/charts/jupyterhub', version: '3.1.0', origin: 'the test chart' },
    helmExecutable: helm,
    namespace: 'hub',
    values: { proxy: { secretToken: SECRET }, hub: { config: { JupyterHub: { admin_access: 'on' } } } },
    valuesSchema: {},
    chartDefaults: {},
  });
}

describe('JupyterHubChart runs helm itself', () => {
  // Prints the arguments and, base64 encoded, what it read on standard input, as a ConfigMap.
  const echoHelm = fakeHelm('echo-helm', [
    'args="$*"',
    'values=$(base64 -w0)',
    'cat <<EOF',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: seen, namespace: hub}',
    'data: {args: "$args", values: "$values", flag: on}',
    'EOF',
  ].join('\n'));

  const check = (r: JupyterHubChart) => {
    const objs = (r.node.scope as Chart).toJson() as { metadata: { name: string }; data: Record<string, unknown> }[];
    assert.equal(objs.length, 1);
    // Default --kube-version: the oldest supported MicroK8s release, 1.28 (src/cluster/microk8s-release.ts).
    assert.equal(objs[0].data.args, 'template --namespace hub --kube-version 1.28.0 --values - jupyterhub /charts/jupyterhub');
    const given = yaml.load(Buffer.from(String(objs[0].data.values), 'base64').toString('utf8'));
    assert.deepEqual(given, r.values, 'helm read the values from standard input');
    assert.equal(objs[0].data.flag, true, 'a plain on in helm output is a boolean, as for kubectl');
  };

  it('gives helm the values on standard input, blocking', () => {
    const r = release(echoHelm);
    r.renderSync();
    check(r);
  });

  it('gives helm the values on standard input, in the background', async () => {
    const r = release(echoHelm);
    await r.render();
    check(r);
  });

  it('checks that helm reads back exactly the values meant (YAML 1.1), without showing them', () => {
    const chart = new Chart(new App({ outdir: path.join(work, 'unused') }), 'c');
    const r = new JupyterHubChart(chart, 'JupyterHub', {
      source: { kind: 'local', path: '/charts/jupyterhub', version: '3.1.0', origin: 'the test chart' },
      helmExecutable: echoHelm,
      namespace: 'hub',
      // js-yaml writes a Date as a timestamp, which helm's YAML reader keeps as a string.
      values: { proxy: { secretToken: SECRET }, singleuser: { startedAt: new Date(0) } },
      valuesSchema: {},
      chartDefaults: {},
    });
    assert.throws(() => r.renderSync(), (e: Error) => /read back differently at values\.singleuser\.startedAt/.test(e.message) && !e.message.includes(SECRET));
  });

  it('holds no objects until helm ran', () => {
    const r = release(echoHelm);
    assert.equal(r.rendered, false);
    assert.deepEqual((r.node.scope as Chart).toJson(), []);
  });

  it('reports a failing helm without the secrets it echoes', async () => {
    const leaky = fakeHelm('leaky-helm', `cat >/dev/null; echo "Error: values don't meet the specifications: proxy.secretToken=${SECRET} and ${SECRET}x" >&2; exit 1`);
    const expect = (e: Error) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /^helm template of the test chart failed:\nError: values don't meet the specifications/);
      assert.ok(!e.message.includes(SECRET), e.message);
      return true;
    };
    assert.throws(() => release(leaky).renderSync(), expect);
    await assert.rejects(release(leaky).render(), expect);
  });

  it('reports a hanging helm as a timeout, and stops it', async () => {
    const pidFile = path.join(work, 'hang.pid');
    const hang = fakeHelm('hanging-helm', `echo $$ > ${pidFile}; exec sleep 30`);
    const expect = (e: Error) => e instanceof UserError && /^helm template of the test chart did not finish within 1 s/.test(e.message);
    assert.throws(() => release(hang).renderSync({ timeoutSeconds: 1 }), expect);
    await assert.rejects(release(hang).render({ timeoutSeconds: 1 }), expect);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the hanging helm was killed');
  });

  it('says how to get helm when the executable is missing', () => {
    const req = { helm: path.join(work, 'no-such-helm'), args: ['template'], valuesYaml: '', origin: 'x', secrets: [] };
    assert.throws(() => runHelmTemplate(req), /Cannot run helm .*ENOENT.*npm run setup/);
    return assert.rejects(startHelmTemplate(req).output, /Cannot run helm .*ENOENT.*npm run setup/);
  });

  it('a helm that cannot even be spawned (a path through a file) is an error, not a silent success', async () => {
    const req = { helm: '/etc/passwd/helm', args: ['template'], valuesYaml: 'a: b', origin: 'x', secrets: [] };
    const run = startHelmTemplate(req);
    await run.inputSent;
    await assert.rejects(run.output, (e: Error) => e instanceof UserError && /Cannot run helm \(\/etc\/passwd\/helm\): ENOTDIR/.test(e.message));
  });

  it('a helm that finished is no timeout when the event loop was blocked past the timeout', async () => {
    const quick = fakeHelm('quick-ok', 'cat >/dev/null; echo "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}"');
    const run = startHelmTemplate({ helm: quick, args: [], valuesYaml: 'a: b', origin: 'x', secrets: [], timeoutSeconds: 1 });
    await run.inputSent;
    // Blocks this thread (as a wait for the folder's lock does) well past the 1 s timeout.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500);
    assert.match(await run.output, /kind: Namespace/);
  });

  it('accepts a helm that exits without reading its values', () => {
    const quick = fakeHelm('quick-helm', 'echo "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}"');
    const big = 'x'.repeat(1024 * 1024); // more than a pipe holds: helm never reads it
    assert.equal(runHelmTemplate({ helm: quick, args: [], valuesYaml: big, origin: 'x', secrets: [] }).includes('kind: Namespace'), true);
    return startHelmTemplate({ helm: quick, args: [], valuesYaml: big, origin: 'x', secrets: [] }).output.then((out) => assert.match(out, /kind: Namespace/));
  });
});

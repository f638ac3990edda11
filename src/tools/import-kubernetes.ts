/**
 * `npm run import:kubernetes [-- KUBECONFIG]`: regenerates imports/kubernetes.schemas.json from a
 * real Kubernetes API server's own OpenAPI v3 documents: the server named by KUBECONFIG, or, by
 * default, the envtest kube-apiserver in ../shared/envtest (started and stopped here). Offline
 * validation checks every built-in object against these schemas. A derived file (descriptions
 * dropped, normalized for ajv): regenerate, never edit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLED_KUBECTL_PATH } from '../hub/helm-binary';
import { kubernetesSchemasFrom } from '../output/schema-import';
import { PROJECT_ROOT } from '../util/project-root';
import { orThrow, runSync } from '../util/command';
import { runCli, UserError } from '../util/errors';

export const KUBERNETES_SCHEMAS_FILE = path.join(PROJECT_ROOT, 'imports', 'kubernetes.schemas.json');

/** Reads the OpenAPI v3 documents of every API group version a server serves. */
export function readServerSchemas(kubectl: readonly string[]): { documents: unknown[]; source: string } {
  const get = (p: string): unknown => {
    const r = orThrow(runSync([...kubectl, 'get', '--raw', p], { timeoutMs: 120_000, maxBuffer: 512 * 1024 * 1024 }));
    return JSON.parse(r.stdout);
  };
  const index = get('/openapi/v3') as { paths: Record<string, unknown> };
  const groups = Object.keys(index.paths).filter((p) => p === 'api/v1' || /^apis\/[^/]+\/[^/]+$/.test(p)).sort();
  const version = get('/version') as { gitVersion: string };
  return { documents: groups.map((g) => get(`/openapi/v3/${g}`)), source: `kube-apiserver ${version.gitVersion}` };
}

export function kubernetesSchemasText(kubectl: readonly string[]): string {
  const { documents, source } = readServerSchemas(kubectl);
  return `${JSON.stringify(kubernetesSchemasFrom(documents, source))}\n`;
}

if (require.main === module) {
  runCli(() => {
    const kubectlBin = process.env.KUBECTL_BINARY ?? BUNDLED_KUBECTL_PATH;
    if (!fs.existsSync(kubectlBin)) throw new UserError(`no kubectl at ${kubectlBin}: run \`npm run setup\` first.`);
    let kubeconfig = process.argv[2];
    let stop = () => {};
    if (!kubeconfig) {
      const script = path.resolve(PROJECT_ROOT, '..', 'shared', 'envtest', 'control-plane');
      if (!fs.existsSync(script)) throw new UserError(`no envtest at ${script}. Usage: npm run import:kubernetes -- KUBECONFIG`);
      const state = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-jh-import-'));
      const r = spawnSync(script, ['start', state], { encoding: 'utf8', timeout: 180_000 });
      if (r.status !== 0) throw new UserError(`envtest did not start:\n${r.stderr}`);
      kubeconfig = r.stdout.trim().split('\n').pop()!;
      stop = () => {
        spawnSync(script, ['stop', state], { timeout: 60_000 });
        fs.rmSync(state, { recursive: true, force: true });
      };
    }
    try {
      const text = kubernetesSchemasText([kubectlBin, '--kubeconfig', kubeconfig]);
      fs.writeFileSync(KUBERNETES_SCHEMAS_FILE, text);
      const doc = JSON.parse(text) as { source: string; kinds: object; schemas: object };
      process.stdout.write(`Wrote ${path.relative(PROJECT_ROOT, KUBERNETES_SCHEMAS_FILE)}: ${Object.keys(doc.kinds).length} kinds, ` +
        `${Object.keys(doc.schemas).length} schemas from ${doc.source} (${(text.length / 1024).toFixed(0)} KiB).\n`);
    } finally {
      stop();
    }
    return 0;
  });
}

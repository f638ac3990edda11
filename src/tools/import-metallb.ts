/**
 * `npm run import:metallb [-- DIR]`: regenerates imports/ from the MetalLB CRDs that MicroK8s's
 * metallb addon really installs (../shared/reference/microk8s-addons/metallb-vX-crds.yaml, see
 * src/cluster/microk8s-release.ts):
 * - imports/metallb.io.ts: the typed classes (`cdk8s import`) of IPAddressPool and
 *   L2Advertisement, from the OLDEST supported MetalLB (v0.13.3), so the program can only write
 *   fields every supported MetalLB knows;
 * - imports/metallb.io.schemas.json: the served schemas of every CRD of every supported version,
 *   derived (normalized for ajv, like cdk8s import output), which offline validation checks
 *   MetalLB objects against. Not a copy of the YAML: regenerate, never edit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { METALLB_VERSIONS } from '../cluster/microk8s-release';
import { crdSchemasFrom } from '../output/schema-import';
import { PROJECT_ROOT } from '../util/project-root';
import { parseCliArgs } from '../util/cli-args';
import { orThrow, runSync } from '../util/command';
import { runCli, UserError } from '../util/errors';

export const DEFAULT_CRD_DIR = path.resolve(PROJECT_ROOT, '..', 'shared', 'reference', 'microk8s-addons');
/** The kinds the program writes (typed imports). */
const TYPED_CRDS = ['ipaddresspools.metallb.io', 'l2advertisements.metallb.io'];

export function crdFile(dir: string, version: string): string {
  return path.join(dir, `metallb-${version}-crds.yaml`);
}

/** The content of imports/metallb.io.schemas.json for the CRD files in `dir`. Pure but for reading. */
export function metallbSchemasFile(dir: string): string {
  const versions: Record<string, unknown> = {};
  for (const v of METALLB_VERSIONS) versions[v] = crdSchemasFrom(yaml.loadAll(fs.readFileSync(crdFile(dir, v), 'utf8')));
  const doc = {
    generatedBy: 'npm run import:metallb',
    source: 'the MetalLB CRDs of canonical/microk8s-core-addons (addons/metallb/crd.yaml) per MetalLB version',
    versions,
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

if (require.main === module) {
  runCli(() => {
    const { positionals } = parseCliArgs({ usage: 'npm run import:metallb [-- DIR with metallb-vX-crds.yaml]', options: {}, allowPositionals: true });
    const dir = path.resolve(positionals[0] ?? DEFAULT_CRD_DIR);
    const missing = METALLB_VERSIONS.map((v) => crdFile(dir, v)).filter((f) => !fs.existsSync(f));
    if (missing.length) throw new UserError(`CRD files not found: ${missing.join(', ')}\nUsage: npm run import:metallb -- [DIR with metallb-vX-crds.yaml]`);
    const oldest = yaml.loadAll(fs.readFileSync(crdFile(dir, METALLB_VERSIONS[0]), 'utf8')) as { metadata?: { name?: string } }[];
    const typed = path.join(PROJECT_ROOT, '.cache', `metallb-${METALLB_VERSIONS[0]}-typed-crds.yaml`);
    fs.mkdirSync(path.dirname(typed), { recursive: true });
    fs.writeFileSync(typed, oldest.filter((d) => TYPED_CRDS.includes(d?.metadata?.name ?? '')).map((d) => yaml.dump(d)).join('---\n'));
    // `cdk8s import` records the import in cdk8s.yaml (dropping its comments): keep ours as it is.
    const cdk8sYaml = path.join(PROJECT_ROOT, 'cdk8s.yaml');
    const saved = fs.readFileSync(cdk8sYaml, 'utf8');
    try {
      orThrow(runSync(['npx', 'cdk8s', 'import', typed, '--output', 'imports', '--language', 'typescript', '--no-check-upgrade'], { cwd: PROJECT_ROOT, output: 'inherit', timeoutMs: 5 * 60_000 }));
    } finally {
      fs.writeFileSync(cdk8sYaml, saved);
    }
    const out = path.join(PROJECT_ROOT, 'imports', 'metallb.io.schemas.json');
    fs.writeFileSync(out, metallbSchemasFile(dir));
    process.stdout.write(`Wrote imports/metallb.io.ts (MetalLB ${METALLB_VERSIONS[0]}) and ${path.relative(PROJECT_ROOT, out)} (${METALLB_VERSIONS.join(', ')}).\n`);
  });
}

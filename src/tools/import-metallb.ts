/**
 * `npm run import:metallb`: regenerates imports/ from MetalLB's CRDs (v0.13.10, the version
 * MicroK8s's metallb addon installs): the TypeScript classes (`cdk8s import`) and the
 * openAPIV3Schema of each kind, which `npm run validate` checks MetalLB objects against.
 * Input: ../shared/reference/metallb-v0.13.10/ or the CRD files given as arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { PROJECT_ROOT } from '../util/project-root';
import { parseCliArgs } from '../util/cli-args';
import { orThrow, runSync } from '../util/command';
import { runCli, UserError } from '../util/errors';

const DEFAULT_CRDS = ['metallb.io_ipaddresspools.yaml', 'metallb.io_l2advertisements.yaml']
  .map((f) => path.resolve(PROJECT_ROOT, '..', 'shared', 'reference', 'metallb-v0.13.10', f));

runCli(() => {
  const { positionals } = parseCliArgs({ usage: 'npm run import:metallb [-- CRD.yaml...]', options: {}, allowPositionals: true });
  const files = positionals.length ? positionals : DEFAULT_CRDS;
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) throw new UserError(`CRD files not found: ${missing.join(', ')}`);
  const combined = path.join(PROJECT_ROOT, '.cache', 'metallb-crds.yaml');
  fs.mkdirSync(path.dirname(combined), { recursive: true });
  fs.writeFileSync(combined, files.map((f) => fs.readFileSync(f, 'utf8')).join('\n---\n'));
  // `cdk8s import` records the import in cdk8s.yaml (dropping its comments): keep ours as it is.
  const cdk8sYaml = path.join(PROJECT_ROOT, 'cdk8s.yaml');
  const saved = fs.readFileSync(cdk8sYaml, 'utf8');
  try {
    orThrow(runSync(['npx', 'cdk8s', 'import', combined, '--output', 'imports', '--language', 'typescript'], { cwd: PROJECT_ROOT, output: 'inherit', timeoutMs: 5 * 60_000 }));
  } finally {
    fs.writeFileSync(cdk8sYaml, saved);
  }
  const schemas: Record<string, unknown> = {};
  for (const doc of yaml.loadAll(fs.readFileSync(combined, 'utf8')) as any[]) {
    if (doc?.kind !== 'CustomResourceDefinition') continue;
    for (const v of doc.spec.versions) {
      schemas[`${doc.spec.group}/${v.name}/${doc.spec.names.kind}`] = v.schema.openAPIV3Schema;
    }
  }
  const out = path.join(PROJECT_ROOT, 'imports', 'metallb.io.schemas.json');
  fs.writeFileSync(out, `${JSON.stringify({ generatedBy: 'npm run import:metallb', source: 'metallb v0.13.10 CRDs', schemas }, null, 1)}\n`);
  process.stdout.write(`Wrote imports/metallb.io.ts and ${path.relative(PROJECT_ROOT, out)} (${Object.keys(schemas).join(', ')}).\n`);
});

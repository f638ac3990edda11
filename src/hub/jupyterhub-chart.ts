import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Helm } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Construct } from 'constructs';
import { UserError } from '../util/errors';
import { withFastYaml } from './fast-yaml';
import { CHART_NAME, ChartSource, readChartDefaults, readChartSchema } from './chart-source';
import { redactHubValues } from './values';
import { checkValues, coalesceValues } from './values-schema';

/** Kubernetes version the chart renders for (its Capabilities) and dist/ is validated against. */
export const KUBE_VERSION = '1.27.0';

export interface JupyterHubChartProps {
  /** Where the chart is (see resolveChartSource). */
  readonly source: ChartSource;
  /** Helm executable (see resolveHelm). */
  readonly helmExecutable: string;
  /** Helm release name. @default "jupyterhub" */
  readonly releaseName?: string;
  /** Namespace the release renders for. */
  readonly namespace: string;
  /** Chart values (see buildHubValues). They hold secrets: never log them. */
  readonly values: Record<string, unknown>;
  /**
   * The chart's values.schema.json; read from the chart when it is on disk.
   * @default - read from `source`
   */
  readonly valuesSchema?: object;
  /**
   * The chart's default values, merged under `values` before the schema check (as helm does).
   * @default - read from `source`
   */
  readonly chartDefaults?: Record<string, unknown>;
}

/**
 * The Zero to JupyterHub chart, rendered by a real `helm template` through cdk8s's Helm.
 * Values are checked against the chart's own schema first, and helm's values file is written to
 * a private temporary folder that is removed right after (the values contain secrets).
 */
export class JupyterHubChart extends Construct {
  readonly releaseName: string;
  readonly helm: Helm;
  /** The values given to helm. They hold secrets: never log or write them. */
  readonly values: Record<string, unknown>;
  /** The values given to helm, secrets replaced by "(secret)" (written to dist/values/). */
  readonly redactedValues: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: JupyterHubChartProps) {
    super(scope, id);
    this.releaseName = props.releaseName ?? 'jupyterhub';
    this.values = props.values;
    this.redactedValues = redactHubValues(props.values);
    const schema = props.valuesSchema ?? readChartSchema(props.source);
    if (schema) {
      const problems = checkValues(coalesceValues(props.chartDefaults ?? readChartDefaults(props.source) ?? {}, props.values), schema);
      if (problems.length > 0) {
        throw new UserError(
          `The generated z2jh values do not fit the chart's values.schema.json (${props.source.origin}):\n` +
            problems.map((p) => `  values.${p.path}: ${p.message}`).join('\n') +
            '\nThis means the chart is not the version this program was written for, or a bug here: report it with this message.',
        );
      }
    }
    const chartProps = props.source.kind === 'repo'
      ? { chart: CHART_NAME, repo: props.source.repo, version: props.source.version }
      : { chart: props.source.path };
    this.helm = withPrivateTmpdir((tmp) => withFastYaml(() => {
      // Our own values file (js-yaml, in the private folder): cdk8s's YAML 1.1 writer is slow.
      // Every string quoted, so helm's YAML 1.1 reader never turns "on" or "yes" into a boolean.
      const valuesFile = path.join(tmp, 'values.yaml');
      fs.writeFileSync(valuesFile, yaml.dump(props.values, { noRefs: true, lineWidth: -1, forceQuotes: true }), { mode: 0o600 });
      try {
        return new Helm(this, 'Release', {
          ...chartProps,
          releaseName: this.releaseName,
          namespace: props.namespace,
          helmExecutable: props.helmExecutable,
          helmFlags: ['--kube-version', KUBE_VERSION, '--values', valuesFile],
        });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new UserError(`helm template of ${props.source.origin} failed:\n${redactHelmOutput(msg, secretStrings(props.values, this.redactedValues)).trim()}`);
      }
    }));
  }
}

/** Every string the values redaction replaced: the secret values helm could quote back. */
export function secretStrings(values: unknown, redacted: unknown, out: string[] = []): string[] {
  if (redacted === '(secret)') {
    const collect = (v: unknown): void => {
      if (typeof v === 'string') out.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(values);
  } else if (values && typeof values === 'object' && redacted && typeof redacted === 'object') {
    for (const [k, v] of Object.entries(values)) secretStrings(v, (redacted as Record<string, unknown>)[k], out);
  }
  return out;
}

/**
 * Helm quotes offending values in some errors: every known secret value is hidden wherever it
 * appears (a list item under `keys:` included), then anything after a secret-looking key.
 */
export function redactHelmOutput(text: string, secrets: readonly string[] = []): string {
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join('(hidden)');
  return text.replace(/(auth_token|cookie_secret|secretToken|cookieSecret|keys|password|client_secret)(["':= ]+)[^\s"',}]+/gi, '$1$2(hidden)');
}

/** Runs `fn` with TMPDIR pointing at a fresh 0700 folder, removed afterwards. */
export function withPrivateTmpdir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-jh-'));
  fs.chmodSync(dir, 0o700);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return fn(dir);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

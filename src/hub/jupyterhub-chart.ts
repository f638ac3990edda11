import { ApiObject } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Construct } from 'constructs';
import { UserError } from '../util/errors';
import { CHART_NAME, ChartSource, readChartDefaults, readChartSchema } from './chart-source';
import { parseHelmOutput } from './helm-output';
import { HelmRun, HelmTemplateRequest, helmTemplateArgs, runHelmTemplate, startHelmTemplate } from './helm-template';
import { redactHubValues } from './values';
import { checkValues, coalesceValues } from './values-schema';

export { redactHelmOutput } from './helm-template';

/** Kubernetes version the chart renders for (its Capabilities) unless `kubeVersion` says otherwise. */
export { DEFAULT_KUBE_VERSION as KUBE_VERSION } from '../cluster/microk8s-release';
import { DEFAULT_KUBE_VERSION as KUBE_VERSION } from '../cluster/microk8s-release';

export interface JupyterHubChartProps {
  /** Where the chart is (see resolveChartSource). */
  readonly source: ChartSource;
  /** Helm executable (see resolveHelm). */
  readonly helmExecutable: string;
  /** Helm release name. @default "jupyterhub" */
  readonly releaseName?: string;
  /** Namespace the release renders for. */
  readonly namespace: string;
  /** `--kube-version` for helm (see kubeVersionFor). @default KUBE_VERSION, the oldest supported */
  readonly kubeVersion?: string;
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

export interface RenderOptions {
  /** How long helm may run. @default DEFAULT_HELM_TIMEOUT_SECONDS (60) */
  readonly timeoutSeconds?: number;
  /** Environment for helm. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The Zero to JupyterHub release: a real `helm template` of the chart, one ApiObject per rendered
 * document (under the child "Release", as cdk8s's Helm construct did).
 *
 * Helm runs when `render()` (in the background: synth does other work meanwhile) or
 * `renderSync()` is called, not in the constructor, so that the caller chooses. The values reach
 * helm on its standard input (`--values -`): no file with secrets is written. They are checked
 * against the chart's own values.schema.json first (while helm runs, with `render()`).
 */
export class JupyterHubChart extends Construct {
  readonly releaseName: string;
  /** The values given to helm. They hold secrets: never log or write them. */
  readonly values: Record<string, unknown>;
  /** The values given to helm, secrets replaced by "(secret)" (written to dist/values/). */
  readonly redactedValues: Record<string, unknown>;
  private readonly props: JupyterHubChartProps;
  private readonly release: Construct;
  private rendered = false;

  constructor(scope: Construct, id: string, props: JupyterHubChartProps) {
    super(scope, id);
    this.props = props;
    this.releaseName = props.releaseName ?? 'jupyterhub';
    this.values = props.values;
    this.redactedValues = redactHubValues(props.values);
    this.release = new Construct(this, 'Release');
    this.node.addValidation({ validate: () => (this.rendered ? [] : ['helm has not rendered the chart: call render() or renderSync()']) });
  }

  /** Runs helm now and adds the objects it renders (blocks until helm exits). */
  renderSync(options: RenderOptions = {}): void {
    this.checkValues();
    this.addObjects(runHelmTemplate(this.helmRequest(options)));
  }

  /** Starts helm at once; resolves when the objects it rendered are added. */
  async render(options: RenderOptions = {}): Promise<void> {
    const run: HelmRun = startHelmTemplate(this.helmRequest(options));
    try {
      this.checkValues();
      this.addObjects(await run.output);
    } finally {
      run.cancel();
    }
  }

  private helmRequest(options: RenderOptions): HelmTemplateRequest {
    const s = this.props.source;
    return {
      helm: this.props.helmExecutable,
      args: helmTemplateArgs({
        releaseName: this.releaseName,
        namespace: this.props.namespace,
        kubeVersion: this.props.kubeVersion ?? KUBE_VERSION,
        ...(s.kind === 'repo' ? { chart: CHART_NAME, repo: s.repo, version: s.version } : { chart: s.path }),
      }),
      // js-yaml, every string quoted, so helm's YAML 1.1 reader never turns "on" or "yes" into a boolean.
      valuesYaml: yaml.dump(this.values, { noRefs: true, lineWidth: -1, forceQuotes: true }),
      origin: s.origin,
      secrets: secretStrings(this.values, this.redactedValues),
      timeoutSeconds: options.timeoutSeconds,
      env: options.env,
    };
  }

  private checkValues(): void {
    const { source } = this.props;
    const schema = this.props.valuesSchema ?? readChartSchema(source);
    if (!schema) return;
    const problems = checkValues(coalesceValues(this.props.chartDefaults ?? readChartDefaults(source) ?? {}, this.values), schema);
    if (problems.length > 0) {
      throw new UserError(
        `The generated z2jh values do not fit the chart's values.schema.json (${source.origin}):\n` +
          problems.map((p) => `  values.${p.path}: ${p.message}`).join('\n') +
          '\nThis means the chart is not the version this program was written for, or a bug here: report it with this message.',
      );
    }
  }

  /** One ApiObject per document, with the ids cdk8s's Include gave them (name-kind-namespace). */
  private addObjects(output: string): void {
    if (this.rendered) throw new Error('JupyterHubChart: rendered twice');
    this.rendered = true;
    let unnamed = 0;
    for (const doc of parseHelmOutput(output, this.props.source.origin)) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new UserError(`helm template of ${this.props.source.origin} printed a YAML document that is not a Kubernetes object.\nThis is a problem of the chart: report it with this message.`);
      }
      const obj = doc as { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string } };
      const name = obj.metadata?.name ?? `object${unnamed++}`;
      const id = [name, obj.kind?.toLowerCase(), obj.metadata?.namespace].filter((x) => x).join('-');
      if (this.release.node.tryFindChild(id)) {
        throw new UserError(`helm template of ${this.props.source.origin} rendered ${obj.kind} "${name}" twice.\nThis is a problem of the chart: report it with this message.`);
      }
      new ApiObject(this.release, id, doc as { kind: string; apiVersion: string });
    }
  }
}

/** Every string of `values` that redactHubValues hid: what helm must never echo back. */
function secretStrings(values: unknown, redacted: unknown, out: string[] = []): string[] {
  if (typeof values === 'string') {
    if (values !== redacted) out.push(values);
  } else if (values && typeof values === 'object' && redacted && typeof redacted === 'object') {
    for (const [k, v] of Object.entries(values)) secretStrings(v, (redacted as Record<string, unknown>)[k], out);
  }
  return out;
}

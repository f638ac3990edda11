import { ApiObject } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Construct } from 'constructs';
import { UserError } from '../util/errors';
import { CHART_NAME, ChartSource, readChartDefaults, readChartSchema } from './chart-source';
import { parseHelmOutput } from './helm-output';
import { HelmRun, HelmTemplateRequest, helmTemplateArgs, runHelmTemplate, startHelmTemplate } from './helm-template';
import { redactHubValues } from './values';

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

/** A render in progress (JupyterHubChart.start). */
export interface Rendering {
  /**
   * Resolves once helm has read all its values (never rejects): from then on it renders on its
   * own. Synchronous work started before this keeps helm waiting for the end of its input.
   */
  readonly valuesSent: Promise<void>;
  /** Resolves when helm's objects are added; rejects with what went wrong (a UserError for the user's part). */
  readonly done: Promise<void>;
}

export interface RenderOptions {
  /** How long helm may run. @default DEFAULT_HELM_TIMEOUT_SECONDS (60) */
  readonly timeoutSeconds?: number;
  /** Environment for helm. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Stops helm (render() then rejects) when aborted. @default - never */
  readonly signal?: AbortSignal;
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
  private renderDone = false;

  constructor(scope: Construct, id: string, props: JupyterHubChartProps) {
    super(scope, id);
    this.props = props;
    this.releaseName = props.releaseName ?? 'jupyterhub';
    this.values = props.values;
    this.redactedValues = redactHubValues(props.values);
    this.release = new Construct(this, 'Release');
  }

  /** Whether helm's objects were added (until then, the chart holds none of them). */
  get rendered(): boolean {
    return this.renderDone;
  }

  /**
   * helm's objects as JSON, in helm's order: what the chart's toJson gives for them, without
   * synthesizing this program's own objects again.
   */
  renderedObjects(): Record<string, unknown>[] {
    if (!this.renderDone) throw new Error('JupyterHubChart: not rendered yet');
    return this.release.node.children.filter((c): c is ApiObject => ApiObject.isApiObject(c)).map((o) => o.toJson() as Record<string, unknown>);
  }

  /** Runs helm now and adds the objects it renders (blocks until helm exits). */
  renderSync(options: RenderOptions = {}): void {
    const request = this.helmRequest(options);
    this.checkValues();
    this.checkValuesReadBack(request.valuesYaml);
    this.addObjects(runHelmTemplate(request));
  }

  /** Starts helm at once; resolves when the objects it rendered are added. */
  async render(options: RenderOptions = {}): Promise<void> {
    await this.start(options).done;
  }

  /**
   * Starts helm at once and returns; the values are checked against the chart while it renders
   * (once helm has them: see `valuesSent`), then its objects are added (`done`).
   */
  start(options: RenderOptions = {}): Rendering {
    const request = this.helmRequest(options);
    const run: HelmRun = startHelmTemplate(request);
    options.signal?.addEventListener('abort', () => run.cancel(), { once: true });
    const done = (async () => {
      try {
        await run.inputSent;
        // While helm runs. (The read-back also warms up the YAML reader for helm's output.)
        this.checkValues();
        this.checkValuesReadBack(request.valuesYaml);
        this.addObjects(await run.output);
      } finally {
        run.cancel();
      }
    })();
    // Awaited by the caller later; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    return { valuesSent: run.inputSent, done };
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
    // Required here, not imported: with render(), ajv then loads while helm runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { checkValues, coalesceValues } = require('./values-schema') as typeof import('./values-schema');
    const problems = checkValues(coalesceValues(this.props.chartDefaults ?? readChartDefaults(source) ?? {}, this.values), schema);
    if (problems.length > 0) {
      throw new UserError(
        `The generated z2jh values do not fit the chart's values.schema.json (${source.origin}):\n` +
          problems.map((p) => `  values.${p.path}: ${p.message}`).join('\n') +
          '\nThis means the chart is not the version this program was written for, or a bug here: report it with this message.',
      );
    }
  }

  /**
   * helm reads the values as YAML 1.1, where a plain `on` or `0755` is no longer a string: read
   * the text given to helm back with the same YAML 1.1 reader and make sure it means the values.
   */
  private checkValuesReadBack(valuesYaml: string): void {
    const [read] = parseHelmOutput(valuesYaml, 'the values given to helm');
    const where = firstDifference(this.values, read ?? {});
    if (where !== undefined) {
      throw new Error(`the values given to helm read back differently at values${where} (YAML 1.1): a bug in their serialization`);
    }
  }

  /** One ApiObject per document, with the ids cdk8s's Include gave them (name-kind-namespace). */
  private addObjects(output: string): void {
    if (this.renderDone) throw new Error('JupyterHubChart: rendered twice');
    this.renderDone = true;
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

/**
 * Every string of `values` that redactHubValues hid: what helm must never echo back. A hidden
 * list or map (CryptKeeper `keys`, replaced whole by "(secret)") gives every string inside it.
 */
function secretStrings(values: unknown, redacted: unknown, out: string[] = []): string[] {
  if (typeof values === 'string') {
    if (values !== redacted) out.push(values);
  } else if (values && typeof values === 'object' && typeof redacted !== 'object') {
    for (const v of Object.values(values)) secretStrings(v, undefined, out);
  } else if (values && typeof values === 'object' && redacted && typeof redacted === 'object') {
    for (const [k, v] of Object.entries(values)) secretStrings(v, (redacted as Record<string, unknown>)[k], out);
  }
  return out;
}

/** The path of the first place where `a` and `b` differ (`.a.b[2]`), or undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return at;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b);
    for (const k of new Set([...ka, ...kb])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return at;
}

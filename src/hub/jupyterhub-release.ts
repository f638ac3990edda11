/**
 * The Zero to JupyterHub release as helm renders it, apart from the construct tree: the values
 * checked against the chart's own values.schema.json (helm's coalescing first) and read back as
 * helm reads them, then `helm template` with the values on its standard input (`--values -`: no
 * file with secrets is ever written), its output read as kubectl reads YAML. No cdk8s here:
 * synth starts helm with this before it loads cdk8s and builds the constructs, which then take
 * the run (JupyterHubChart's `release` prop).
 */
import * as yaml from 'js-yaml';
import { UserError } from '../util/errors';
import { CHART_NAME, ChartSource, readChartDefaults, readChartSchema } from './chart-source';
import { parseHelmOutput } from './helm-output';
import { HelmTemplateRequest, helmTemplateArgs, runHelmTemplate, startHelmTemplate } from './helm-template';
import { redactHubValues } from './values';
import { KUBECTL_WRITE_SCHEMA } from '../util/kubectl-yaml';
import { DEFAULT_KUBE_VERSION as KUBE_VERSION } from '../cluster/microk8s-release';

export interface JupyterHubReleaseProps {
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

/** A helm run of the release, started by startRelease. */
export interface ReleaseRun {
  /** The values helm was given. They hold secrets: never log them. */
  readonly values: Record<string, unknown>;
  /**
   * Resolves once helm has read all its values (never rejects): from then on it renders on its
   * own. Synchronous work started before this keeps helm waiting for the end of its input.
   */
  readonly valuesSent: Promise<void>;
  /** helm's documents (non-empty, as kubectl reads them) once the value checks passed and helm exited 0. */
  readonly documents: Promise<unknown[]>;
  /** Stops helm if it still runs. */
  cancel(): void;
}

/** Starts helm at once and returns; the values are checked while it renders (once it has them). */
export function startRelease(props: JupyterHubReleaseProps, options: RenderOptions = {}): ReleaseRun {
  const request = helmRequest(props, options);
  const run = startHelmTemplate(request);
  options.signal?.addEventListener('abort', () => run.cancel(), { once: true });
  const documents = (async () => {
    try {
      await run.inputSent;
      // While helm runs. (The read-back also warms up the YAML reader for helm's output.)
      checkValuesAgainstChart(props);
      checkValuesReadBack(props.values, request.valuesYaml);
      return parseHelmOutput(await run.output, props.source.origin);
    } finally {
      run.cancel();
    }
  })();
  // Awaited by the caller later; until then a failure must not count as unhandled.
  documents.catch(() => undefined);
  return { values: props.values, valuesSent: run.inputSent, documents, cancel: () => run.cancel() };
}

/** The same, blocking until helm exits (tests, `npm run diff`). */
export function renderReleaseSync(props: JupyterHubReleaseProps, options: RenderOptions = {}): unknown[] {
  const request = helmRequest(props, options);
  checkValuesAgainstChart(props);
  checkValuesReadBack(props.values, request.valuesYaml);
  return parseHelmOutput(runHelmTemplate(request), props.source.origin);
}

function helmRequest(props: JupyterHubReleaseProps, options: RenderOptions): HelmTemplateRequest {
  const s = props.source;
  return {
    helm: props.helmExecutable,
    args: helmTemplateArgs({
      releaseName: props.releaseName ?? 'jupyterhub',
      namespace: props.namespace,
      kubeVersion: props.kubeVersion ?? KUBE_VERSION,
      ...(s.kind === 'repo' ? { chart: CHART_NAME, repo: s.repo, version: s.version } : { chart: s.path }),
    }),
    // js-yaml, every string quoted, so helm's YAML 1.1 reader never turns "on" or "yes" into a boolean.
    // Keys too: the schema quotes any key go-yaml would read as something other than its text.
    valuesYaml: yaml.dump(props.values, { noRefs: true, lineWidth: -1, forceQuotes: true, schema: KUBECTL_WRITE_SCHEMA }),
    origin: s.origin,
    secrets: secretStrings(props.values, redactHubValues(props.values)),
    timeoutSeconds: options.timeoutSeconds,
    env: options.env,
  };
}

function checkValuesAgainstChart(props: JupyterHubReleaseProps): void {
  const { source } = props;
  const schema = props.valuesSchema ?? readChartSchema(source);
  if (!schema) return;
  // Required here, not imported: with render(), ajv then loads while helm runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checkValues, coalesceValues } = require('./values-schema') as typeof import('./values-schema');
  const problems = checkValues(coalesceValues(props.chartDefaults ?? readChartDefaults(source) ?? {}, props.values), schema);
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
function checkValuesReadBack(values: Record<string, unknown>, valuesYaml: string): void {
  const [read] = parseHelmOutput(valuesYaml, 'the values given to helm');
  const where = firstDifference(values, read ?? {});
  if (where !== undefined) {
    throw new Error(`the values given to helm read back differently at values${where} (YAML 1.1): a bug in their serialization`);
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
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
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

import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { UserError } from '../util/errors';
import { firstDifference, JupyterHubReleaseProps, ReleaseRun, renderReleaseSync, startRelease, RenderOptions, Rendering } from './jupyterhub-release';
import { redactHubValues } from './values';

export { redactHelmOutput } from './helm-template';
export type { Rendering, RenderOptions } from './jupyterhub-release';

/** Kubernetes version the chart renders for (its Capabilities) unless `kubeVersion` says otherwise. */
export { DEFAULT_KUBE_VERSION as KUBE_VERSION } from '../cluster/microk8s-release';

export interface JupyterHubChartProps extends JupyterHubReleaseProps {
  /**
   * A helm run of these values already started (startRelease), so that helm renders while the
   * rest of the tree is built; its values must be `values`.
   * @default - helm is started by render(), start() or renderSync()
   */
  readonly release?: ReleaseRun;
}

/**
 * The Zero to JupyterHub release: a real `helm template` of the chart, one ApiObject per rendered
 * document (under the child "Release", as cdk8s's Helm construct did).
 *
 * Helm runs when `start()`/`render()` (in the background: synth does other work meanwhile) or
 * `renderSync()` is called, not in the constructor, so that the caller chooses; or it was started
 * before the construct (`release`). The values reach helm on its standard input (`--values -`):
 * no file with secrets is written. They are checked against the chart's own values.schema.json
 * while helm runs (jupyterhub-release.ts).
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
    if (props.release) {
      const where = firstDifference(props.values, props.release.values);
      if (where !== undefined) throw new Error(`JupyterHubChart: the helm run was started with other values (at values${where})`);
    }
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
    if (this.props.release) throw new Error('JupyterHubChart: helm was started already; use start()');
    this.addObjects(renderReleaseSync(this.props, options));
  }

  /** Starts helm at once; resolves when the objects it rendered are added. */
  async render(options: RenderOptions = {}): Promise<void> {
    await this.start(options).done;
  }

  /**
   * Starts helm at once (unless it was started before the construct: `release`) and returns;
   * the values are checked against the chart while it renders (once helm has them: see
   * `valuesSent`), then its objects are added (`done`).
   */
  start(options: RenderOptions = {}): Rendering {
    const run = this.props.release ?? startRelease(this.props, options);
    if (this.props.release) options.signal?.addEventListener('abort', () => run.cancel(), { once: true });
    const done = (async () => {
      try {
        this.addObjects(await run.documents);
      } finally {
        run.cancel();
      }
    })();
    // Awaited by the caller later; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    return { valuesSent: run.valuesSent, done };
  }

  /** One ApiObject per document, with the ids cdk8s's Include gave them (name-kind-namespace). */
  private addObjects(documents: readonly unknown[]): void {
    if (this.renderDone) throw new Error('JupyterHubChart: rendered twice');
    this.renderDone = true;
    let unnamed = 0;
    for (const doc of documents) {
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

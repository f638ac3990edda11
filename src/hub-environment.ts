import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { DeploymentRecord } from './cluster/deployment-record';
import { HubNamespace } from './cluster/hub-namespace';
import { HubStorage } from './cluster/hub-storage';
import { MetalLbPool } from './cluster/metallb-pool';
import { kubeVersionFor } from './cluster/microk8s-release';
import type { TlsMaterial } from './cluster/tls-check';
import { TlsSecret } from './cluster/tls-secret';
import type { HubConfig } from './config/schema';
import { Auth0Authenticator } from './hub/auth0-authenticator';
import type { ChartSource } from './hub/chart-source';
import { JupyterHubChart } from './hub/jupyterhub-chart';
import type { ReleaseRun } from './hub/jupyterhub-release';
import { PostgresHubDatabase } from './hub/postgres-hub-database';
import { GpuImagePuller } from './hub/gpu-image-puller';
import { imageString, resolveProfiles } from './hub/profiles';
import { buildHubValues, hubUrl, pullerImages } from './hub/values';
import type { HubSecrets } from './secret-store/store';

export interface HubEnvironmentProps {
  readonly config: HubConfig;
  readonly secrets: HubSecrets;
  /** Certificate and key, when `tls.mode` is "secret". */
  readonly tls?: TlsMaterial;
  readonly chartSource: ChartSource;
  readonly helmExecutable: string;
  /**
   * helm already started with these values (hubValuesFor), so that it renders while the tree is
   * built; JupyterHubChart refuses it if its values are not the tree's. @default - started by the chart
   */
  readonly release?: ReleaseRun;
}

/**
 * Everything the hub needs on a MicroK8s machine, from the config: cluster objects (namespace,
 * storage, MetalLB pool, TLS), the authenticator, and the z2jh release.
 *
 * Objects meant for `kubectl apply` go to the `manifests` chart; the optional patch for the
 * hostpath-provisioner addon goes to `patches`, which is written apart (dist/patches/).
 */
export class HubEnvironment extends Construct {
  readonly manifests: Chart;
  readonly patches: Chart;
  readonly jupyterhub: JupyterHubChart;

  constructor(scope: App, id: string, props: HubEnvironmentProps) {
    super(scope, id);
    const c = props.config;
    this.manifests = new Chart(scope, 'manifests');
    this.patches = new Chart(scope, 'patches');

    const ns = new HubNamespace(this.manifests, 'Namespace', { name: c.namespace });

    const storage = new HubStorage(this.manifests, 'Storage', { settings: c, namespace: ns.name, patches: this.patches });

    // Restart fingerprints of secrets read at start are keyed with the cookie secret (restart-annotations.ts).
    const fingerprintKey = props.secrets.cookieSecret;
    const db = c.hubDatabase.type === 'postgres'
      ? new PostgresHubDatabase(this.manifests, 'HubDatabase', { namespace: ns.name, password: props.secrets.hubDatabasePassword ?? '', fingerprintKey })
      : undefined;
    const dbSecret = db?.secretName;

    const pool = new MetalLbPool(this.manifests, 'LoadBalancer', {
      hubNamespace: ns.name,
      name: c.loadBalancer.poolName,
      microk8sRelease: c.microk8s.release,
      addresses: c.loadBalancer.addressPool,
      hubIP: c.loadBalancer.hubIP,
    });

    let tlsSecretName: string | undefined;
    let proxyPodAnnotations: Record<string, string> = {};
    if (c.tls.mode === 'secret') {
      if (!props.tls) throw new Error('HubEnvironment: tls.mode is "secret" but no certificate was read');
      const tls = new TlsSecret(this.manifests, 'Tls', {
        name: c.tls.secretName,
        namespace: ns.name,
        certPem: props.tls.certPem,
        keyPem: props.tls.keyPem,
        fingerprintKey,
      });
      tlsSecretName = tls.name;
      proxyPodAnnotations = tls.proxyPodAnnotations;
    }

    const auth = new Auth0Authenticator(this.manifests, 'Auth0', {
      auth0: c.auth0,
      hubUrl: hubUrl(c),
      namespace: ns.name,
      clientSecret: props.secrets.auth0ClientSecret,
      fingerprintKey,
    });

    new DeploymentRecord(this.manifests, 'Record', {
      namespace: ns.name,
      facts: {
        namespace: ns.name,
        // Which hub this is, so deploy tells this hub's record from another hub's on the cluster.
        domain: c.domain,
        storageClassName: storage.homesClass,
        hubDatabaseStorageClassName: c.hubDatabase.type === 'sqlite' ? storage.hubDatabaseClass : 'postgres',
        ...storage.dataFacts,
        chartVersion: c.chartVersion,
      },
    });

    const gpuImages = pullerImages(resolveProfiles(c), imageString(c.notebook.image)).gpuImages;
    if (gpuImages.length > 0) new GpuImagePuller(this.manifests, 'GpuImagePuller', { namespace: ns.name, images: gpuImages });

    this.jupyterhub = new JupyterHubChart(this.manifests, 'JupyterHub', {
      source: props.chartSource,
      helmExecutable: props.helmExecutable,
      releaseName: c.releaseName,
      namespace: ns.name,
      kubeVersion: kubeVersionFor(c.microk8s.release),
      release: props.release,
      values: buildHubValues({
        config: c,
        storageClassName: storage.homesClass,
        hubDatabaseStorageClassName: storage.hubDatabaseClass,
        sharedDataClaims: storage.sharedDataClaims,
        hubDatabasePasswordSecret: dbSecret,
        serviceAnnotations: pool.serviceAnnotations,
        authenticatorHubConfig: auth.hubConfig,
        authenticatorExtraEnv: auth.hubExtraEnv,
        authenticatorHubExtras: auth.hubExtras,
        loadRoles: auth.loadRoles,
        hubPodAnnotations: db?.hubPodAnnotations,
        proxyPodAnnotations,
        tlsSecretName,
        secrets: props.secrets,
      }),
    });
  }
}

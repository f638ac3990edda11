import { Construct } from 'constructs';
import { IntOrString, KubeDaemonSet } from '../../imports/k8s';
import { GPU_NODE_LABEL } from './profiles';

export interface GpuImagePullerProps {
  readonly namespace: string;
  /** Images of the GPU profiles, `name:tag` or `name@sha256:…`. */
  readonly images: readonly string[];
  /** DaemonSet name. @default "gpu-image-puller" */
  readonly name?: string;
}

/**
 * z2jh 3.1.0 image pause container and security context (its values.yaml `prePuller.pause`,
 * `prePuller.containerSecurityContext`), so this puller behaves like the chart's own.
 */
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.9';
const SECURITY_CONTEXT = { runAsUser: 65534, runAsGroup: 65534, allowPrivilegeEscalation: false };
/** z2jh 3.1.0 `scheduling.userPods.tolerations`: user nodes may be tainted for users only. */
const USER_TOLERATIONS = [
  { key: 'hub.jupyter.org/dedicated', operator: 'Equal', value: 'user', effect: 'NoSchedule' },
  { key: 'hub.jupyter.org_dedicated', operator: 'Equal', value: 'user', effect: 'NoSchedule' },
];

/**
 * Pre-pulls the GPU profiles' (multi-GB CUDA) images onto the nodes that have a GPU, and only
 * there: a DaemonSet selecting `nvidia.com/gpu.present=true`, the label the NVIDIA GPU operator
 * (MicroK8s `gpu` addon) puts on GPU nodes. z2jh's continuous image puller would pull every
 * profile image on every user node (templates/image-puller/_helpers-daemonset.tpl), so values.ts
 * leaves the GPU images out of it. Each image is pulled by an init container that only echoes
 * (as the chart's puller does); a pause container keeps the pod, and so the image, in place.
 * Requests nothing, like the chart's puller (prePuller.resources is empty).
 */
export class GpuImagePuller extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: GpuImagePullerProps) {
    super(scope, id);
    if (props.images.length === 0) throw new Error('GpuImagePuller: no images to pull');
    this.name = props.name ?? 'gpu-image-puller';
    const labels = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/component': 'gpu-image-puller' };
    const images = [...new Set(props.images)];
    new KubeDaemonSet(this, 'Resource', {
      metadata: { name: this.name, namespace: props.namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: IntOrString.fromString('100%') } },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { [GPU_NODE_LABEL]: 'true' },
            tolerations: USER_TOLERATIONS,
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            initContainers: images.map((image, i) => ({
              name: `image-pull-gpu-${i}`,
              image,
              command: ['/bin/sh', '-c', 'echo "Pulling complete"'],
              securityContext: SECURITY_CONTEXT,
            })),
            containers: [{ name: 'pause', image: PAUSE_IMAGE, securityContext: SECURITY_CONTEXT }],
          },
        },
      },
    });
  }
}

/**
 * The environments users pick at spawn (z2jh `singleuser.profileList`): shipped presets
 * (data science, deep learning, the team image, GPU) and the config's own, each with resources
 * that override the defaults. Every profile image sits in `kubespawner_override.image`, where
 * z2jh's continuous image puller finds and pre-pulls it.
 */
import { HubConfig, PRESET_RESOURCES, ProfileConfig } from '../config/schema';
import { memoryBytes, parseQuantity } from '../config/quantity';

/** A profile with every field decided. */
export interface ResolvedProfile {
  readonly slug: string;
  readonly displayName: string;
  readonly description: string;
  /** `name:tag` or `name@sha256:…`. */
  readonly image: string;
  readonly default: boolean;
  readonly cpuGuarantee: number;
  readonly cpuLimit: number;
  readonly memoryGuarantee: string;
  readonly memoryLimit: string;
  /** `memoryGuarantee` in bytes: what the pod requests and what the capacity plan counts. */
  readonly memoryGuaranteeBytes: number;
  /** `memoryLimit` in bytes: the pod's limit. */
  readonly memoryLimitBytes: number;
  readonly gpus: number;
}

interface Preset {
  readonly name: string;
  readonly displayName: string;
  readonly description: string;
  readonly image: (c: HubConfig) => { name: string; tag: string };
  readonly gpus?: (c: HubConfig) => number;
  /** Resources of the preset, over `resources` and under the profile's own. */
  readonly resources?: Partial<Pick<ResolvedProfile, 'cpuGuarantee' | 'cpuLimit' | 'memoryGuarantee' | 'memoryLimit'>>;
}

/** The shipped presets, by `preset` name. Images are pinned docker-stacks tags. */
export const PRESETS: Readonly<Record<NonNullable<ProfileConfig['preset']>, Preset>> = {
  'data-science': {
    name: 'data-science',
    displayName: 'Data science',
    description: 'Python with pandas, scikit-learn, SciPy and matplotlib (Jupyter docker-stacks scipy-notebook)',
    image: (c) => c.notebook.image,
  },
  'deep-learning': {
    name: 'deep-learning',
    displayName: 'Deep learning (TensorFlow)',
    description: 'TensorFlow and Keras on CPU, plus everything in Data science (docker-stacks tensorflow-notebook)',
    image: () => ({ name: 'quay.io/jupyter/tensorflow-notebook', tag: '2024-05-27' }),
    resources: PRESET_RESOURCES['deep-learning'],
  },
  team: {
    name: 'team',
    displayName: 'Team image',
    description: "The team's own image (images/team): docker-stacks plus the team's pinned packages",
    image: (c) => ({ name: c.teamImage.name, tag: c.teamImage.tag }),
  },
  gpu: {
    name: 'gpu',
    displayName: 'Deep learning on GPU',
    description: 'TensorFlow with CUDA on an NVIDIA GPU (docker-stacks tensorflow-notebook, CUDA build)',
    image: (c) => c.gpu.image,
    gpus: (c) => c.gpu.perUser,
    resources: PRESET_RESOURCES.gpu,
  },
};

export function totalGpus(c: HubConfig): number {
  return c.cluster.nodes.reduce((n, node) => n + node.gpus, 0);
}

/** The profiles to offer when the config lists none. */
export function defaultProfileConfigs(c: HubConfig): ProfileConfig[] {
  const out: ProfileConfig[] = [{ preset: 'data-science' }, { preset: 'deep-learning' }];
  if (c.teamImage.enabled) out.push({ preset: 'team' });
  if (totalGpus(c) > 0) out.push({ preset: 'gpu' });
  return out;
}

export function imageString(i: { name: string; tag: string }): string {
  return i.tag.startsWith('sha256:') ? `${i.name}@${i.tag}` : `${i.name}:${i.tag}`;
}

const cores = (v: number | string) => (typeof v === 'number' ? v : parseQuantity(v)!);

/** Decides every field of every profile. Pure. Assumes the config passed cross-checks. */
export function resolveProfiles(c: HubConfig): ResolvedProfile[] {
  const configs = c.profiles ?? defaultProfileConfigs(c);
  const anyDefault = configs.some((p) => p.default);
  return configs.map((p, i) => {
    const preset = p.preset ? PRESETS[p.preset] : undefined;
    const image = p.image ?? preset?.image(c);
    const slug = p.name ?? preset?.name;
    if (!image || !slug) throw new Error(`profiles[${i}]: needs a preset or a name and an image`);
    const memoryGuarantee = p.memoryGuarantee ?? preset?.resources?.memoryGuarantee ?? c.resources.memoryGuarantee;
    const memoryLimit = p.memoryLimit ?? preset?.resources?.memoryLimit ?? c.resources.memoryLimit;
    return {
      slug,
      displayName: p.displayName ?? preset?.displayName ?? slug,
      description: p.description ?? preset?.description ?? '',
      image: imageString(image),
      default: anyDefault ? p.default === true : i === 0,
      cpuGuarantee: cores(p.cpuGuarantee ?? preset?.resources?.cpuGuarantee ?? c.resources.cpuGuarantee),
      cpuLimit: cores(p.cpuLimit ?? preset?.resources?.cpuLimit ?? c.resources.cpuLimit),
      memoryGuarantee,
      memoryLimit,
      memoryGuaranteeBytes: memoryBytes(memoryGuarantee),
      memoryLimitBytes: memoryBytes(memoryLimit),
      gpus: p.gpus ?? preset?.gpus?.(c) ?? 0,
    };
  });
}

/** Node label the MicroK8s gpu addon (NVIDIA GPU operator) puts on nodes with a GPU. */
export const GPU_NODE_LABEL = 'nvidia.com/gpu.present';

/** z2jh `singleuser.profileList`. */
export function profileList(profiles: readonly ResolvedProfile[], opts: { multiNode: boolean }): Record<string, unknown>[] {
  return profiles.map((p) => {
    const override: Record<string, unknown> = {
      image: p.image,
      cpu_guarantee: p.cpuGuarantee,
      cpu_limit: p.cpuLimit,
      // Bytes, not "4Gi": KubeSpawner's ByteSpecification refuses Kubernetes suffixes (see memoryBytes).
      mem_guarantee: p.memoryGuaranteeBytes,
      mem_limit: p.memoryLimitBytes,
    };
    if (p.gpus > 0) {
      override.extra_resource_limits = { 'nvidia.com/gpu': String(p.gpus) };
      if (opts.multiNode) override.node_selector = { [GPU_NODE_LABEL]: 'true' };
    }
    return {
      display_name: p.displayName,
      slug: p.slug,
      description: p.description,
      ...(p.default ? { default: true } : {}),
      kubespawner_override: override,
    };
  });
}

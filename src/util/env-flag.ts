/**
 * Whether an on/off environment variable is on: anything but unset, empty, "0", "false" or "no"
 * (any case). One reading for every flag (HUB_ALLOW_DATA_MOVE, HUB_ALLOW_STORAGE_CLASS_CHANGE,
 * HUB_ALLOW_POOL_RENAME, HUB_ALLOW_CHART_WITHOUT_SCHEMA, ...), so `=1` and `=true` mean the same.
 */
export function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return !!v && !['0', 'false', 'no', ''].includes(v.trim().toLowerCase());
}

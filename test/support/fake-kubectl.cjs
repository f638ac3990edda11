#!/usr/bin/env node
// A stand-in kubectl for deploy's unit tests (the real API server is in test/envtest-*.test.ts).
// State: a JSON list of objects in $FAKE_KUBECTL_DIR/state.json. It honours what deploy relies
// on: `get RES,RES --all-namespaces --selector k=v,k2=v2 --output json` filters by resource and
// by every selector term (=, ==, !=, bare key); `apply --filename DIR` upserts the YAML files of
// DIR (not sub-folders, as kubectl); `delete RES NAME [--namespace NS]` removes or fails NotFound.
// Faults ($FAKE_KUBECTL_DIR/faults.json): {"apply": exitCode, "failDeleteNumber": n (1-based),
// "getStdout": "text printed instead of JSON"}. Every call is logged to kubectl.log.
const fs = require('node:fs');
const path = require('node:path');
const yaml = require(process.env.FAKE_KUBECTL_JS_YAML);

const dir = process.env.FAKE_KUBECTL_DIR;
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'kubectl.log'), `${args.join(' ')}\n`);
const statePath = path.join(dir, 'state.json');
const state = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : [];
const faults = fs.existsSync(path.join(dir, 'faults.json')) ? JSON.parse(fs.readFileSync(path.join(dir, 'faults.json'), 'utf8')) : {};
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 1));
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const RESOURCES = {
  configmaps: 'ConfigMap', secrets: 'Secret', services: 'Service', serviceaccounts: 'ServiceAccount',
  'deployments.apps': 'Deployment', 'daemonsets.apps': 'DaemonSet', 'statefulsets.apps': 'StatefulSet',
  'roles.rbac.authorization.k8s.io': 'Role', 'rolebindings.rbac.authorization.k8s.io': 'RoleBinding',
  'clusterroles.rbac.authorization.k8s.io': 'ClusterRole', 'clusterrolebindings.rbac.authorization.k8s.io': 'ClusterRoleBinding',
  'networkpolicies.networking.k8s.io': 'NetworkPolicy', 'poddisruptionbudgets.policy': 'PodDisruptionBudget',
  'priorityclasses.scheduling.k8s.io': 'PriorityClass', 'ipaddresspools.metallb.io': 'IPAddressPool',
  'l2advertisements.metallb.io': 'L2Advertisement', 'storageclasses.storage.k8s.io': 'StorageClass',
  persistentvolumeclaims: 'PersistentVolumeClaim', namespaces: 'Namespace',
};
function matches(labels, selector) {
  return (selector ? selector.split(',') : []).every((term) => {
    const ne = term.split('!=');
    if (ne.length === 2) return labels[ne[0]] !== ne[1];
    const [k, v] = term.split(/==?/);
    return v === undefined ? k in labels : labels[k] === v;
  });
}
const verb = args.find((a) => ['get', 'apply', 'delete', 'patch'].includes(a));
if (verb === 'get') {
  if (faults.getStdout !== undefined) { process.stdout.write(faults.getStdout); process.exit(0); }
  const kinds = args[args.indexOf('get') + 1].split(',').map((r) => RESOURCES[r]);
  if (kinds.includes(undefined)) { process.stderr.write('error: the server doesn\'t have a resource type\n'); process.exit(1); }
  const items = state.filter((o) => kinds.includes(o.kind) && matches(o.metadata.labels ?? {}, opt('--selector')));
  process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
} else if (verb === 'apply') {
  if (faults.apply) { process.stderr.write('Error from server (Invalid): fake apply failure\n'); process.exit(faults.apply); }
  const d = opt('--filename');
  for (const f of fs.readdirSync(d).filter((x) => x.endsWith('.yaml')).sort()) {
    for (const o of yaml.loadAll(fs.readFileSync(path.join(d, f), 'utf8'))) {
      if (!o) continue;
      const i = state.findIndex((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && x.metadata.namespace === o.metadata.namespace);
      if (i >= 0) state[i] = o; else state.push(o);
    }
  }
  save();
  process.stdout.write('applied\n');
} else if (verb === 'delete') {
  const n = fs.readFileSync(path.join(dir, 'kubectl.log'), 'utf8').split('\n').filter((l) => l.startsWith('delete ')).length;
  if (faults.failDeleteNumber === n) { process.stderr.write('error: fake delete failure (connection refused)\n'); process.exit(1); }
  const i = args.indexOf('delete');
  const kind = RESOURCES[args[i + 1]];
  const name = args[i + 2];
  const ns = opt('--namespace');
  const at = state.findIndex((x) => x.kind === kind && x.metadata.name === name && x.metadata.namespace === ns);
  if (at < 0) { process.stderr.write(`Error from server (NotFound): ${args[i + 1]} "${name}" not found\n`); process.exit(1); }
  state.splice(at, 1);
  save();
}
process.exit(0);

// `npm test`'s runner: starts ONE real Kubernetes API server (envtest, see test/support/envtest.ts)
// for all test files when it is available, runs node's test runner, and always stops it again.
// Usage: node test/run-tests.mjs [test files...]   (default: test/*.test.ts)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared');
const script = path.join(shared, 'envtest', 'control-plane');
const assets = process.env.KUBEBUILDER_ASSETS ?? path.join(shared, 'envtest', 'bin');

const files = process.argv.slice(2);
const tests = files.length > 0 ? files : fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join('test', f));

const env = { ...process.env };
let state;
if (!env.HUB_TEST_KUBECONFIG && fs.existsSync(script) && fs.existsSync(path.join(assets, 'kube-apiserver'))) {
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-jh-envtest-'));
  const started = Date.now();
  const r = spawnSync(script, ['start', state], { encoding: 'utf8', env: { ...env, KUBEBUILDER_ASSETS: assets }, timeout: 180_000 });
  if (r.status === 0) {
    env.HUB_TEST_KUBECONFIG = r.stdout.trim().split('\n').pop();
    process.stdout.write(`# envtest: kube-apiserver started in ${((Date.now() - started) / 1000).toFixed(1)} s (${state})\n`);
  } else {
    // Tests that need it start their own and fail with the reason; do not hide the failure here.
    process.stdout.write(`# envtest: shared control plane failed to start:\n${r.stderr}\n`);
    fs.rmSync(state, { recursive: true, force: true });
    state = undefined;
  }
} else if (!env.HUB_TEST_KUBECONFIG) {
  process.stdout.write(`# envtest: not available (${fs.existsSync(script) ? `no kube-apiserver in ${assets}` : '../shared/envtest is absent'}); tests that need it skip\n`);
}

const stop = () => {
  if (!state) return;
  spawnSync(script, ['stop', state], { encoding: 'utf8', timeout: 60_000 });
  fs.rmSync(state, { recursive: true, force: true });
  state = undefined;
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stop(); process.exit(130); });

let status = 1;
try {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...tests], { stdio: 'inherit', env, cwd: root });
  status = r.status ?? 1;
} finally {
  stop();
}
process.exit(status);

/**
 * Rendered secret material does not outlive a synth: Helm's output on failure reaches the user
 * without secret values; nothing with a secret is left in TMPDIR (the values handed to helm hold
 * every generated secret); the previous dist/ (with its *.secret.yaml) is removed once replaced.
 */
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTs, SENTINELS, synthEnv, tmpdir } from './helpers';

const work = tmpdir();
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Every file under `dir` whose text holds one of `secrets` (plain or base64). */
function filesHolding(dir: string, secrets: readonly string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const text = fs.readFileSync(p, 'latin1');
        if (secrets.some((s) => text.includes(s) || text.includes(Buffer.from(s).toString('base64')))) hits.push(path.relative(dir, p));
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return hits;
}

/** A helm that fails `template` after printing every values file (or stdin) it was given: the worst an error message could quote. */
function echoingHelm(dir: string): string {
  const file = path.join(dir, 'helm');
  fs.writeFileSync(file, [
    '#!/bin/sh',
    'if [ "$1" = version ]; then echo v3.17.2; exit 0; fi',
    'while [ $# -gt 0 ]; do',
    '  case "$1" in',
    '    --values|-f) if [ "$2" = - ]; then cat >&2; else cat "$2" >&2; fi; shift ;;',
    '    --values=*) v="${1#--values=}"; if [ "$v" = - ]; then cat >&2; else cat "$v" >&2; fi ;;',
    '  esac',
    '  shift',
    'done',
    'echo "Error: execution error at (jupyterhub/templates/hub/deployment.yaml:7:5): values rejected" >&2',
    'exit 1',
    '',
  ].join('\n'), { mode: 0o755 });
  return file;
}

describe('secret material after synth', () => {
  const dir = path.join(work, 'hub');
  const tmp = path.join(work, 'tmp');
  let secrets: string[] = [];
  before(() => {
    fs.mkdirSync(tmp, { recursive: true });
    // A real synth first (the CLI, so that TMPDIR applies to it): it creates the secret store
    // whose values later runs must not leak.
    const r = runTs('src/main.ts', [], synthEnv(dir, { TMPDIR: tmp }));
    assert.equal(r.status, 0, r.stderr);
    const store = fs.readdirSync(path.join(dir, 'secrets')).find((f) => f.endsWith('.json'))!;
    secrets = [...Object.values(JSON.parse(fs.readFileSync(path.join(dir, 'secrets', store), 'utf8')) as Record<string, string>), SENTINELS.auth0];
    assert.ok(secrets.length >= 4, 'proxy token, cookie secret, crypt key, Auth0 secret');
  });

  it('a successful synth leaves nothing with a secret in TMPDIR', () => {
    assert.deepEqual(filesHolding(tmp, secrets), []);
  });

  it('a failing helm: the error says what failed, quotes no secret, leaves dist/ and TMPDIR clean', () => {
    const before = fs.readFileSync(path.join(dir, 'dist', '10-jupyterhub.yaml'), 'utf8');
    const helm = echoingHelm(work);
    const r = runTs('src/main.ts', [], synthEnv(dir, { TMPDIR: tmp, HELM: helm }));
    assert.equal(r.status, 1, r.stderr);
    const message = r.stderr + r.stdout;
    assert.match(message, /helm template .* failed/);
    assert.doesNotMatch(message, /internal error|^\s+at /m);
    assert.match(message, /deployment\.yaml:7:5/, 'the part of helm\'s message that helps is kept');
    for (const s of secrets) assert.equal(message.includes(s), false, `secret ${s.slice(0, 4)}... in the error message`);
    assert.equal(fs.readFileSync(path.join(dir, 'dist', '10-jupyterhub.yaml'), 'utf8'), before, 'dist/ unchanged');
    assert.deepEqual(filesHolding(tmp, secrets), [], 'TMPDIR after a failed helm run');
  });

  it('the previous dist/ and its Secret files are removed once a new one replaces it', () => {
    const first = 'SENTINEL-first-auth0-secret-41d9';
    const outdir = path.join(work, 'rotate');
    assert.equal(runTs('src/main.ts', [], synthEnv(outdir, { TMPDIR: tmp, AUTH0_CLIENT_SECRET: first })).status, 0);
    assert.deepEqual(filesHolding(outdir, [first]), ['dist/02-secrets.secret.yaml']);
    assert.equal(runTs('src/main.ts', [], synthEnv(outdir, { TMPDIR: tmp, AUTH0_CLIENT_SECRET: SENTINELS.auth0 })).status, 0);
    assert.deepEqual(filesHolding(work, [first]), [], 'the rotated-out secret is nowhere any more (no .dist-old-*, no staging copy)');
    assert.deepEqual(fs.readdirSync(outdir).filter((n) => n.startsWith('.dist-')), []);
  });
});

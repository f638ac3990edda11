/**
 * The READMEs tell people which commands to run: every `npm run X` they name must exist, and the
 * Korean quick start must not drift from the English one.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers';

const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

/** `npm run NAME` and the npm shorthands (`npm start`, `npm test`) a text names. */
export function npmCommands(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\bnpm run ([a-z][\w:-]*)/g)) out.add(m[1]);
  for (const m of text.matchAll(/\bnpm (start|test)\b/g)) out.add(m[1]);
  return out;
}

const english = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const korean = fs.readFileSync(path.join(ROOT, 'README.ko.md'), 'utf8');

/** The part of README.md the Korean quick start mirrors. */
function firstHour(text: string): string {
  const m = /^## First hour\n([\s\S]*?)^## /m.exec(text);
  assert.ok(m, 'README.md has a "## First hour" section');
  return m[1];
}

describe('README commands', () => {
  for (const [name, text] of [['README.md', english], ['README.ko.md', korean]] as const) {
    it(`every npm command in ${name} exists in package.json`, () => {
      const missing = [...npmCommands(text)].filter((c) => !scripts.includes(c));
      assert.deepEqual(missing, [], `${name} names npm scripts that package.json lacks`);
    });
  }

  it('README.ko.md covers every command of the English "First hour"', () => {
    const en = npmCommands(firstHour(english));
    assert.ok(en.has('verify') && en.has('doctor') && en.has('deploy'), 'the First hour names doctor, deploy and verify');
    const ko = npmCommands(korean);
    assert.deepEqual([...en].filter((c) => !ko.has(c)), [], 'commands in the English First hour missing from README.ko.md');
  });

  it('README.ko.md names the Auth0 settings and the config fields a first user edits', () => {
    for (const needle of ['https://DOMAIN/hub/oauth_callback', 'Allowed Logout URLs', 'AUTH0_CLIENT_SECRET', 'loadBalancer.hubIP', 'storage.hostDirectory', 'auth0.allowedUsers']) {
      assert.ok(korean.includes(needle), `README.ko.md mentions ${needle}`);
      assert.ok(english.includes(needle.replace('DOMAIN', 'DOMAIN')), `README.md mentions ${needle}`);
    }
  });

  it('holds no merge conflict markers', () => {
    for (const [name, text] of [['README.md', english], ['README.ko.md', korean]] as const) {
      assert.deepEqual(text.split('\n').filter((l) => /^(<{7}|>{7}|={7})( |$)/.test(l)), [], `${name} has conflict markers`);
    }
  });

  it('finds commands the way a reader sees them', () => {
    assert.deepEqual([...npmCommands('run `npm run verify -- --json`, then npm start; npm test')].sort(), ['start', 'test', 'verify']);
  });
});

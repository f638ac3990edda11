/**
 * `npm run secrets -- status`            which secrets exist (never their values)
 * `npm run secrets -- rotate NAME`       replace one generated secret on purpose
 *
 * NAME: proxySecretToken (hub and proxy restart), cookieSecret (every user is logged out),
 * cryptKeeperKey (stored auth state becomes unreadable; users log in again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { GENERATED_SECRET_NAMES, GeneratedSecretName, readStore, rotateSecret, secretsDir, storeFile } from '../secret-store/store';
import { runCli, UserError } from '../util/errors';

const EFFECT: Record<GeneratedSecretName, string> = {
  proxySecretToken: 'the hub and proxy pods restart on the next deploy',
  cookieSecret: 'every user is logged out on the next deploy',
  cryptKeeperKey: 'stored auth state becomes unreadable; users log in again',
};

runCli(() => {
  const [cmd, name] = process.argv.slice(2);
  const { config } = loadConfig();
  const opts = { namespace: config.namespace, release: config.releaseName, env: process.env };
  const file = storeFile(secretsDir(process.env), config.namespace, config.releaseName);
  if (cmd === 'rotate') {
    if (!GENERATED_SECRET_NAMES.includes(name as GeneratedSecretName)) {
      throw new UserError(`Usage: npm run secrets -- rotate NAME, with NAME one of ${GENERATED_SECRET_NAMES.join(', ')}.`);
    }
    rotateSecret({ ...opts, name: name as GeneratedSecretName });
    process.stdout.write(`Rotated ${name} in ${path.relative(process.cwd(), file)}: ${EFFECT[name as GeneratedSecretName]}.\nNext: npx cdk8s synth && npm run deploy\n`);
    return 0;
  }
  if (cmd === 'status' || cmd === undefined) {
    // readStore refuses a corrupt store with the file and position only: never JSON.parse's
    // message, which quotes the text around the error (a secret).
    const stored = readStore(file);
    process.stdout.write(`Secret store: ${path.relative(process.cwd(), file)}${stored ? '' : ' (not created yet: the next synth creates it)'}\n`);
    for (const k of GENERATED_SECRET_NAMES) process.stdout.write(`  ${k}: ${stored?.[k] ? 'set' : 'missing'}\n`);
    const auth0 = process.env.AUTH0_CLIENT_SECRET ? 'from env AUTH0_CLIENT_SECRET'
      : fs.existsSync(path.join(secretsDir(process.env), 'auth0-client-secret')) ? 'from .secrets/auth0-client-secret' : 'missing (synth will use a placeholder)';
    process.stdout.write(`  auth0 client secret: ${auth0}\n`);
    return 0;
  }
  throw new UserError('Usage: npm run secrets -- status | rotate NAME');
});

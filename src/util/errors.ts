/**
 * An error a user can act on. The CLI entry points print `message` alone (no stack trace)
 * and exit non-zero. Messages must never contain secret values.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Runs a CLI main function: user errors print their message only; anything else is a bug. */
export function runCli(main: () => Promise<number | void> | number | void): void {
  Promise.resolve()
    .then(main)
    .then((code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    })
    .catch((err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`${err.message.trimEnd()}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`internal error: ${message}\n` +
        'This is a bug in microk8s-jupyterhub; set HUB_DEBUG=1 for details.\n');
      if (process.env.HUB_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 70;
    });
}

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

/** What a file-system error code means, in words; only codes that come from the machine, not from us. */
const FS_PROBLEMS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a file is in the way where a folder is expected',
  EISDIR: 'it is a folder where a file is expected',
  EEXIST: 'it already exists',
  EACCES: 'no permission',
  EPERM: 'no permission',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'a symbolic link loops',
};

const SYSCALL_WORDS: Readonly<Record<string, string>> = {
  scandir: 'list the folder', opendir: 'list the folder', mkdir: 'create the folder', rmdir: 'remove the folder',
  open: 'open', read: 'read', write: 'write', rename: 'rename', unlink: 'remove', rm: 'remove', stat: 'read', lstat: 'read',
  copyfile: 'copy', link: 'link', symlink: 'link', chmod: 'change the mode of', mkdtemp: 'create a temporary folder in',
};

/**
 * A file-system failure no check caught (a file where a folder is expected, a full disk, no
 * permission) as a UserError naming the path: it is the machine's state, not a bug of ours.
 */
export function environmentError(err: unknown): UserError | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || !(e.code in FS_PROBLEMS)) return undefined;
  const dest = (e as { dest?: string }).dest;
  const where = e.path ? ` ${e.path}${dest ? ` -> ${dest}` : ''}` : '';
  const action = SYSCALL_WORDS[e.syscall ?? ''] ?? 'use';
  const why = e.code === 'EEXIST' && e.syscall === 'mkdir' ? FS_PROBLEMS.ENOTDIR : FS_PROBLEMS[e.code];
  return new UserError(`Cannot ${action}${where}: ${why} (${e.code}).\n` +
    'Fix: check that path (HUB_OUTDIR, HUB_SECRETS_DIR, HUB_CONFIG and the folders they name), then run again.');
}

/** Runs a CLI main function: user errors print their message only; anything else is a bug. */
export function runCli(main: () => Promise<number | void> | number | void): void {
  Promise.resolve()
    .then(main)
    .then((code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    })
    .catch((err: unknown) => {
      const fromMachine = err instanceof UserError ? undefined : environmentError(err);
      if (fromMachine) err = fromMachine;
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

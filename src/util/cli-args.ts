/**
 * Command-line arguments through `node:util.parseArgs`, with its errors (unknown option, missing
 * value, unexpected argument) turned into a usage error: the message, the usage line, exit 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from './errors';

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export interface CliSpec<O extends CliOptions> {
  /** One line, e.g. "npm run image:build [-- --dry-run]". */
  readonly usage: string;
  readonly options: O;
  /** Whether positional arguments are accepted. @default false */
  readonly allowPositionals?: boolean;
}

/** Parses `args` (process.argv.slice(2) by default); a mistake is a UserError with exit code 2. */
export function parseCliArgs<O extends CliOptions>(spec: CliSpec<O>, args: readonly string[] = process.argv.slice(2)) {
  try {
    return parseArgs({ args: [...args], options: spec.options, allowPositionals: spec.allowPositionals ?? false, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UserError(`${(err as Error).message}\nUsage: ${spec.usage}`, 2);
    }
    throw err;
  }
}

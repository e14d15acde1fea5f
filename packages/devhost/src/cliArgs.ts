/**
 * Command-line options as people expect them of devhost's CLIs: `--name value` or `--name=value`, a value may
 * start with a single dash (`--expires -5m`; node:util's parseArgs refuses that as ambiguous), the last of a
 * repeated option wins, `--help` prints the usage and exits 0, and every error names the option.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  default?: string;
}

export type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : T[K]['default'] extends string ? string : string | undefined;
};

/** A mistake in how the command was called: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

export function parseOptions<T extends Record<string, OptionSpec>>(argv: readonly string[], options: T): Values<T> & { help: boolean } {
  const values: Record<string, string | boolean | undefined> = { help: false };
  for (const [name, spec] of Object.entries(options)) values[name] = spec.type === 'boolean' ? false : spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      values.help = true;
      continue;
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument "${arg}" (options start with --)`);
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    const spec = Object.hasOwn(options, name) ? options[name] : undefined;
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    if (inline !== undefined) {
      values[name] = inline;
      continue;
    }
    const next = argv[i + 1];
    // Only another option ("--x") ends a value: "-5m" is a value.
    if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    values[name] = next;
    i++;
  }
  return values as Values<T> & { help: boolean };
}

/**
 * Parses `process.argv` for the CLI `command`: prints `usage` and exits 0 on --help, prints the error and the
 * usage and exits 2 on a mistake.
 */
export function cliOptions<T extends Record<string, OptionSpec>>(command: string, usage: string, options: T): Values<T> {
  let values;
  try {
    values = parseOptions(process.argv.slice(2), options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n${usage}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values;
}

/** Prints `${command}: message` and exits 1: the command was called right but could not do its work. */
export function failWith(command: string) {
  return (message: string): never => {
    process.stderr.write(`${command}: ${message}\n`);
    process.exit(1);
  };
}

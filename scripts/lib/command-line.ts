/**
 * The front of every command-line script: strict options (a typo is an error),
 * `--help`, and one exit code for bad usage, so the scripts answer alike.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>["values"];

const HELP = { help: { type: "boolean", short: "h" } } as const;

/**
 * Parses `process.argv` against `options` (plus `--help`). Returns the values, or
 * the exit code when the script is done already: 0 after `--help`, 2 after bad
 * usage, both with `usage` printed.
 */
export function parseCommandLine<O extends Options>(options: O, usage: string): Values<O> | number {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: { ...options, ...HELP }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return values as unknown as Values<O>;
}

/**
 * Terminal output shared by the operator commands: where lines go, whether to color them, and
 * the one error format every command uses (`error: <what went wrong>` then `  fix: <what to
 * do>`). Folder-private.
 *
 * @module
 */
import type { ConfigIssue } from "../config/issues.ts";
import { formatIssue } from "../config/issues.ts";
import type { Config } from "../config/schema.ts";

/** Where a command writes. */
export interface Io {
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr. */
  err(line: string): void;
  /** Color output (stdout is a terminal and NO_COLOR is unset). */
  readonly color: boolean;
}

const enc = new TextEncoder();

/**
 * The process's terminal.
 *
 * @returns An Io on stdout/stderr.
 */
export function terminalIo(): Io {
  let color = false;
  try {
    color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
  } catch {
    color = false; // no env permission: plain
  }
  return {
    out: (line) => void Deno.stdout.writeSync(enc.encode(line + "\n")),
    err: (line) => void Deno.stderr.writeSync(enc.encode(line + "\n")),
    color,
  };
}

/** ANSI styles that are no-ops without color. */
export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function sgr(code: number, reset: number): (s: string) => string {
  return (s) => `\x1b[${code}m${s}\x1b[${reset}m`;
}

/**
 * Styles for an Io.
 *
 * @param color Whether to color.
 * @returns The styles.
 */
export function style(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { red: id, green: id, yellow: id, cyan: id, dim: id, bold: id };
  }
  return {
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}

/** A failure a command reports as one line plus the fix; `code` is the exit code. */
export class CliError extends Error {
  readonly fix: string;
  readonly code: number;
  constructor(message: string, fix: string, code = 2) {
    super(message);
    this.name = "CliError";
    this.fix = fix;
    this.code = code;
  }
}

/**
 * Print an error as `error: …` and `  fix: …` and return its exit code. Unexpected errors get a
 * generic fix.
 *
 * @param io Where to print.
 * @param e The error.
 * @returns The exit code.
 */
export function report(io: Io, e: unknown): number {
  if (e instanceof CliError) {
    io.err(`error: ${e.message}`);
    io.err(`  fix: ${e.fix}`);
    return e.code;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(`error: ${message.split("\n")[0]}`);
  io.err("  fix: run with --log-level debug, or report it with the command line that failed");
  return 2;
}

/**
 * Load a config for a command, or throw a CliError naming its first problem.
 *
 * @param file The config path (`-` = stdin).
 * @returns The config.
 * @throws {CliError} when the file cannot be read or is invalid.
 */
export async function loadConfigOrFail(file: string): Promise<Config> {
  // The parser (zod, yaml) loads only for the commands that read a config (issue 6).
  const { loadConfigFile } = await import("../config/load.ts");
  const r = await loadConfigFile(file);
  if (r.ok) return r.config;
  const first: ConfigIssue | undefined = r.errors[0];
  const more = r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : "";
  const text = first ? formatIssue(first) : `${r.file}: invalid`;
  if (first?.message.startsWith("cannot read config")) {
    throw new CliError(
      text.replace(/; fix: .*$/, ""),
      "pass the path of a Linkerd-style YAML or JSON config file",
    );
  }
  throw new CliError(text + more, `run \`switchyard check ${file}\` to see every problem`);
}

/**
 * Pick a router by label (default: the first one).
 *
 * @param config The config.
 * @param label The `--router` option.
 * @returns The router config.
 * @throws {CliError} for an unknown label.
 */
export function pickRouter<R extends { readonly label: string }>(
  routers: readonly R[],
  label: string | undefined,
): R {
  const r = label === undefined ? routers[0] : routers.find((x) => x.label === label);
  if (r === undefined) {
    throw new CliError(
      `no router is labelled ${JSON.stringify(label)}`,
      `pass --router with one of: ${routers.map((x) => x.label).join(", ")}`,
    );
  }
  return r;
}

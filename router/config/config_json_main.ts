/**
 * The `config-json` child's entry when Switchyard runs from source: `deno run
 * router/config/config_json_main.ts FILE|- [--name NAME]` does what `switchyard config-json`
 * does ({@linkcode configJsonCommand}) without loading the CLI and the whole serving module graph
 * first, so a parse (start-up, every reload) costs a Deno start-up plus the parser, not a
 * start-up of all of Switchyard. A bundle or a `deno compile` binary runs `config-json` through
 * its CLI instead (`child_load.ts` picks).
 *
 * @module
 */
import { configJsonCommand } from "./child_load.ts";

/**
 * Parse `FILE|- [--name NAME]`.
 *
 * @param args The arguments.
 * @returns The path and name, or an error message.
 * @example
 * ```ts
 * import { configJsonArgs } from "./config_json_main.ts";
 * configJsonArgs(["-", "--name", "l5d.yaml"]); // { path: "-", name: "l5d.yaml" }
 * ```
 */
export function configJsonArgs(
  args: readonly string[],
): { path: string; name?: string } | { error: string } {
  const [path, ...rest] = args;
  if (path === undefined) return { error: "usage: config_json_main.ts FILE|- [--name NAME]" };
  if (rest.length === 0) return { path };
  if (rest.length === 2 && rest[0] === "--name") return { path, name: rest[1]! };
  if (rest.length === 1 && rest[0]!.startsWith("--name=")) {
    return { path, name: rest[0]!.slice("--name=".length) };
  }
  return { error: `unexpected arguments: ${rest.join(" ")}` };
}

if (import.meta.main) {
  const a = configJsonArgs(Deno.args);
  if ("error" in a) {
    console.error(a.error);
    Deno.exit(2);
  }
  Deno.exitCode = await configJsonCommand(a.path, a.name);
}

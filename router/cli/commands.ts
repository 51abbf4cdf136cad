/**
 * Registers the operator commands on the `switchyard` program. Split from `mod.ts` so that
 * `main.ts` gets the commands without `mod.ts`'s other exports (`check_report.ts` imports the
 * YAML parser, which the serving process must not load; issue 6).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { addOperatorCommands } from "./commands.ts";
 * const program = new Command("switchyard");
 * addOperatorCommands(program);
 * program.commands.map((c) => c.name()); // ["dtab", "routes", "top"]
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { addDtabCommand } from "./dtab_command.ts";
import { addRoutesCommand } from "./routes_command.ts";
import { addTopCommand } from "./top_command.ts";
import type { Io } from "./_term.ts";

/**
 * Add `dtab`, `routes` and `top` to a program.
 *
 * @param program The root `switchyard` command.
 * @param io Output factory (default: the terminal).
 */
export function addOperatorCommands(program: Command, io?: () => Io): void {
  addDtabCommand(program, io);
  addRoutesCommand(program, io);
  addTopCommand(program, io);
}

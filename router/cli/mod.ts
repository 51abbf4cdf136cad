/**
 * The operator commands of the `switchyard` CLI (issue 5), one file per command:
 *
 * | command | file |
 * |---|---|
 * | `switchyard dtab CONFIG PATH [--dtab] [--router] [--wait] [--json]` | `dtab_command.ts` |
 * | `switchyard routes CONFIG [METHOD] URL [-H] [--router]` | `routes_command.ts` |
 * | `switchyard top [--admin] [--interval] [--once]` | `top_command.ts` |
 * | `switchyard check CONFIG` (its routing lints and compiled dtabs) | `check_report.ts` |
 *
 * Every command prints errors as one line `error: …` followed by `  fix: …`, and exits 0 on
 * success, 1 for a negative answer (does not bind, nothing matches, admin unreachable) and 2
 * for bad input.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { addOperatorCommands } from "./mod.ts";
 * const program = new Command("switchyard");
 * addOperatorCommands(program);
 * program.commands.map((c) => c.name()); // ["dtab", "routes", "top"]
 * ```
 *
 * @module
 */
export { addOperatorCommands } from "./commands.ts";
export { addDtabCommand, type DtabOptions, effectiveDtab, runDtab } from "./dtab_command.ts";
export { addRoutesCommand, type RoutesOptions, runRoutes } from "./routes_command.ts";
export { addTopCommand, parseInterval, runTop, type TopOptions } from "./top_command.ts";
export { type LoadedConfig, reportRouting } from "./check_report.ts";
export { lintRouting } from "./routing_lint.ts";
export { hasPending, renderDelegateTree } from "./delegate_tree.ts";
export {
  type Counters,
  rates,
  readSample,
  renderTop,
  type Sample,
  type TopRow,
} from "./top_view.ts";
export type { Io } from "./_term.ts";

/**
 * Switchyard's `services:` section (issue 5): service versions with weights and ordered failover
 * clusters, compiled into dentries that are appended to each router's dtab (see
 * {@linkcode compileServices}). The linker appends them; `/delegator.json`, `switchyard dtab`
 * and `switchyard check` show the result.
 *
 * @example
 * ```ts
 * import { compileServices } from "./mod.ts";
 * const c = compileServices([{
 *   name: "/svc/hello",
 *   versions: [{ dst: "/#/io.l5d.fs/hello-v1", weight: 9 }, { dst: "/#/io.l5d.fs/hello-v2" }],
 *   failover: ["/#/io.l5d.fs/hello-east"],
 * }], "outgoing");
 * c.dentries.length; // 1
 * ```
 *
 * @module
 */
export {
  type CompiledService,
  type CompiledServices,
  compileService,
  compileServices,
  type ServiceDef,
} from "./compile_services.ts";

/**
 * The built-in `/$/nil` namer: every path under it is the `empty` tree (bound to nothing), like
 * the `$` dtab leaf (FIN `Namer.scala` `NilPath`).
 *
 * @module
 */
import { constVar } from "../router/core/var.ts";
import type { Namer } from "./types.ts";
import { EMPTY } from "./_activity.ts";

/** The `/$/` name this namer answers. */
export const kind = "nil";

/**
 * Make the `/$/nil` namer.
 *
 * @returns A namer whose every lookup is `empty`.
 * @example
 * ```ts
 * import { createNilNamer } from "./nil.ts";
 * createNilNamer().lookup([]).get(); // { state: "ok", value: { type: "empty" } }
 * ```
 */
export function createNilNamer(): Namer {
  const result = constVar(EMPTY);
  return { kind, lookup: () => result };
}

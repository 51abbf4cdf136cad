/**
 * The built-in `/$/fail` namer: every path under it is the `fail` tree, which stops delegation
 * (no fall-through to alternatives), like the `!` dtab leaf (FIN `Namer.scala` `FailPath`).
 *
 * @module
 */
import { constVar } from "../router/core/var.ts";
import type { Namer } from "./types.ts";
import { FAIL } from "./_activity.ts";

/** The `/$/` name this namer answers. */
export const kind = "fail";

/**
 * Make the `/$/fail` namer.
 *
 * @returns A namer whose every lookup is `fail`.
 * @example
 * ```ts
 * import { createFailNamer } from "./fail.ts";
 * createFailNamer().lookup(["anything"]).get(); // { state: "ok", value: { type: "fail" } }
 * ```
 */
export function createFailNamer(): Namer {
  const result = constVar(FAIL);
  return { kind, lookup: () => result };
}

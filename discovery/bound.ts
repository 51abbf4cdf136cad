/**
 * Building `Bound` names (Finagle's `Name.Bound`): a concrete id, its endpoint Var and the
 * residual path the namer did not consume.
 *
 * Namers return ids *relative to their own prefix* (`["hello"]` for `/#/io.l5d.fs/hello`);
 * the interpreter (`interpreter.ts`) qualifies them to `/#/<prefix>/...` or `/$/<name>/...`.
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";
import type { Var } from "../router/core/var.ts";
import type { Addr, Bound } from "./types.ts";
import { showPath } from "./_path.ts";

/**
 * Make a Bound, computing `idStr` once.
 *
 * @param id The concrete name (relative to the namer's prefix when returned by a namer).
 * @param addr The endpoint set.
 * @param residual The unconsumed rest of the looked-up path.
 * @returns The Bound.
 * @example
 * ```ts
 * import { makeBound } from "./bound.ts";
 * import { constVar } from "../router/core/var.ts";
 * const b = makeBound(["hello"], constVar({ type: "neg" }), ["rest"]);
 * b.idStr; // "/hello"
 * ```
 */
export function makeBound(id: Path, addr: Var<Addr>, residual: Path): Bound {
  return { id, idStr: showPath(id), addr, residual };
}

/**
 * `io.l5d.static`: every request gets `dstPrefix` + the configured `path`.
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import type { Identifier } from "./identifier.ts";

/** Linkerd kind. */
export const kind = "io.l5d.static";

/** Build the identifier. */
export function staticIdentifier(prefix: Path, path: Path): Identifier {
  const dst = { ok: true, dst: [...prefix, ...path] } as const;
  return function identifyStatic() {
    return dst;
  };
}

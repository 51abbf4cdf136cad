/**
 * `io.l5d.header`: `/svc` + the header's value read as a path (it must start with `/`).
 * Default header `l5d-name`.
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import type { Identifier } from "./identifier.ts";

/** Linkerd kind. */
export const kind = "io.l5d.header";

/** Options. */
export interface HeaderIdentifierOptions {
  readonly header?: string;
}

/** Build the identifier; `parsePath` reads the header value as a dtab path. */
export function headerIdentifier(
  prefix: Path,
  parsePath: (s: string) => Path,
  opts: HeaderIdentifierOptions = {},
): Identifier {
  const header = (opts.header ?? "l5d-name").toLowerCase();
  return function identifyHeaderPath({ req }) {
    const v = req.headers.get(header);
    if (!v) return { ok: false, reason: `${header} header is absent` };
    try {
      return { ok: true, dst: [...prefix, ...parsePath(v)] };
    } catch (e: unknown) {
      return { ok: false, reason: `${header} header is not a path: ${(e as Error).message}` };
    }
  };
}

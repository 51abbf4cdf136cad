/**
 * `io.l5d.header`: `/svc` + the header's value read as a path (it must start with `/`).
 * Default header `l5d-name`. A value that is not a path fails the request (400) at once: a
 * chain does not go on to the next identifier (Linkerd's `HeaderIdentifier` throws), and the
 * reason is the parser's message. An absent or empty header is unidentified: "<header> header is
 * absent", with the name as configured.
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import { firstHeader, type Identifier } from "./identifier.ts";
import { UnknownDestination } from "../core/errors.ts";
import { splitDtabError } from "../dtab/error_text.ts";

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
  const configured = opts.header ?? "l5d-name";
  const header = configured.toLowerCase();
  // Linkerd's HeaderIdentifier: `s"$header header is absent"`, the name as configured.
  const absent = { ok: false, reason: `${configured} header is absent` } as const;
  return function identifyHeaderPath({ req }) {
    const v = firstHeader(req, header); // the first of repeated fields, as Finagle's headerMap.get
    if (!v) return absent;
    let path: Path;
    try {
      path = parsePath(v);
    } catch (e: unknown) {
      // Not "unidentified": Linkerd's Path.read throws and the request fails (400) without
      // trying later identifiers; the reason is the parser's message (Finagle's wording).
      const msg = splitDtabError(e instanceof Error ? e.message : String(e)).text;
      throw new UnknownDestination(`Unknown destination: ${msg}`, msg);
    }
    return { ok: true, dst: [...prefix, ...path] };
  };
}

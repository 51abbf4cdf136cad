/**
 * `io.l5d.header.path` (h2 routers, L1 `protocol-h2.md`): a path read from a header, by default
 * the `:path` pseudo-header (the request target), query and trailing slash dropped; of a repeated
 * header the last value counts. With
 * `segments: N` the name is `dstPrefix` + the first N segments (fewer → unidentified, "Path must
 * have at least N segment(s)"); without it, the whole path. gRPC targets are
 * `/<package.Service>/<Method>`, so `segments: 1` routes by gRPC service:
 * `/helloworld.Greeter/SayHello` → `/svc/helloworld.Greeter`.
 *
 * @example
 * ```ts
 * import { headerPathIdentifier } from "./header_path.ts";
 * const id = headerPathIdentifier(["svc"], (s) => s.split("/").filter(Boolean), { segments: 1 });
 * const url = new URL("http://x/helloworld.Greeter/SayHello");
 * console.log(id({ req: new Request(url), url, host: "x" })); // { ok: true, dst: ["svc", "helloworld.Greeter"] }
 * ```
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import { type Identifier, lastHeader } from "./identifier.ts";
import { UnknownDestination } from "../core/errors.ts";

/** Linkerd kind. */
export const kind = "io.l5d.header.path";

/** Options: the header (default `:path`) and the segment count (default: the whole path). */
export interface HeaderPathOptions {
  readonly header?: string;
  readonly segments?: number | undefined;
}

/**
 * Build the identifier for a `dstPrefix`.
 *
 * @param parsePath reads a path string; throws on a malformed one (the request then fails 400)
 */
export function headerPathIdentifier(
  prefix: Path,
  parsePath: (s: string) => Path,
  opts: HeaderPathOptions = {},
): Identifier {
  const header = (opts.header ?? ":path").toLowerCase();
  const n = opts.segments;
  const tooShort = `Path must have at least ${n} segment(s)`;
  return function identifyHeaderPath({ req, url }) {
    let raw: string;
    if (header === ":path") raw = url.pathname;
    else {
      // Of a repeated field the last value counts (`req.headers.get(header).lastOption`).
      const v = lastHeader(req, header);
      raw = v === null ? "" : v;
      const q = raw.indexOf("?");
      if (q >= 0) raw = raw.slice(0, q);
    }
    if (raw.endsWith("/")) raw = raw.slice(0, -1);
    let p: Path;
    try {
      p = raw === "" ? [] : parsePath(raw);
    } catch (e: unknown) {
      // Linkerd's Path.read throws: the request fails (400) without trying later identifiers.
      const msg = e instanceof Error ? e.message : String(e);
      throw new UnknownDestination(`Unknown destination: ${header} is not a path: ${msg}`);
    }
    if (n === undefined) {
      return p.length === 0
        ? { ok: false, reason: "Missing destination path" }
        : { ok: true, dst: [...prefix, ...p] };
    }
    return p.length < n
      ? { ok: false, reason: tooShort }
      : { ok: true, dst: [...prefix, ...p.slice(0, n)] };
  };
}

/**
 * `io.l5d.methodAndHost`: `/svc/1.1/<METHOD>/<host lowercased>[/<uri path>]`. The URL path is
 * appended only with `httpUriInDst: true`. (Deno.serve hides the HTTP version; requests are
 * treated as HTTP/1.1, so a missing Host is unidentified.)
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import { type Identifier, pathSegments } from "./identifier.ts";

/** Linkerd kind. */
export const kind = "io.l5d.methodAndHost";

/** Options. */
export interface MethodAndHostOptions {
  readonly httpUriInDst?: boolean;
}

/** Build the identifier for a `dstPrefix`. */
export function methodAndHostIdentifier(prefix: Path, opts: MethodAndHostOptions = {}): Identifier {
  const withUri = opts.httpUriInDst ?? false;
  return function identifyMethodAndHost({ req, url, host }) {
    if (!host) return { ok: false, reason: "Host header is absent" };
    const dst = [...prefix, "1.1", req.method, host.toLowerCase()];
    if (withUri) dst.push(...pathSegments(url.pathname));
    return { ok: true, dst };
  };
}

/**
 * `io.l5d.methodAndHost` (Linkerd's MethodAndHostIdentifier): HTTP/1.1 requests are named
 * `/svc/1.1/<METHOD>/<host lowercased>[/<uri path>]`, HTTP/1.0 ones `/svc/1.0/<METHOD>[/<uri
 * path>]` (no host: 1.0 does not require one). The URL path is appended only with
 * `httpUriInDst: true`. An HTTP/1.1 request without a Host is unidentified. The version comes
 * from the raw engine's request line; `engine: serve` hides it, so there every request is 1.1.
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
  return function identifyMethodAndHost({ req, url, host, version }) {
    if (version === "1.0") {
      const dst = [...prefix, "1.0", req.method];
      if (withUri) dst.push(...pathSegments(url.pathname));
      return { ok: true, dst };
    }
    if (!host) return { ok: false, reason: "Host header is absent" };
    const dst = [...prefix, "1.1", req.method, host.toLowerCase()];
    if (withUri) dst.push(...pathSegments(url.pathname));
    return { ok: true, dst };
  };
}

/**
 * `io.l5d.methodAndHost` (Linkerd's MethodAndHostIdentifier): HTTP/1.1 requests are named
 * `/svc/1.1/<METHOD>/<host lowercased>[/<uri path>]`, HTTP/1.0 ones `/svc/1.0/<METHOD>[/<uri
 * path>]` (no host: 1.0 does not require one). The URL path is appended only with
 * `httpUriInDst: true`. An HTTP/1.1 request without a Host (or with an empty one) is
 * unidentified: "HTTP/1.1 request missing hostname", Linkerd's reason. The version comes
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

/** Linkerd's MethodAndHostIdentifier: `s"${Version.Http11} request missing hostname"`. */
const MISSING_HOST = { ok: false, reason: "HTTP/1.1 request missing hostname" } as const;

/** Build the identifier for a `dstPrefix`. */
export function methodAndHostIdentifier(prefix: Path, opts: MethodAndHostOptions = {}): Identifier {
  const withUri = opts.httpUriInDst ?? false;
  return function identifyMethodAndHost({ req, url, host, version }) {
    if (version === "1.0") {
      const dst = [...prefix, "1.0", req.method];
      if (withUri) dst.push(...pathSegments(url.pathname));
      return { ok: true, dst };
    }
    if (!host) return MISSING_HOST;
    const dst = [...prefix, "1.1", req.method, host.toLowerCase()];
    if (withUri) dst.push(...pathSegments(url.pathname));
    return { ok: true, dst };
  };
}

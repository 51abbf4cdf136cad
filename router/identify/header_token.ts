/**
 * `io.l5d.header.token` (the default identifier): `/svc/<header value>` as one segment. The value
 * is used as sent: not lowercased, port kept (`Host: hello:7777` → `/svc/hello:7777`). Of a
 * repeated header the first value counts (`X-Svc: a` then `X-Svc: b` → `/svc/a`).
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import { firstHeader, type Identifier, lastHeader } from "./identifier.ts";

/** Linkerd kind. */
export const kind = "io.l5d.header.token";

/** Options: the header (default `Host`). */
export interface HeaderTokenOptions {
  readonly header?: string;
}

/** Build the identifier for a `dstPrefix`. */
export function headerTokenIdentifier(prefix: Path, opts: HeaderTokenOptions = {}): Identifier {
  const header = opts.header ?? "Host";
  const lower = header.toLowerCase();
  const absent = `${header} header is absent`;
  if (lower === "host" || lower === ":authority") {
    return function identifyHost({ host }) {
      return host ? { ok: true, dst: [...prefix, host] } : { ok: false, reason: absent };
    };
  }
  return function identifyHeaderToken({ req, version }) {
    // A repeated field: the first for HTTP/1 (Finagle's headerMap.get), the last for h2
    // (protocol-h2.md: "If there are multiple headers with this name, the last one is used").
    const v = version === "2.0" ? lastHeader(req, lower) : firstHeader(req, lower);
    return v ? { ok: true, dst: [...prefix, v] } : { ok: false, reason: absent };
  };
}

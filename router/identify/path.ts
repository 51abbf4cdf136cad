/**
 * `io.l5d.path`: `/svc/<first N path segments>`. With `consume: true` those segments are removed
 * from the forwarded target; the query and a trailing slash are kept
 * (`/true/love/waits.php`, segments 2 → `/svc/true/love`, forwarded as `/waits.php`).
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import type { Identifier } from "./identifier.ts";

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/** Linkerd kind. */
export const kind = "io.l5d.path";

/** Options. */
export interface PathIdentifierOptions {
  readonly segments?: number;
  readonly consume?: boolean;
}

/** Build the identifier for a `dstPrefix`. */
export function pathIdentifier(prefix: Path, opts: PathIdentifierOptions = {}): Identifier {
  const n = opts.segments ?? 1;
  const consume = opts.consume ?? false;
  return function identifyPath({ url }) {
    const p = url.pathname;
    const len = p.length;
    const segs: string[] = [];
    let i = 0;
    while (segs.length < n && i < len) {
      while (i < len && charCodeAt.call(p, i) === 47) i++;
      if (i >= len) break;
      let j = i;
      while (j < len && charCodeAt.call(p, j) !== 47) j++;
      segs.push(p.slice(i, j));
      i = j;
    }
    if (segs.length < n) return { ok: false, reason: "not enough segments in path" };
    const dst = [...prefix, ...segs];
    if (!consume) return { ok: true, dst };
    const rest = p.slice(i);
    const target = (rest === "" ? "/" : rest) + url.search;
    return { ok: true, dst, target };
  };
}

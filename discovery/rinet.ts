/**
 * The built-in `/$/io.buoyant.rinet` namer (L1 `namer/core/src/main/scala/io/buoyant/rinet.scala`):
 * `/$/io.buoyant.rinet/<port>/<host>[/residual...]` is `/$/inet/<host>/<port>` with the
 * arguments reversed, so a dtab prefix can fix the port
 * (`/svc => /$/io.buoyant.rinet/8080`). The bound id is `/$/io.buoyant.rinet/<port>/<host>`.
 * Fewer than two labels is Neg; a bad port binds to a `failed` Addr (as Linkerd's
 * `Resolver.eval` does). Resolution is shared with the inet namer passed in.
 *
 * @module
 */
import { constVar, type Var } from "../router/core/var.ts";
import type { Addr, Namer } from "./types.ts";
import type { InetNamer } from "./inet.ts";
import { makeBound } from "./bound.ts";
import { boundedCache, leafBound, type Lookup, NEG } from "./_activity.ts";
import { pathKey } from "./_path.ts";

/** The `/$/` name this namer answers. */
export const kind = "io.buoyant.rinet";

/**
 * Make the rinet namer on top of an inet namer (which owns the DNS timers).
 *
 * @param inet The inet namer whose `addrOf` resolves hosts.
 * @returns The namer.
 * @example
 * ```ts
 * import { createInetNamer } from "./inet.ts";
 * import { createRinetNamer } from "./rinet.ts";
 * const inet = createInetNamer();
 * createRinetNamer(inet).lookup(["8080", "127.0.0.1"]).get(); // bound /8080/127.0.0.1
 * await inet.close();
 * ```
 */
export function createRinetNamer(inet: InetNamer): Namer {
  const neg: Var<Lookup> = constVar(NEG);
  const lookups = boundedCache<Var<Lookup>>(1000);
  return {
    kind,
    lookup(path) {
      const [portText, host] = path;
      if (portText === undefined || host === undefined) return neg;
      const key = pathKey(path);
      const hit = lookups.get(key);
      if (hit) return hit;
      const port = /^[+-]?\d+$/.test(portText) ? Number(portText) : NaN;
      const addr: Var<Addr> = port >= 1 && port <= 65535
        ? inet.addrOf(host, port)
        : constVar({ type: "failed", error: `/$/${kind}: bad port ${portText}` });
      const result = constVar(leafBound(makeBound(path.slice(0, 2), addr, path.slice(2))));
      lookups.set(key, result);
      return result;
    },
  };
}

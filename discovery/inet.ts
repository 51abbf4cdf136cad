/**
 * The built-in `/$/inet` namer (FIN `Namer.scala` `InetPath`, FIN `InetResolver.scala`):
 * `/$/inet/<host>/<port>[/residual...]` binds `host:port`; `/$/inet/<port>[/residual...]` binds
 * the wildcard address `0.0.0.0:<port>`. The bound id is `/$/inet/<host>/<port>` and the rest is
 * the residual.
 *
 * - IP literals (including Java's short forms such as `127.1`) bind immediately; `localhost`
 *   binds to `127.0.0.1` without DNS.
 * - Other hosts resolve A and AAAA via `Deno.resolveDns`: `pending` until the first answer, then
 *   re-resolved every `refreshMs` (Finagle's default poll: 5 s). No records / NXDOMAIN → `neg`;
 *   another error → `failed`, except that a bound set is kept over a transient failure (keep
 *   last good, `addr.ts`). Timers are unref'd and `close()` stops them and aborts lookups.
 * - A port that is not an integer in 1..65535, or a path too short, is a failed lookup (Finagle
 *   fails these too, by throwing).
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import { constVar, type Var } from "../router/core/var.ts";
import type { Path } from "../router/dtab/types.ts";
import type { Addr, Namer } from "./types.ts";
import { address, boundAddr } from "./addr.ts";
import { refreshedAddrs } from "./_refresh.ts";
import { makeBound } from "./bound.ts";
import { parseIpLiteral } from "./ip_literal.ts";
import { boundedCache, failed, leafBound, type Lookup } from "./_activity.ts";
import { pathKey } from "./_path.ts";
import { timerFor } from "./_timer.ts";

/** The `/$/` name this namer answers. */
export const kind = "inet";

/**
 * Resolve a host name to ip strings. Reject with `Deno.errors.NotFound` when the name has no
 * records (→ `neg`); any other rejection means `failed`.
 */
export type HostResolver = (host: string, signal: AbortSignal) => Promise<readonly string[]>;

/** Options of `createInetNamer`. */
export interface InetNamerOptions {
  /** Re-resolution period for host names, default 5000 ms. */
  readonly refreshMs?: number;
  /** Timer source (tests); default real, unref'd timers. */
  readonly clock?: Clock;
  /** DNS lookup; default `resolveHost` (A + AAAA through `Deno.resolveDns`). */
  readonly resolve?: HostResolver;
  /** How many distinct lookup paths keep their Var identity, default 1000. */
  readonly maxCachedLookups?: number;
}

/** The inet namer, which also exposes its resolver for `/$/io.buoyant.rinet`. */
export interface InetNamer extends Namer {
  /** The (shared, cached) endpoint Var of `host:port`. */
  addrOf(host: string, port: number): Var<Addr>;
  /** Stop re-resolution timers and abort lookups in flight. */
  close(): Promise<void>;
}

/**
 * Resolve A and AAAA records with `Deno.resolveDns`; IPv4 first.
 *
 * @param host A DNS name.
 * @param signal Aborts both queries.
 * @returns The addresses.
 * @throws {Deno.errors.NotFound} When neither query has records.
 * @example
 * ```ts ignore
 * import { resolveHost } from "./inet.ts";
 * const ips = await resolveHost("example.com", AbortSignal.timeout(1000));
 * ```
 */
export async function resolveHost(host: string, signal: AbortSignal): Promise<string[]> {
  const results = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  const ips: string[] = [];
  const errors: unknown[] = [];
  for (const r of results) {
    if (r.status === "fulfilled") ips.push(...r.value);
    else errors.push(r.reason);
  }
  if (ips.length > 0) return ips;
  const other = errors.find((e) => !(e instanceof Deno.errors.NotFound));
  throw other ?? errors[0] ?? new Deno.errors.NotFound(`no records for ${host}`);
}

const INTEGER = /^[+-]?\d+$/;

/** Split an inet path into host, port and how many labels the bound id consumes. */
export function parseInetPath(
  path: Path,
): { host: string; port: number; consumed: number } | { error: string } {
  let host: string, portText: string, consumed: number;
  if (path.length >= 2 && INTEGER.test(path[1] as string)) {
    [host, portText, consumed] = [path[0] as string, path[1] as string, 2];
  } else if (path.length >= 1 && INTEGER.test(path[0] as string)) {
    [host, portText, consumed] = ["0.0.0.0", path[0] as string, 1];
  } else {
    return { error: "expected /$/inet/<host>/<port>" };
  }
  const port = Number(portText);
  if (!(port >= 1 && port <= 65535)) return { error: `port out of range 1..65535: ${portText}` };
  return { host, port, consumed };
}

/**
 * Make the `/$/inet` namer.
 *
 * @param opts Refresh period, clock, resolver.
 * @returns The namer; call `close()` to stop its timers.
 * @example
 * ```ts
 * import { createInetNamer } from "./inet.ts";
 * const inet = createInetNamer();
 * inet.lookup(["127.1", "8080", "residual"]).get(); // leaf bound /127.1/8080, residual /residual
 * await inet.close();
 * ```
 */
export function createInetNamer(opts: InetNamerOptions = {}): InetNamer {
  const refreshMs = opts.refreshMs ?? 5000;
  const resolve = opts.resolve ?? resolveHost;
  const setTimer = timerFor(opts.clock);
  const refreshed = refreshedAddrs(refreshMs, setTimer);
  // IP literals need no resolution; their Vars are only kept for reuse (bounded: a client sending
  // random `ip:port` Hosts must not grow this without end).
  const literals = boundedCache<Var<Addr>>(opts.maxCachedLookups ?? 1000);
  const lookups = boundedCache<Var<Lookup>>(opts.maxCachedLookups ?? 1000);

  function addrOf(host: string, port: number): Var<Addr> {
    const key = `${host} ${port}`;
    const ip = host === "localhost" ? "127.0.0.1" : parseIpLiteral(host);
    if (ip !== undefined) {
      let v = literals.get(key);
      if (!v) literals.set(key, v = constVar(boundAddr([address(ip, port)])));
      return v;
    }
    return refreshed.addr(
      key,
      `inet ${host}`,
      async (signal) => boundAddr((await resolve(host, signal)).map((ip) => address(ip, port))),
    );
  }

  return {
    kind,
    addrOf,
    lookup(path) {
      const key = pathKey(path);
      const hit = lookups.get(key);
      if (hit) return hit;
      const p = parseInetPath(path);
      const result = "error" in p
        ? constVar(failed(`/$/inet: ${p.error}`))
        : constVar(leafBound(makeBound(
          path.slice(0, p.consumed),
          addrOf(p.host, p.port),
          path.slice(p.consumed),
        )));
      lookups.set(key, result);
      return result;
    },
    async close() {
      await refreshed.close();
      lookups.clear();
    },
  };
}

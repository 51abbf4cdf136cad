/**
 * The `io.l5d.dnssrv` namer (L1 `namer/dnssrv/.../DnsSrvNamer.scala`; REF `linkerd1.md` §3):
 * `/#/io.l5d.dnssrv/<srv-record>[/residual...]` binds the endpoints of a DNS SRV record, e.g.
 * `/#/io.l5d.dnssrv/_http._tcp.web.example.org`. The bound id is `/<srv-record>`.
 *
 * Config: `experimental: true` (required, as in Linkerd), `refreshIntervalSeconds` (default 5),
 * `domain` (default `.`: a record name not ending in `.` gets `.<domain>` appended, namer.md),
 * `dnsHosts` (name servers to ask, `ip`, `ip:port`, `[v6]:port` or a host name resolved through
 * the system resolver; tried in order; default the system resolver), `prefix` (default
 * `/io.l5d.dnssrv`).
 *
 * - Each SRV answer's target is resolved (A and AAAA, through the same name servers) and paired
 *   with the record's port. Targets that do not resolve, and the "no service" target `.`, are
 *   skipped. All weights are 1, as in Linkerd (SRV priority and weight are not used).
 * - Pending until the first answer, then re-queried every `refreshIntervalSeconds`; updates go
 *   into the same endpoint Var. NXDOMAIN, no records or no usable target is **Neg**, as in
 *   Linkerd. Any other error (a timeout, no server answering) keeps the last good endpoints once
 *   there are some (`keepLastGood`), as Linkerd's namer leaves its state alone after its first
 *   answer; before any answer it is Neg (Linkerd: a failed Activity). `Deno.resolveDns` reports
 *   REFUSED as it does NXDOMAIN, so a refusing server makes the name Neg (Linkerd: an
 *   "unexpected RCODE" failure). Timers are unref'd; `close()` stops them and aborts queries in
 *   flight.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Var } from "../router/core/var.ts";
import type { Addr, Address, Namer } from "./types.ts";
import { address, boundAddr } from "./addr.ts";
import { refreshedAddrs } from "./_refresh.ts";
import { makeBound } from "./bound.ts";
import { parseIpLiteral } from "./ip_literal.ts";
import {
  boundedCache,
  leafBound,
  type Lookup,
  lookupEquals,
  mapVar,
  negBecause,
  PENDING,
} from "./_activity.ts";
import { pathKey } from "./_path.ts";
import { timerFor } from "./_timer.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.dnssrv";

/**
 * Resolve an SRV record to endpoints. Reject with `Deno.errors.NotFound` when the record does
 * not exist (→ Neg); other rejections are transient failures.
 */
export type SrvResolver = (name: string, signal: AbortSignal) => Promise<readonly Address[]>;

/** Options of {@linkcode createDnsSrvNamer}. */
export interface DnsSrvNamerOptions {
  /** Re-query period, default 5000 ms. */
  readonly refreshMs?: number;
  /** Name servers (see the module doc); default the system resolver. */
  readonly dnsHosts?: readonly string[];
  /** Origin appended to relative record names (not ending in `.`); default `.` (none). */
  readonly domain?: string;
  /** The resolver; default {@linkcode resolveSrv} over `dnsHosts`. */
  readonly resolve?: SrvResolver;
  /** Timer source (tests); default real, unref'd timers. */
  readonly clock?: Clock;
}

/** The namer. */
export interface DnsSrvNamer extends Namer {
  close(): Promise<void>;
}

type NameServer = Deno.ResolveDnsOptions["nameServer"];

/** Parse `ip`, `ip:port` or `[v6]:port`; a host name gives `undefined`. */
function parseNameServer(text: string): NameServer | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const ip = parseIpLiteral(bracketed[1] as string);
    return ip ? { ipAddr: ip, port: Number(bracketed[2] ?? 53) } : undefined;
  }
  const direct = parseIpLiteral(text);
  if (direct) return { ipAddr: direct, port: 53 };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m) {
    const ip = parseIpLiteral(m[1] as string);
    return ip ? { ipAddr: ip, port: Number(m[2]) } : undefined;
  }
  return undefined;
}

async function nameServers(
  hosts: readonly string[],
  signal: AbortSignal,
): Promise<(NameServer | undefined)[]> {
  if (hosts.length === 0) return [undefined];
  const out: NameServer[] = [];
  for (const h of hosts) {
    const direct = parseNameServer(h);
    if (direct) {
      out.push(direct);
      continue;
    }
    const [name, port] = h.includes(":") ? h.split(":") : [h, "53"];
    try {
      for (const ip of await Deno.resolveDns(name as string, "A", { signal })) {
        out.push({ ipAddr: ip, port: Number(port) });
      }
    } catch {
      // an unresolvable name server is skipped
    }
  }
  return out;
}

async function resolveTarget(
  target: string,
  port: number,
  ns: NameServer | undefined,
  signal: AbortSignal,
): Promise<Address[]> {
  const ip = parseIpLiteral(target.replace(/\.$/, ""));
  if (ip) return [address(ip, port)];
  const opts = ns ? { nameServer: ns, signal } : { signal };
  const results = await Promise.allSettled([
    Deno.resolveDns(target, "A", opts),
    Deno.resolveDns(target, "AAAA", opts),
  ]);
  return results.flatMap((r) =>
    r.status === "fulfilled" ? r.value.map((a) => address(a, port)) : []
  );
}

/**
 * Resolve an SRV record and its targets with `Deno.resolveDns`, asking `dnsHosts` in order (the
 * first that answers, even "no such name", wins).
 *
 * @param name The SRV record name.
 * @param dnsHosts Name servers; empty = the system resolver.
 * @param signal Aborts the queries.
 * @returns The endpoints (possibly empty when no target resolves).
 * @throws {Deno.errors.NotFound} When the record does not exist; other errors when no server
 *   answers.
 * @example
 * ```ts ignore
 * import { resolveSrv } from "./dns_srv.ts";
 * const addrs = await resolveSrv("_http._tcp.example.org", [], AbortSignal.timeout(2000));
 * ```
 */
export async function resolveSrv(
  name: string,
  dnsHosts: readonly string[],
  signal: AbortSignal,
): Promise<Address[]> {
  let lastError: unknown = new Error(`no name server answered for ${name}`);
  for (const ns of await nameServers(dnsHosts, signal)) {
    let records: Deno.SrvRecord[];
    try {
      records = await Deno.resolveDns(name, "SRV", ns ? { nameServer: ns, signal } : { signal });
    } catch (e: unknown) {
      if (e instanceof Deno.errors.NotFound) throw e;
      lastError = e;
      continue;
    }
    const usable = records.filter((r) => r.target !== "." && r.target !== "");
    const addrs = await Promise.all(usable.map((r) => resolveTarget(r.target, r.port, ns, signal)));
    return addrs.flat();
  }
  throw lastError;
}

/**
 * A record name as Linkerd's `DNS.Name.fromString(address, origin)` reads it: a name ending in
 * `.` is absolute and kept; any other gets `.<domain>` appended (the domain is always absolute,
 * with or without its trailing `.`; `.` or none adds nothing).
 */
export function absoluteName(name: string, domain: string | undefined): string {
  if (name.endsWith(".")) return name;
  const origin = (domain ?? ".").replace(/\.$/, "");
  return origin === "" ? name : `${name}.${origin}`;
}

/**
 * Make the `io.l5d.dnssrv` namer.
 *
 * @param opts Refresh period, name servers, resolver, clock.
 * @returns The namer; `close()` stops its timers.
 * @example
 * ```ts
 * import { createDnsSrvNamer } from "./dns_srv.ts";
 * const namer = createDnsSrvNamer({
 *   resolve: () => Promise.resolve([{ host: "10.0.0.1", port: 8080, weight: 1 }]),
 * });
 * namer.lookup(["_http._tcp.web", "rest"]).get(); // pending, then a leaf with residual /rest
 * await namer.close();
 * ```
 */
export function createDnsSrvNamer(opts: DnsSrvNamerOptions = {}): DnsSrvNamer {
  const refreshMs = opts.refreshMs ?? 5000;
  const dnsHosts = opts.dnsHosts ?? [];
  const resolve: SrvResolver = opts.resolve ??
    ((name, signal) => resolveSrv(name, dnsHosts, signal));
  const setTimer = timerFor(opts.clock);
  const refreshed = refreshedAddrs(refreshMs, setTimer);
  const lookups = boundedCache<Var<Lookup>>(1000);

  function addrOf(name: string): Var<Addr> {
    const fqdn = absoluteName(name, opts.domain);
    return refreshed.addr(fqdn, `dnssrv ${fqdn}`, async (signal) => {
      const addrs = await resolve(fqdn, signal);
      return addrs.length > 0 ? boundAddr(addrs) : { type: "neg" };
    });
  }

  return {
    kind,
    lookup(path) {
      const key = pathKey(path);
      const hit = lookups.get(key);
      if (hit) return hit;
      const name = path[0];
      let v: Var<Lookup>;
      if (name === undefined) {
        v = { get: () => negBecause("dnssrv: no record name"), subscribe: () => () => {} };
      } else {
        const addr = addrOf(name);
        const leaf = leafBound(makeBound([name], addr, path.slice(1)));
        v = mapVar(addr, (a): Lookup => {
          if (a.type === "pending") return PENDING;
          if (a.type === "bound") return leaf;
          return negBecause(a.type === "failed" ? a.error : `dnssrv: no endpoints for ${name}`);
        }, lookupEquals);
      }
      lookups.set(key, v);
      return v;
    },
    async close() {
      await refreshed.close();
      lookups.clear();
    },
  };
}

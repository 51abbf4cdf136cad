/**
 * Linkerd's endpoint-rewriting transformers that need no Kubernetes API:
 * - `io.l5d.port` {port}: every endpoint's port becomes `port` (e.g. the incoming router's),
 *   prefix `/%/io.l5d.port/<port>`;
 * - `io.l5d.localhost`: keeps only endpoints whose IP is one of this host's addresses,
 *   prefix `/%/io.l5d.localhost`;
 * - `io.l5d.specificHost` {host}: keeps only endpoints with that host's IP (a name is resolved
 *   once, as Linkerd's `InetAddress.getByName`; results are pending until it is, and fail if it
 *   does not resolve), prefix `/%/io.l5d.specificHost` (Linkerd's `defaultPrefix`; the host is
 *   not part of it).
 * An empty result is Neg, so dtab alternation falls through (Linkerd's behaviour).
 *
 * @module
 */
import { mutableVar, type Var } from "../../router/core/var.ts";
import type { Addr, Address } from "../types.ts";
import { addrEquals, boundAddr } from "../addr.ts";
import { mapVar } from "../_activity.ts";
import { parseIpLiteral } from "../ip_literal.ts";
import { type HostResolver, resolveHost } from "../inet.ts";
import { boundTransformer, type NameTreeTransformer, type Readiness } from "./transformer.ts";

/** Kinds. */
export const portKind = "io.l5d.port";
export const localhostKind = "io.l5d.localhost";
export const specificHostKind = "io.l5d.specificHost";

function mapping(f: (addrs: readonly Address[]) => Address[]): (v: Var<Addr>) => Var<Addr> {
  return (v) =>
    mapVar(v, (a): Addr => {
      if (a.type !== "bound") return a;
      const out = f(a.addrs);
      return out.length === 0 ? { type: "neg" } : boundAddr(out);
    }, addrEquals);
}

/** `io.l5d.port`. */
export function createPortTransformer(
  port: number,
  prefix?: readonly string[],
): NameTreeTransformer {
  return boundTransformer({
    kind: portKind,
    prefix: prefix ?? ["%", portKind, String(port)],
    mapAddr: mapping((addrs) => {
      const seen = new Map<string, Address>();
      for (const a of addrs) {
        const k = a.host;
        const prev = seen.get(k);
        // Several pods on one host collapse into one endpoint weighted by their count.
        seen.set(k, { ...a, port, weight: (prev?.weight ?? 0) + a.weight });
      }
      return [...seen.values()];
    }),
  });
}

/** This host's IP addresses (loopback included). */
export function localAddresses(): Set<string> {
  const out = new Set(["127.0.0.1", "::1"]);
  try {
    for (const i of Deno.networkInterfaces()) out.add(i.address);
  } catch {
    // no permission: loopback only
  }
  return out;
}

/** `io.l5d.localhost`. */
export function createLocalhostTransformer(
  local: ReadonlySet<string> = localAddresses(),
  prefix?: readonly string[],
): NameTreeTransformer {
  return boundTransformer({
    kind: localhostKind,
    prefix: prefix ?? ["%", localhostKind],
    mapAddr: mapping((addrs) => addrs.filter((a) => local.has(a.host))),
  });
}

/**
 * `io.l5d.specificHost`: keep the endpoints whose IP is `host`'s (an IP literal, or a name
 * resolved once through `resolve`; an endpoint written as that same name is kept too).
 *
 * @param host The host (`10.0.0.1`, `localhost`, ...).
 * @param prefix The full id prefix, default `/%/io.l5d.specificHost`.
 * @param resolve Name lookup, default A + AAAA through `Deno.resolveDns`.
 * @returns The transformer.
 * @example
 * ```ts
 * import { createSpecificHostTransformer } from "./host_transformers.ts";
 * const t = createSpecificHostTransformer("10.0.0.1");
 * t.prefix; // ["%", "io.l5d.specificHost"]
 * ```
 */
export function createSpecificHostTransformer(
  host: string,
  prefix?: readonly string[],
  resolve: HostResolver = resolveHost,
): NameTreeTransformer {
  const ip = parseIpLiteral(host);
  const keep = new Set([host, ...(ip ? [ip] : [])]);
  let ready: Var<Readiness> | undefined;
  const abort = new AbortController();
  if (!ip) {
    const state = mutableVar<Readiness>({ state: "pending" });
    ready = state;
    resolve(host, abort.signal).then((ips) => {
      for (const a of ips) keep.add(parseIpLiteral(a) ?? a);
      state.set({ state: "ready" });
    }, (e: unknown) => {
      const why = e instanceof Error ? e.message : String(e);
      state.set({ state: "failed", error: `cannot resolve host ${host}: ${why}` });
    });
  }
  return boundTransformer({
    kind: specificHostKind,
    prefix: prefix ?? ["%", specificHostKind],
    mapAddr: mapping((addrs) => addrs.filter((a) => keep.has(parseIpLiteral(a.host) ?? a.host))),
    ...(ready ? { ready } : {}),
    close: () => {
      abort.abort();
      return Promise.resolve();
    },
  });
}

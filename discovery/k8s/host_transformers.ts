/**
 * Linkerd's endpoint-rewriting transformers that need no Kubernetes API:
 * - `io.l5d.port` {port}: every endpoint's port becomes `port` (e.g. the incoming router's),
 *   prefix `/%/io.l5d.port/<port>`;
 * - `io.l5d.localhost`: keeps only endpoints whose IP is one of this host's addresses,
 *   prefix `/%/io.l5d.localhost`;
 * - `io.l5d.specificHost` {host}: keeps only endpoints with that IP, prefix
 *   `/%/io.l5d.specificHost/<host>`.
 * An empty result is Neg, so dtab alternation falls through (Linkerd's behaviour).
 *
 * @module
 */
import type { Var } from "../../router/core/var.ts";
import type { Addr, Address } from "../types.ts";
import { addrEquals, boundAddr } from "../addr.ts";
import { mapVar } from "../_activity.ts";
import { boundTransformer, type NameTreeTransformer } from "./transformer.ts";

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

/** `io.l5d.specificHost`. */
export function createSpecificHostTransformer(
  host: string,
  prefix?: readonly string[],
): NameTreeTransformer {
  return boundTransformer({
    kind: specificHostKind,
    prefix: prefix ?? ["%", specificHostKind, host],
    mapAddr: mapping((addrs) => addrs.filter((a) => a.host === host)),
  });
}

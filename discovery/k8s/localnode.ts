/**
 * The `io.l5d.k8s.localnode` transformer (L1 `interpreter/k8s/.../
 * LocalNodeTransformerInitializer.scala`, `interpreter/subnet/.../SubnetLocalTransformer.scala`,
 * `namer/core/.../NameTreeTransformer.scala` `MetadataFiltertingNameTreeTransformer`; REF
 * `linkerd1.md` §3, §8): keep only the endpoints on this node, so a daemonset's `incoming`
 * router delivers to local pods only.
 *
 * Config: `hostNetwork` (default false), `prefix` (default `/io.l5d.k8s.localnode`).
 *
 * - Default: keep endpoints in the same /24 as `POD_IP` (the downward API's `status.podIP`);
 *   the id prefix is `/%/io.l5d.k8s.localnode/<POD_IP>`. `POD_IP` must be set to an IPv4
 *   address, otherwise startup fails, as in Linkerd.
 * - `hostNetwork: true`: keep endpoints whose `meta.nodeName` equals `NODE_NAME` (from
 *   `spec.nodeName`); prefix `/%/io.l5d.k8s.localnode/<NODE_NAME>`. `NODE_NAME` is required.
 * - An endpoint host that is not an IP literal is kept (it cannot be placed; Linkerd keeps
 *   non-inet addresses too). Nothing left is **Neg**, so a dtab alternative can take over.
 *   Non-bound states pass through. The environment is read once, at construction.
 *
 * @module
 */
import type { Var } from "../../router/core/var.ts";
import type { Addr, Address } from "../types.ts";
import { addrEquals, boundAddr } from "../addr.ts";
import { mapVar } from "../_activity.ts";
import { parseIpLiteral } from "../ip_literal.ts";
import { NODE_NAME } from "./resources.ts";
import { isIpv4, sameSubnet24 } from "./subnet.ts";
import { boundTransformer, type NameTreeTransformer } from "./transformer.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.k8s.localnode";

/** Options of {@linkcode createLocalNodeTransformer}. */
export interface LocalNodeOptions {
  /** Match on `meta.nodeName` = `NODE_NAME` instead of the /24 of `POD_IP`. */
  readonly hostNetwork?: boolean | undefined;
  /** The id prefix before the ip or node (with `%`); default `/%/io.l5d.k8s.localnode`. */
  readonly prefix?: readonly string[] | undefined;
  /** Environment lookup; default `Deno.env.get`. */
  readonly env?: ((name: string) => string | undefined) | undefined;
}

/**
 * Make the localnode transformer.
 *
 * @param opts Mode, prefix, environment.
 * @returns The transformer.
 * @throws {Error} When `POD_IP` (or, with `hostNetwork`, `NODE_NAME`) is missing or invalid.
 * @example
 * ```ts
 * import { createLocalNodeTransformer } from "./localnode.ts";
 * const t = createLocalNodeTransformer({ env: (n) => n === "POD_IP" ? "10.1.2.3" : undefined });
 * t.prefix; // ["%", "io.l5d.k8s.localnode", "10.1.2.3"]
 * ```
 */
export function createLocalNodeTransformer(opts: LocalNodeOptions = {}): NameTreeTransformer {
  const env = opts.env ?? ((name: string) => Deno.env.get(name));
  const base = opts.prefix ?? ["%", kind];
  let local: string;
  let keep: (a: Address) => boolean;
  if (opts.hostNetwork) {
    const node = env("NODE_NAME");
    if (!node) {
      throw new Error(`${kind}: NODE_NAME env variable must be set to the node's name`);
    }
    local = node;
    keep = (a) => a.meta?.[NODE_NAME] === node;
  } else {
    const ip = env("POD_IP");
    if (!ip || !isIpv4(ip)) {
      throw new Error(
        `${kind}: POD_IP env variable must be set to the pod's IPv4 address${
          ip ? ` (got ${JSON.stringify(ip)})` : ""
        }`,
      );
    }
    local = ip;
    keep = (a) => parseIpLiteral(a.host) === undefined || sameSubnet24(a.host, ip);
  }

  function mapAddr(addr: Var<Addr>): Var<Addr> {
    return mapVar(addr, (a): Addr => {
      if (a.type !== "bound") return a;
      const kept = a.addrs.filter(keep);
      return kept.length === 0 ? { type: "neg" } : boundAddr(kept);
    }, addrEquals);
  }

  return boundTransformer({ kind, prefix: [...base, local], mapAddr });
}

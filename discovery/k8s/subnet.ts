/**
 * The /24 test of the k8s transformers (L1 `interpreter/subnet/.../Netmask.scala` with mask
 * `255.255.255.0`): two IPv4 addresses are "on the same node" when their first three octets are
 * equal, which is how the daemonset and localnode transformers guess a pod's node from its IP
 * (each node gets a /24 of the pod network in the usual CNI setups). Addresses of different
 * families, IPv6 ones (the 4-byte mask never matches them, as in Linkerd) and host names never
 * match.
 *
 * @module
 */
import { parseIpLiteral } from "../ip_literal.ts";

function octets(host: string): number[] | undefined {
  const ip = parseIpLiteral(host);
  if (ip === undefined || ip.includes(":")) return undefined;
  return ip.split(".").map(Number);
}

/**
 * Whether two hosts are IPv4 literals in the same /24.
 *
 * @param a An IP (Java short forms such as `127.1` accepted).
 * @param b Another.
 * @returns True when both are IPv4 and their first three octets are equal.
 * @example
 * ```ts
 * import { sameSubnet24 } from "./subnet.ts";
 * sameSubnet24("10.1.2.3", "10.1.2.200"); // true
 * sameSubnet24("10.1.2.3", "10.1.3.3"); // false
 * ```
 */
export function sameSubnet24(a: string, b: string): boolean {
  const x = octets(a);
  const y = octets(b);
  if (!x || !y) return false;
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2];
}

/**
 * Whether `host` is an IPv4 literal (the transformers need one for `POD_IP`).
 *
 * @param host A string.
 * @returns True for `10.0.0.1`, false for `::1` or `web`.
 * @example
 * ```ts
 * import { isIpv4 } from "./subnet.ts";
 * isIpv4("10.0.0.1"); // true
 * ```
 */
export function isIpv4(host: string): boolean {
  return octets(host) !== undefined;
}

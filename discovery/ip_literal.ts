/**
 * IP literal recognition for the inet namer. IPv4 follows Java's `InetAddress` text forms,
 * which Finagle (and so Linkerd configs such as `/$/inet/127.1/8888`) rely on: 1 to 4 decimal
 * parts, the last part filling the remaining bytes (`127.1` = `127.0.0.1`). IPv6 is anything the
 * WHATWG URL parser accepts inside brackets, normalized to its compressed form.
 *
 * @module
 */

function parseIpv4(host: string): string | undefined {
  const parts = host.split(".");
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,10}$/.test(p)) return undefined;
    nums.push(Number(p));
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255)) return undefined;
  const restBytes = 4 - nums.length;
  if (last >= 2 ** (8 * restBytes)) return undefined;
  const bytes = [...nums];
  for (let i = restBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes.join(".");
}

function parseIpv6(host: string): string | undefined {
  if (!host.includes(":")) return undefined;
  try {
    const h = new URL(`http://[${host}]/`).hostname;
    return h.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * The normalized IP when `host` is an IPv4 or IPv6 literal, else `undefined`.
 *
 * @param host A path label such as `127.1`, `10.0.0.1` or `::1`.
 * @returns The normalized address, or `undefined` for a host name.
 * @example
 * ```ts
 * import { parseIpLiteral } from "./ip_literal.ts";
 * parseIpLiteral("127.1"); // "127.0.0.1"
 * parseIpLiteral("0:0::1"); // "::1"
 * parseIpLiteral("example.com"); // undefined
 * ```
 */
export function parseIpLiteral(host: string): string | undefined {
  return parseIpv4(host) ?? parseIpv6(host);
}

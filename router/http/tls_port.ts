/**
 * Binding a `Deno.listenTls` / `Deno.serve` TLS listener so that a certificate reload can replace
 * it: Deno's own TLS cannot change a running listener's certificate, so a reload opens a new
 * listener on the same port (SO_REUSEPORT) and closes the old one. Both must set `reusePort`, so
 * a replaceable listener is bound with it, after a plain bind has checked the port is free (a
 * second process still gets `AddrInUse`, as without `reusePort`).
 *
 * @module
 */

/**
 * Whether SO_REUSEPORT is available: `reusePort` is an unstable Deno API (`--unstable-net`,
 * deno.json's `unstable`, or baked into the compiled binary). `Deno.listenDatagram` is one of
 * the same APIs.
 */
export function reusePortAvailable(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

/**
 * The port and `reusePort` flag to bind a TLS listener with, so that a listener opened the same
 * way can replace it later.
 *
 * @param hostname The address.
 * @param port The configured port (0: a free one, chosen here).
 * @param reusePort Already shared (`--workers`): kept as it is.
 * @returns `reusePort: true` and the real port when SO_REUSEPORT is available; otherwise the
 *   arguments unchanged (the listener cannot be replaced).
 * @throws Deno.errors.AddrInUse when the port is taken.
 * @example
 * ```ts
 * import { replaceableBind } from "./tls_port.ts";
 * const bind = replaceableBind("127.0.0.1", 0);
 * console.log(bind.port > 0 || !bind.reusePort); // true
 * ```
 */
export function replaceableBind(
  hostname: string,
  port: number,
  reusePort = false,
): { port: number; reusePort: boolean } {
  if (reusePort || !reusePortAvailable()) return { port, reusePort };
  const probe = Deno.listen({ hostname, port });
  const bound = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return { port: bound, reusePort: true };
}

/**
 * Open the listener that replaces one on the same port for a certificate reload; its failure
 * says why a reload could not happen.
 *
 * @throws Error naming the port (and SO_REUSEPORT when the address is in use).
 */
export function rebind<T>(port: number, open: () => T): T {
  try {
    return open();
  } catch (e: unknown) {
    const why = e instanceof Deno.errors.AddrInUse
      ? "the port is not shared (SO_REUSEPORT needs Deno's --unstable-net)"
      : e instanceof Error
      ? e.message
      : String(e);
    throw new Error(`cannot open a new listener on port ${port} for the new certificate: ${why}`, {
      cause: e,
    });
  }
}

/**
 * One TCP connection to an endpoint, closed at once: `client.failFast`'s background check that
 * the endpoint accepts connections again (Finagle's FailFastFactory opens a session and closes
 * it). TCP only, also for TLS clients: what marked the endpoint down was a connection failure.
 *
 * @example
 * ```ts ignore
 * await probeConnect("127.0.0.1", 8080); // rejects when refused or after 3 s
 * ```
 *
 * @module
 */

/** How long a probe waits for the connection (the HTTP/1.1 client's default connect timeout). */
export const PROBE_CONNECT_TIMEOUT_MS = 3000;

/**
 * Connect to `host:port` and close the connection.
 *
 * @param host the endpoint's address
 * @param port its port
 * @param timeoutMs how long to wait for the connection
 * @returns resolves once the connection was made, rejects when it could not be
 */
export function probeConnect(
  host: string,
  port: number,
  timeoutMs: number = PROBE_CONNECT_TIMEOUT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    Deno.connect({ hostname: host, port, transport: "tcp" }).then((conn) => {
      try {
        conn.close();
      } catch { /* already closed */ }
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    }, (e: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e);
    });
  });
}

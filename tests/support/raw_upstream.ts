/**
 * A raw TCP upstream for tests that need the exact bytes: it reads one request head at a time
 * (bodies are not read), records it, and lets the test write the answer.
 *
 * @module
 */

const dec = new TextDecoder();

/** A running raw upstream. */
export interface RawUpstream {
  readonly port: number;
  /** Every request head received, in order (without the blank line). */
  readonly heads: string[];
  /** Connections accepted so far. */
  connections(): number;
  /** Stop accepting and close every connection. */
  close(): Promise<void>;
}

/**
 * Start a raw upstream on 127.0.0.1.
 *
 * @param answer writes the response to one request head; resolves true to keep reading the
 *   connection, false to close it
 */
export function rawUpstream(
  answer: (head: string, conn: Deno.Conn) => Promise<boolean>,
): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const open = new Set<Deno.Conn>();
  let connections = 0;
  const closeQuietly = (c: Deno.Conn) => {
    try {
      c.close();
    } catch {
      // already closed
    }
  };
  const serve = async (c: Deno.Conn) => {
    const buf = new Uint8Array(16384);
    let text = "";
    try {
      for (;;) {
        let end = text.indexOf("\r\n\r\n");
        while (end < 0) {
          const n = await c.read(buf);
          if (n === null) return;
          text += dec.decode(buf.subarray(0, n));
          end = text.indexOf("\r\n\r\n");
        }
        const head = text.slice(0, end);
        text = text.slice(end + 4);
        heads.push(head);
        if (!await answer(head, c)) return;
      }
    } catch {
      // the proxy went away
    } finally {
      open.delete(c);
      closeQuietly(c);
    }
  };
  const accepting = (async () => {
    for await (const c of listener) {
      connections++;
      open.add(c);
      void serve(c);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    heads,
    connections: () => connections,
    async close() {
      listener.close();
      for (const c of open) closeQuietly(c);
      await accepting;
    },
  };
}

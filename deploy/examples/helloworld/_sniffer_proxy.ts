/**
 * Test helper (folder-private): a raw HTTP/1.1 forward proxy on `Deno.listen` that records every
 * request head exactly as it arrived, so tests can check the absolute-form request line and the
 * headers an app sends to its proxy. Loopback only.
 *
 * @module
 */

/** A raw HTTP/1.1 proxy on `Deno.listen`: records each request head, forwards by Host name. */
export interface Sniffer {
  readonly port: number;
  /** Request heads as received on the wire (request line + headers, no trailing CRLFCRLF). */
  readonly heads: string[];
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts the sniffer; `routes` maps the absolute-form authority (`world`) to a loopback port. */
export function startSniffer(routes: Record<string, number>): Sniffer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const conns = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      const done: Promise<void> = forward(conn, routes, heads).finally(() => conns.delete(done));
      conns.add(done);
    }
  })();
  return {
    port: listener.addr.port,
    heads,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(conns);
    },
  };
}

/** Reads one request head, rewrites it to origin-form for the upstream, relays the response. */
async function forward(conn: Deno.Conn, routes: Record<string, number>, heads: string[]) {
  let upstream: Deno.Conn | undefined;
  try {
    const head = await readHead(conn);
    heads.push(head);
    const [requestLine = "", ...lines] = head.split("\r\n");
    const [method, target] = requestLine.split(" ");
    const url = new URL(target ?? ""); // throws unless the request is in absolute-form
    const port = routes[url.host];
    if (port === undefined) throw new Error(`no route for ${url.host}`);
    upstream = await Deno.connect({ hostname: "127.0.0.1", port });
    const kept = lines.filter((l) => !/^connection:/i.test(l));
    const out = [`${method} ${url.pathname}${url.search} HTTP/1.1`, ...kept, "connection: close"];
    await writeAll(upstream, encoder.encode(`${out.join("\r\n")}\r\n\r\n`));
    await writeAll(conn, withConnectionClose(await readToEnd(upstream)));
  } catch (e: unknown) {
    const body = e instanceof Error ? e.message : String(e);
    const res = `HTTP/1.1 502 Bad Gateway\r\ncontent-length: ${body.length}\r\n` +
      `connection: close\r\n\r\n${body}`;
    await writeAll(conn, encoder.encode(res)).catch(() => {});
  } finally {
    upstream?.close();
    conn.close();
  }
}

async function readHead(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("eof before request head");
    text += decoder.decode(buf.subarray(0, n));
  }
  return text.slice(0, text.indexOf("\r\n\r\n"));
}

async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    chunks.push(buf.slice(0, n));
  }
  const all = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return all;
}

/** The proxy closes after each response, so it says so (keeps the client from reusing it). */
function withConnectionClose(response: Uint8Array): Uint8Array {
  const text = decoder.decode(response);
  const end = text.indexOf("\r\n\r\n");
  const head = text.slice(0, end).split("\r\n").filter((l) => !/^connection:/i.test(l));
  return encoder.encode(`${head.join("\r\n")}\r\nconnection: close${text.slice(end)}`);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/**
 * Folder-private: one HTTP/1.1 request per connection (`Connection: close`), over TCP or TLS, for
 * the Marathon and Consul API clients. `fetch` cannot verify a certificate against a name other
 * than the one it connects to, which Linkerd's `tls.commonName` needs (connect to `host`, verify
 * and send SNI `commonName`): here the TLS handshake is `Deno.startTls` on a plain connection.
 * `Deno.startTls` cannot present a client certificate, so a target with `clientCert` is reached
 * with `Deno.connectTls`, which verifies the name it connects to (`hostname`; `serverName` is then
 * unused). The answer is read to the end (capped at 64 MiB) and de-chunked; the exchange has no
 * time limit of its own (a Consul blocking query waits minutes): the caller's signal ends it.
 *
 * @module
 */

/** Where and how to connect. */
export interface Target {
  readonly hostname: string;
  readonly port: number;
  /** TLS: the name verified and sent as SNI, and extra CA certificates. */
  readonly tls?: TargetTls | undefined;
}

/** TLS to a {@linkcode Target}. */
export interface TargetTls {
  /** Verified and sent as SNI (without `clientCert`). */
  readonly serverName: string;
  /** Extra PEM CA certificates. */
  readonly caCerts: readonly string[];
  /** A PEM client certificate chain and key (the name verified is then `hostname`). */
  readonly clientCert?: { readonly cert: string; readonly key: string } | undefined;
}

async function connect(target: Target): Promise<Deno.Conn> {
  const tls = target.tls;
  if (tls?.clientCert) {
    return await Deno.connectTls({
      hostname: target.hostname,
      port: target.port,
      caCerts: [...tls.caCerts],
      cert: tls.clientCert.cert,
      key: tls.clientCert.key,
    });
  }
  const tcp = await Deno.connect({ hostname: target.hostname, port: target.port });
  if (!tls) return tcp;
  try {
    return await Deno.startTls(tcp, { hostname: tls.serverName, caCerts: [...tls.caCerts] });
  } catch (e: unknown) {
    try {
      tcp.close();
    } catch {
      // consumed by the handshake
    }
    throw e;
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** A complete answer. */
export interface SimpleResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

const MAX_BYTES = 64 * 1024 * 1024;

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function dechunk(body: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let at = 0;
  const text = new TextDecoder("latin1");
  while (at < body.length) {
    const eol = body.indexOf(10, at);
    if (eol < 0) throw new Error("bad chunked body");
    const n = parseInt(text.decode(body.subarray(at, eol)).trim().split(";")[0] ?? "", 16);
    if (!Number.isFinite(n)) throw new Error("bad chunk size");
    if (n === 0) break;
    chunks.push(body.subarray(eol + 1, eol + 1 + n));
    size += n;
    at = eol + 1 + n + 2;
  }
  return concat(chunks, size);
}

/**
 * Send one request and read the whole answer.
 *
 * @param target Where to connect.
 * @param req Method, path, headers (`Host` included), optional body.
 * @param signal Aborts the exchange (closes the connection).
 * @returns The status, headers and body text.
 * @throws {Error} On connection, TLS or parse errors, or when aborted.
 */
export async function request(
  target: Target,
  req: {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly body?: string | undefined;
  },
  signal: AbortSignal,
): Promise<SimpleResponse> {
  signal.throwIfAborted();
  // Connecting is not abortable: a connection made after the abort is closed at once.
  const conn = await connect(target);
  if (signal.aborted) {
    closeQuietly(conn);
    signal.throwIfAborted();
  }
  const onAbort = () => closeQuietly(conn);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const body = req.body === undefined ? undefined : new TextEncoder().encode(req.body);
    const lines = [`${req.method} ${req.path} HTTP/1.1`];
    for (const [k, v] of Object.entries(req.headers)) lines.push(`${k}: ${v}`);
    if (body) lines.push(`content-length: ${body.length}`);
    lines.push("connection: close", "", "");
    const head = new TextEncoder().encode(lines.join("\r\n"));
    const out = body ? concat([head, body], head.length + body.length) : head;
    for (let n = 0; n < out.length;) n += await conn.write(out.subarray(n));
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      size += n;
      if (size > MAX_BYTES) throw new Error(`answer larger than ${MAX_BYTES} bytes`);
    }
    const all = concat(chunks, size);
    const end = all.findIndex((_, i) =>
      all[i] === 13 && all[i + 1] === 10 && all[i + 2] === 13 && all[i + 3] === 10
    );
    if (end < 0) throw new Error("incomplete HTTP answer");
    const [status, ...fields] = new TextDecoder("latin1").decode(all.subarray(0, end)).split(
      "\r\n",
    );
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(status ?? "");
    if (!m) throw new Error(`bad status line: ${status}`);
    const headers = new Headers();
    for (const f of fields) {
      const i = f.indexOf(":");
      if (i > 0) headers.append(f.slice(0, i).trim(), f.slice(i + 1).trim());
    }
    let payload = all.subarray(end + 4);
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) payload = dechunk(payload);
    else if (headers.has("content-length")) {
      payload = payload.subarray(0, Number(headers.get("content-length")));
    }
    return { status: Number(m[1]), headers, body: new TextDecoder().decode(payload) };
  } catch (e: unknown) {
    // A read cut by the abort fails with the abort's reason (e.g. the caller's TimeoutError).
    if (signal.aborted) throw signal.reason;
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
    closeQuietly(conn);
  }
}

/**
 * A tiny keep-alive HTTP/1.1 client for the harness's own requests (readiness checks, content
 * checks, time-to-first-byte of new names): one connection, one request at a time, bodies framed
 * by Content-Length or chunked, every read bounded by a timeout. Not a load generator (wrk is).
 *
 * @module
 */

/** One response. */
export interface ProbeResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  /** ms from writing the request to the first response byte. */
  readonly ttfbMs: number;
  /** ms from writing the request to the end of the body. */
  readonly totalMs: number;
}

/** A connection to one `host:port`. */
export interface ProbeConn {
  /** GET (or `method`) `path` with this Host header. */
  request(
    path: string,
    opts?: { host?: string; method?: string; timeoutMs?: number },
  ): Promise<ProbeResponse>;
  close(): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function indexOfCrlfCrlf(b: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function indexOfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Open a connection.
 *
 * @param hostname e.g. 127.0.0.1
 * @param port the port
 * @param timeoutMs connect timeout
 * @returns the connection
 * @throws Error when it cannot connect in time
 */
export async function probeConnect(
  hostname: string,
  port: number,
  timeoutMs = 2000,
): Promise<ProbeConn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const conn = await Promise.race([
    Deno.connect({ hostname, port }),
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`connect ${hostname}:${port} timed out`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  let buf: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  let closed = false;

  async function fill(deadline: number): Promise<void> {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error("probe: read timed out");
    let t: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(chunk),
      new Promise<never>((_, rej) => {
        t = setTimeout(() => rej(new Error("probe: read timed out")), left);
      }),
    ]).finally(() => clearTimeout(t));
    if (n === null) throw new Error("probe: connection closed");
    buf = concat(buf, chunk.subarray(0, n));
  }

  async function readBody(
    headers: Record<string, string>,
    deadline: number,
  ): Promise<Uint8Array> {
    const te = headers["transfer-encoding"];
    if (te && te.toLowerCase().includes("chunked")) {
      const parts: Uint8Array[] = [];
      for (;;) {
        let eol: number;
        while ((eol = indexOfCrlf(buf)) < 0) await fill(deadline);
        const size = parseInt(dec.decode(buf.subarray(0, eol)).split(";")[0]!, 16);
        if (!Number.isFinite(size)) throw new Error("probe: bad chunk size");
        buf = buf.subarray(eol + 2);
        if (size === 0) {
          // trailer section: lines until an empty one
          for (;;) {
            while ((eol = indexOfCrlf(buf)) < 0) await fill(deadline);
            buf = buf.subarray(eol + 2);
            if (eol === 0) break;
          }
          break;
        }
        while (buf.length < size + 2) await fill(deadline);
        parts.push(buf.slice(0, size));
        buf = buf.subarray(size + 2);
      }
      return parts.reduce((a, b) => concat(a, b), new Uint8Array(0));
    }
    const len = Number(headers["content-length"] ?? "0");
    while (buf.length < len) await fill(deadline);
    const body = buf.slice(0, len);
    buf = buf.subarray(len);
    return body;
  }

  return {
    async request(path, opts = {}) {
      if (closed) throw new Error("probe: closed");
      const deadline = performance.now() + (opts.timeoutMs ?? 5000);
      const head = `${opts.method ?? "GET"} ${path} HTTP/1.1\r\nHost: ${
        opts.host ?? `${hostname}:${port}`
      }\r\nUser-Agent: switchyard-bench\r\n\r\n`;
      const t0 = performance.now();
      const bytes = enc.encode(head);
      for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
      if (buf.length === 0) await fill(deadline);
      const ttfbMs = performance.now() - t0;
      let end: number;
      while ((end = indexOfCrlfCrlf(buf, 0)) < 0) await fill(deadline);
      const lines = dec.decode(buf.subarray(0, end)).split("\r\n");
      buf = buf.subarray(end + 4);
      const status = Number(lines[0]!.split(" ")[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const body = await readBody(headers, deadline);
      return { status, headers, body, ttfbMs, totalMs: performance.now() - t0 };
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

/**
 * One request on a fresh connection (closed afterwards).
 *
 * @returns the response
 * @throws Error on connect/read failure or timeout
 */
export async function probeOnce(
  port: number,
  path: string,
  opts: { host?: string; timeoutMs?: number; hostname?: string } = {},
): Promise<ProbeResponse> {
  const c = await probeConnect(opts.hostname ?? "127.0.0.1", port, opts.timeoutMs ?? 2000);
  try {
    return await c.request(path, opts);
  } finally {
    c.close();
  }
}

/**
 * Test helpers for the raw engine: raw socket exchanges. Tests only.
 *
 * @module
 */
import { serveRaw } from "./raw_server.ts";
import type { RawHandler, RawServeOptions, RawServer } from "./raw_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

/** Start `serveRaw` on 127.0.0.1:0 with `opts`. */
export function start(handler: RawHandler, opts: Partial<RawServeOptions> = {}): RawServer {
  return serveRaw({ hostname: "127.0.0.1", port: 0, ...opts }, handler);
}

/** An echo handler: JSON {method, url, headers, body} (body text or null). */
export async function echo(req: Request): Promise<Response> {
  const body = req.body === null ? null : await req.text();
  return Response.json({ method: req.method, url: req.url, headers: [...req.headers], body });
}

/**
 * Write `parts` (with `gapMs` between them) to a fresh connection, then read until the server
 * closes or `ms` pass. Returns everything received as a Latin-1 string.
 */
export async function rawExchange(
  port: number,
  parts: (string | Uint8Array)[],
  ms = 2000,
  gapMs = 0,
): Promise<{ text: string; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let closed = false;
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, ms);
  let text = "";
  const reading = (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) {
          closed = true;
          break;
        }
        text += dec.decode(buf.subarray(0, n));
      }
    } catch { /* reset or closed by the timer */ }
  })();
  try {
    for (const p of parts) {
      await conn.write(typeof p === "string" ? enc.encode(p) : p);
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  } catch { /* server closed early */ }
  await reading;
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  return { text, closed };
}

/** Status codes of every response in a raw byte dump, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Run curl; returns exit code, stdout and stderr. */
export async function runCurl(args: string[], stdin?: Uint8Array): Promise<
  { code: number; out: string; err: string }
> {
  const p = new Deno.Command("curl", {
    args: ["-s", "-S", "-m", "20", ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = p.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const o = await p.output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout),
    err: new TextDecoder().decode(o.stderr),
  };
}

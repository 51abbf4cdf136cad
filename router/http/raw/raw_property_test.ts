import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { start } from "./_test_util.ts";
import { prng as rng } from "../../../tests/support/prng.ts";

const TOKEN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'|^`#$%&+";
const PATH = "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%";
const LETTERS = "abcdefghijklmnopqrstuvwxyz";

interface Gen {
  bytes: Uint8Array;
  want: Seen[];
}
interface Seen {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
}

function pick(r: () => number, s: string, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  let out = "";
  for (let i = 0; i < n; i++) out += s[Math.floor(r() * s.length)];
  return out;
}

/** `count` random valid requests, pipelined; the last one says `connection: close`. */
function generate(r: () => number, count: number): Gen {
  const parts: number[] = [];
  const want: Seen[] = [];
  for (let k = 0; k < count; k++) {
    const method = [
      "GET",
      "POST",
      "PUT",
      "DELETE",
      "PATCH",
      "HEAD",
      "X-CUSTOM",
    ][Math.floor(r() * 7)]!;
    const path = "/" + pick(r, PATH, 0, 30).replace(/%/g, "%25");
    const host = pick(r, LETTERS, 1, 10) + (r() < 0.3 ? `:${Math.floor(r() * 65535)}` : "");
    const headers: [string, string][] = [["host", host]];
    const nh = Math.floor(r() * 8);
    for (let i = 0; i < nh; i++) {
      let v = pick(r, TOKEN + ' \t"()/,;=?@[]{}', 0, 40).trim();
      if (r() < 0.2) v += "\u00e9\u00ff"; // obs-text
      headers.push(["x-" + pick(r, TOKEN, 1, 12).toLowerCase(), v]);
    }
    const hasBody = method !== "GET" && method !== "HEAD" && r() < 0.8;
    const body = hasBody ? pick(r, LETTERS + "\r\n", 0, 3000) : "";
    const chunked = hasBody && r() < 0.5;
    const last = k === count - 1;
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (const [n, v] of headers) head += `${n}: ${r() < 0.3 ? " " : ""}${v}\r\n`;
    if (hasBody && !chunked) head += `content-length: ${body.length}\r\n`;
    if (chunked) head += "transfer-encoding: chunked\r\n";
    if (last) head += "connection: close\r\n";
    head += "\r\n";
    let wire = head;
    if (hasBody && !chunked) wire += body;
    if (chunked) {
      let o = 0;
      while (o < body.length) {
        const n = Math.min(body.length - o, 1 + Math.floor(r() * 700));
        wire += n.toString(16) + (r() < 0.3 ? ";ext=" + pick(r, LETTERS, 1, 5) : "") + "\r\n";
        wire += body.slice(o, o + n) + "\r\n";
        o += n;
      }
      wire += "0\r\n" + (r() < 0.5 ? "x-trailer: t\r\n" : "") + "\r\n";
    }
    for (let i = 0; i < wire.length; i++) parts.push(wire.charCodeAt(i));
    const sent: [string, string][] = [...headers];
    if (hasBody && !chunked) sent.push(["content-length", String(body.length)]);
    if (chunked) sent.push(["transfer-encoding", "chunked"]);
    if (last) sent.push(["connection", "close"]);
    sent.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    want.push({
      method,
      url: new URL(`http://${host}${path}`).href,
      headers: sent.filter(([n]) => n !== "x-trailer"),
      // No content (no length or 0, not chunked): no body at all, whatever the method.
      body: chunked || body.length > 0 ? body : null,
    });
  }
  return { bytes: new Uint8Array(parts), want };
}

/** Send `bytes` in pieces cut at `cuts`, with a short pause between pieces; read to EOF. */
async function send(port: number, bytes: Uint8Array, cuts: number[]): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const reading = (async () => {
    let n = 0, text = "";
    const buf = new Uint8Array(65536);
    try {
      while ((n = (await c.read(buf)) ?? -1) >= 0) {
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    } catch { /* reset */ }
    return text;
  })();
  let prev = 0;
  try {
    for (const cut of [...cuts, bytes.length]) {
      let o = prev;
      while (o < cut) o += await c.write(bytes.subarray(o, cut));
      prev = cut;
      if (cut < bytes.length) await new Promise((r) => setTimeout(r, 2));
    }
    await c.closeWrite();
  } catch { /* the server closed first */ }
  const text = await reading;
  c.close();
  return text;
}

function collect(): { handler: (req: Request) => Promise<Response>; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    handler: async (req) => {
      const body = req.body === null ? null : await req.text();
      const headers = [...req.headers] as [string, string][];
      seen.push({ method: req.method, url: req.url, headers, body });
      return new Response("ok");
    },
  };
}

Deno.test("serveRaw() parses random valid requests identically whatever the byte splits", async () => {
  const { handler, seen } = collect();
  const srv = start(handler);
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const g = generate(r, 1 + Math.floor(r() * 3));
    seen.length = 0;
    await send(srv.addr.port, g.bytes, []);
    const whole = [...seen];
    seen.length = 0;
    const cuts = new Set<number>();
    const nc = 1 + Math.floor(r() * 6);
    for (let i = 0; i < nc; i++) cuts.add(1 + Math.floor(r() * (g.bytes.length - 1)));
    if (r() < 0.5) cuts.add(1); // a 1-byte first piece
    await send(srv.addr.port, g.bytes, [...cuts].sort((a, b) => a - b));
    assertEquals(whole, g.want, `seed ${seed} whole`);
    assertEquals(seen, g.want, `seed ${seed} split at ${[...cuts]}`);
  }
  await srv.shutdown();
});

Deno.test("serveRaw() survives random byte mutations and never yields two requests from one", async () => {
  const { handler, seen } = collect();
  const srv = start(handler, { headerTimeoutMs: 1000 });
  let rejected = 0, served = 0;
  for (let seed = 1; seed <= 250; seed++) {
    const r = rng(seed * 7919);
    const g = generate(r, 1);
    const b = Array.from(g.bytes);
    const nm = 1 + Math.floor(r() * 3);
    for (let i = 0; i < nm; i++) {
      const at = Math.floor(r() * b.length);
      const op = r();
      const byte = [0, 9, 10, 13, 32, 44, 58, 59, 0x7f, 0xff, 48, 70][Math.floor(r() * 12)]!;
      if (op < 0.4) b[at] = byte;
      else if (op < 0.7) b.splice(at, 0, byte);
      else b.splice(at, 1);
    }
    seen.length = 0;
    const text = await send(srv.addr.port, new Uint8Array(b), []);
    assert(seen.length <= 1, `seed ${seed}: ${seen.length} requests from one message`);
    if (seen.length === 1) served++;
    if (/^HTTP\/1\.1 (4|5)\d\d /.test(text)) rejected++;
  }
  // still healthy
  seen.length = 0;
  const ok = await send(
    srv.addr.port,
    new TextEncoder().encode("GET /alive HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
    [],
  );
  assert(ok.startsWith("HTTP/1.1 200 OK"), ok);
  assert(rejected > 20 && served > 20, `rejected ${rejected} served ${served}`);
  await srv.shutdown();
});

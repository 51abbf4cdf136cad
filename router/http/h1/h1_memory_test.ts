/**
 * Backpressure: 256 MB through the client in each direction keeps RSS flat (growth < 40 MB).
 * Server and client share the process, so the figure bounds both.
 *
 * Every read hands the consumer a fresh chunk, and V8 collects those external ArrayBuffers only
 * every few tens of MB (its external-memory soft limit is 64 MB), so RSS first climbs by ~50 MB
 * whatever the body size (measured: the same peak for 256 MB and 1 GB). Each measurement
 * therefore starts after a 64 MB warm-up transfer; buffering proportional to the body would
 * still show as hundreds of MB.
 */
import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { createH1Client } from "./h1_client.ts";

const HOST = "127.0.0.1";
const TOTAL = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;
const LIMIT = 40 * 1024 * 1024;
const WARM_UP = 64 * 1024 * 1024;

/** A stream of `total` bytes in fresh 64 KiB chunks, produced only on demand. */
function producer(total: number): ReadableStream<Uint8Array> {
  let left = total;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (left === 0) return c.close();
      const n = Math.min(CHUNK, left);
      left -= n;
      c.enqueue(new Uint8Array(n).fill(left & 0xff));
    },
  }, { highWaterMark: 0 });
}

function rss(): number {
  return Deno.memoryUsage().rss;
}

Deno.test("request() downloads 256 MB with flat memory (content-length and chunked)", async () => {
  const srv = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, (req) => {
    const chunked = new URL(req.url).pathname === "/chunked";
    const total = new URL(req.url).pathname === "/warm" ? WARM_UP : TOTAL;
    const headers: HeadersInit = chunked ? {} : { "content-length": String(total) };
    return new Response(producer(total), { headers });
  });
  const client = createH1Client();
  try {
    for (const path of ["/cl", "/warm", "/cl", "/chunked"]) {
      const total = path === "/warm" ? WARM_UP : TOTAL;
      const before = rss();
      let peak = before, got = 0, reads = 0;
      const res = await client.request(HOST, srv.addr.port, { method: "GET", target: path, headers: [["host", "m"]], body: null });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        got += r.value.length;
        if (++reads % 256 === 0) peak = Math.max(peak, rss());
      }
      peak = Math.max(peak, rss());
      assertEquals(got, total);
      if (path === "/warm") continue;
      console.log(path, before >> 20, peak >> 20);
      assert(peak - before < LIMIT, `${path}: RSS grew ${((peak - before) / 1048576).toFixed(1)} MB`);
    }
    assertEquals(client.stats().connects, 1);
  } finally {
    await client.close();
    await srv.shutdown();
  }
});

Deno.test("request() uploads 256 MB with flat memory (chunked and content-length)", async () => {
  const srv = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, async (req) => {
    let n = 0;
    for await (const chunk of req.body as ReadableStream<Uint8Array>) n += chunk.length;
    return new Response(String(n));
  });
  const client = createH1Client();
  try {
    for (const [declared, total] of [[false, WARM_UP], [false, TOTAL], [true, TOTAL]] as const) {
      const before = rss();
      let peak = before, pulls = 0;
      const source = producer(total);
      const reader = source.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (++pulls % 256 === 0) peak = Math.max(peak, rss());
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      }, { highWaterMark: 0 });
      const headers: [string, string][] = [["host", "m"]];
      if (declared) headers.push(["content-length", String(total)]);
      const res = await client.request(HOST, srv.addr.port, { method: "PUT", target: "/", headers, body });
      assertEquals(await res.text(), String(total));
      if (total === WARM_UP) continue;
      peak = Math.max(peak, rss());
      console.log("up", declared, before >> 20, peak >> 20);
      assert(peak - before < LIMIT, `upload: RSS grew ${((peak - before) / 1048576).toFixed(1)} MB`);
    }
  } finally {
    await client.close();
    await srv.shutdown();
  }
});

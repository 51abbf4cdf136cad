/**
 * Memory probe for `h1_memory_test.ts`, run in its own process so other test files do not move
 * its RSS: 256 MB through the client over loopback in one direction, after a 64 MB warm-up, and
 * prints `[{ name, bytes, before, peak }]` as JSON. Tests only.
 *
 *   deno run -A router/http/h1/_memory_probe.ts download|upload
 *
 * Every read hands the consumer a fresh chunk, and V8 collects those external ArrayBuffers only
 * every few tens of MB (its external-memory soft limit is 64 MB), so RSS first climbs by ~50 MB
 * whatever the body size (measured: the same peak for 256 MB and 1 GB). Measuring after a
 * warm-up keeps that one-off step out; buffering proportional to the body would still show as
 * hundreds of MB.
 *
 * @module
 */
import { createH1Client } from "./h1_client.ts";

const HOST = "127.0.0.1";
const TOTAL = 256 * 1024 * 1024;
const WARM_UP = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** One measured transfer. */
export interface ProbeResult {
  name: string;
  bytes: number;
  before: number;
  peak: number;
}

/**
 * A stream of `total` bytes in 64 KiB chunks, produced on demand. It re-enqueues one buffer, so
 * the only per-chunk garbage is what the client and server allocate; both consumers here are
 * done with a chunk before they pull the next.
 */
function producer(total: number, onPull: () => void = () => {}): ReadableStream<Uint8Array> {
  let left = total;
  const buf = new Uint8Array(CHUNK).fill(120);
  return new ReadableStream<Uint8Array>({
    pull(c) {
      onPull();
      if (left === 0) return c.close();
      const n = Math.min(CHUNK, left);
      left -= n;
      c.enqueue(n === CHUNK ? buf : buf.subarray(0, n));
    },
  }, { highWaterMark: 0 });
}

async function download(): Promise<ProbeResult[]> {
  const srv = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    const total = Number(u.searchParams.get("n"));
    const headers: HeadersInit = u.pathname === "/chunked"
      ? {}
      : { "content-length": String(total) };
    return new Response(producer(total), { headers });
  });
  const client = createH1Client();
  const out: ProbeResult[] = [];
  for (const [name, total] of [["/cl", WARM_UP], ["/cl", TOTAL], ["/chunked", TOTAL]] as const) {
    const before = Deno.memoryUsage().rss;
    let peak = before, bytes = 0, reads = 0;
    const target = `${name}?n=${total}`;
    const res = await client.request(HOST, srv.addr.port, {
      method: "GET",
      target,
      headers: [["host", "m"]],
      body: null,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      bytes += r.value.length;
      if (++reads % 256 === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
    }
    peak = Math.max(peak, Deno.memoryUsage().rss);
    if (total === TOTAL) out.push({ name: `download ${name}`, bytes, before, peak });
  }
  await client.close();
  await srv.shutdown();
  return out;
}

async function upload(): Promise<ProbeResult[]> {
  const srv = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, async (req) => {
    let n = 0;
    for await (const chunk of req.body as ReadableStream<Uint8Array>) n += chunk.length;
    return new Response(String(n));
  });
  const client = createH1Client();
  const out: ProbeResult[] = [];
  for (
    const [name, total] of [["chunked", WARM_UP], ["chunked", TOTAL], [
      "content-length",
      TOTAL,
    ]] as const
  ) {
    const before = Deno.memoryUsage().rss;
    let peak = before, pulls = 0;
    const body = producer(total, () => {
      if (++pulls % 256 === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
    });
    const headers: [string, string][] = [["host", "m"]];
    if (name === "content-length") headers.push(["content-length", String(total)]);
    const res = await client.request(HOST, srv.addr.port, {
      method: "PUT",
      target: "/",
      headers,
      body,
    });
    const bytes = Number(await res.text());
    peak = Math.max(peak, Deno.memoryUsage().rss);
    if (total === TOTAL) out.push({ name: `upload ${name}`, bytes, before, peak });
  }
  await client.close();
  await srv.shutdown();
  return out;
}

if (import.meta.main) {
  const results = Deno.args[0] === "upload" ? await upload() : await download();
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(results) + "\n"));
}

/**
 * Bodies stream both ways through the real process with flat memory: 1 GB each way.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir, startUpstream } from "../support/upstream.ts";

const GB = 1024 * 1024 * 1024;
const CHUNK = new Uint8Array(1024 * 1024).fill(97);

function bytesStream(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(CHUNK.length, total - sent);
      c.enqueue(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
      sent += n;
    },
  });
}

Deno.test("streaming: 1 GB down and 1 GB up through the router keep its RSS flat", async () => {
  const up = startUpstream("big", async (req) => {
    if (req.method === "POST") {
      let n = 0;
      for await (const c of req.body!) n += c.length;
      return Response.json({ received: n });
    }
    return new Response(bytesStream(GB), { headers: { "content-length": String(GB) } });
  });
  const dir = await fsNamerDir({ big: up.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  using client = Deno.createHttpClient({ allowHost: true });
  try {
    // Warm up, then take the baseline.
    await (await fetch(`http://${sy.proxy()}/`, {
      method: "POST",
      body: "x",
      headers: { host: "big" },
      client,
    })).text();
    const base = sy.rss();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, sy.rss())), 100);
    try {
      const t0 = performance.now();
      const down = await fetch(`http://${sy.proxy()}/`, { headers: { host: "big" }, client });
      assertEquals(down.status, 200);
      let n = 0;
      for await (const c of down.body!) n += c.length;
      assertEquals(n, GB);
      const t1 = performance.now();
      const upRsp = await fetch(`http://${sy.proxy()}/`, {
        method: "POST",
        body: bytesStream(GB),
        headers: { host: "big" },
        client,
      });
      assertEquals((await upRsp.json()).received, GB);
      const t2 = performance.now();
      const growth = (peak - base) / 1024 / 1024;
      console.log(
        `1 GB down in ${((t1 - t0) / 1000).toFixed(1)} s, 1 GB up in ${
          ((t2 - t1) / 1000).toFixed(1)
        } s; ` +
          `router RSS ${(base / 1048576).toFixed(0)} MB → peak ${
            (peak / 1048576).toFixed(0)
          } MB (+${growth.toFixed(1)} MB)`,
      );
      assert(growth < 60, `RSS grew by ${growth.toFixed(1)} MB`);
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await sy.stop();
    await up.close();
  }
});

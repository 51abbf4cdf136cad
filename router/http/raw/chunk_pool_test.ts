import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { createChunkPool, smallBodies, streamChunks } from "./chunk_pool.ts";
import { start } from "./_test_util.ts";
import { createH1Client } from "../h1/h1_client.ts";
import { responseBytes } from "./response_bytes.ts";

Deno.test("createChunkPool() hands a given-back buffer out again, a view is enough", () => {
  const pool = createChunkPool(4096, 2, 1024);
  const a = pool.take(3000);
  assertEquals([a.length, a.buffer.byteLength], [3000, 4096]);
  pool.give(a.subarray(0, 10));
  assertEquals(pool.free, 1);
  const b = pool.take(2500); // same class (2049–4096 bytes): the same memory
  assert(b.buffer === a.buffer);
  assertEquals(b.length, 2500);
  assertEquals(pool.free, 0);
});

Deno.test("createChunkPool() sizes classes so that a piece pins at most twice its bytes", () => {
  const pool = createChunkPool(65536, 4, 8192);
  for (const [size, cls] of [[8192, 8192], [8193, 16384], [20000, 32768], [65536, 65536]]) {
    const v = pool.take(size!);
    assertEquals([v.length, v.buffer.byteLength], [size, cls]);
    assert(v.buffer.byteLength < 2 * size! || size === cls, `${size} → ${cls}`);
  }
  // Outside the classes: plain buffers of exactly that size, never pooled.
  for (const size of [100, 8191, 65537]) {
    const v = pool.take(size);
    assertEquals(v.buffer.byteLength, size);
    pool.give(v);
  }
  assertEquals(pool.free, 0);
});

Deno.test("createChunkPool() ignores foreign and twice-given buffers and keeps at most maxFree", () => {
  const pool = createChunkPool(16, 2, 16);
  pool.give(new Uint8Array(16)); // not from take()
  assertEquals(pool.free, 0);
  const [a, b, c] = [pool.take(16), pool.take(16), pool.take(16)];
  pool.give(a);
  pool.give(a); // twice: once only
  assertEquals(pool.free, 1);
  pool.give(b);
  pool.give(c); // over maxFree: dropped
  assertEquals(pool.free, 2);
  assert(new Set([pool.take(16).buffer, pool.take(16).buffer, pool.take(16).buffer]).size === 3);
});

/** `GET /` to the upstream on `port` through `client` (a raw-engine request's pool use with `pooledBody`). */
function getUp(
  client: ReturnType<typeof createH1Client>,
  port: number,
  pooledBody = false,
): Promise<Response> {
  return client.request("127.0.0.1", port, {
    method: "GET",
    target: "/",
    headers: [["host", "up"]],
    body: null,
    pooledBody,
  });
}

/** An upstream whose body is `blocks` 64 KiB blocks, block i filled with byte i. */
function blockUpstream(blocks: number): Deno.HttpServer<Deno.NetAddr> {
  const body = new Uint8Array(blocks * 65536);
  for (let i = 0; i < blocks; i++) body.fill(i, i * 65536, (i + 1) * 65536);
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(body));
}

function checkBlocks(got: Uint8Array, blocks: number): void {
  assertEquals(got.length, blocks * 65536);
  for (let i = 0; i < blocks; i++) {
    const bad = got.subarray(i * 65536, (i + 1) * 65536).findIndex((x) => x !== i);
    assertEquals(bad, -1, `block ${i} corrupted at ${bad}`);
  }
}

Deno.test("serveRaw() recycles an upstream body's chunks, and never a tee()d body's", async () => {
  const blocks = 64; // 4 MiB: more chunks than the pool keeps
  const up = blockUpstream(blocks);
  const client = createH1Client();
  const kept: Uint8Array[] = []; // chunks of the tee()d branch, held without copying
  let teeRead: Promise<void> | undefined;
  const srv = start(async (req) => {
    const rsp = await getUp(client, up.addr.port);
    if (new URL(req.url).pathname !== "/tee") return rsp; // straight through: recycled
    const [mine, other] = rsp.body!.tee();
    teeRead = (async () => {
      for await (const chunk of other) kept.push(chunk);
    })();
    return new Response(mine, { headers: rsp.headers });
  });
  try {
    const fetchAll = async (path: string) =>
      new Uint8Array(await (await fetch(`http://127.0.0.1:${srv.addr.port}${path}`)).arrayBuffer());
    const before = streamChunks.free;
    checkBlocks(await fetchAll("/"), blocks);
    assert(streamChunks.free > before, `no chunk came back (${before} → ${streamChunks.free})`);
    checkBlocks(await fetchAll("/tee"), blocks);
    await teeRead;
    // Churn the pool: if a tee()d chunk had been given back, these reads would overwrite it.
    checkBlocks(await fetchAll("/"), blocks);
    checkBlocks(await fetchAll("/"), blocks);
    const joined = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
    let o = 0;
    for (const k of kept) joined.set(k, (o += k.length) - k.length);
    checkBlocks(joined, blocks);
  } finally {
    await srv.shutdown();
    await client.close();
    await up.shutdown();
  }
});

Deno.test("serveRaw() writes a lone stream chunk larger than its copy limit", async () => {
  const big = new Uint8Array(300_000).fill(65);
  const srv = start(() =>
    new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(big);
          c.close();
        },
      }),
    )
  );
  try {
    const rsp = await fetch(`http://127.0.0.1:${srv.addr.port}/`);
    const got = new Uint8Array(await rsp.arrayBuffer());
    assertEquals(got.length, big.length);
    assertEquals(got.every((x) => x === 65), true);
  } finally {
    await srv.shutdown();
  }
});

Deno.test("createChunkPool(…, poolBelowMin) hands a small piece a buffer of the smallest class", () => {
  const pool = createChunkPool(4096, 2, 64, true);
  const a = pool.take(12);
  assertEquals([a.length, a.byteOffset, a.buffer.byteLength], [12, 0, 64]);
  pool.give(a);
  assertEquals(pool.free, 1);
  const b = pool.take(40);
  assert(b.buffer === a.buffer, "the same memory again");
  assertEquals([pool.take(65).buffer.byteLength, pool.take(4097).buffer.byteLength], [128, 4097]);
});

Deno.test("serveRaw() gives a small upstream body's pooled buffer back, and each body stays its own", async () => {
  // Each answer a different 5-byte body: a buffer given back too early, or a body read from a
  // reused buffer, would show another request's bytes.
  let n = 0;
  const up = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(String(n++ % 10).repeat(5)),
  );
  const client = createH1Client();
  const early: Response[] = []; // responses the raw engine never writes: read after the others
  const srv = start(async (req) => {
    // pooled, as the router's forwarding asks for raw-engine requests
    const rsp = await getUp(client, up.addr.port, true);
    if (new URL(req.url).pathname === "/keep") {
      early.push(rsp);
      return new Response("kept");
    }
    return rsp;
  });
  try {
    const keptBodies: string[] = [];
    for (let i = 0; i < 40; i++) {
      const keep = i % 4 === 0;
      const got = await (await fetch(`http://127.0.0.1:${srv.addr.port}/${keep ? "keep" : ""}`))
        .text();
      if (keep) keptBodies.push(String(i % 10).repeat(5));
      else assertEquals(got, String(i % 10).repeat(5), `request ${i}`);
    }
    // The written ones went back to the pool; the kept ones still read their own bytes.
    assert(smallBodies.free >= 1, "the written bodies' buffers were given back");
    assertEquals(await Promise.all(early.map((r) => r.text())), keptBodies);
  } finally {
    await srv.shutdown();
    await client.close();
    await up.shutdown();
  }
});

Deno.test("createChunkPool() ignores another pool's buffers and detached ones", () => {
  const a = createChunkPool(64, 4, 64), b = createChunkPool(64, 4, 64);
  const piece = a.take(64);
  b.give(piece); // not b's
  assertEquals([a.free, b.free], [0, 0]);
  a.give(piece);
  assertEquals(a.free, 1);
  const moved = a.take(64);
  structuredClone(moved.buffer, { transfer: [moved.buffer] }); // detaches it
  a.give(moved);
  assertEquals(a.free, 0); // dropped: nothing to hand out again
});

Deno.test("h1 client: a small body is a pooled view only when asked, else a buffer of its own", async () => {
  const up = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("hello"),
  );
  const client = createH1Client();
  try {
    const own = responseBytes.get(await getUp(client, up.addr.port))!;
    assertEquals([own.length, own.buffer.byteLength], [5, 5]);
    const pooledRsp = await getUp(client, up.addr.port, true);
    const pooled = responseBytes.get(pooledRsp)!;
    assertEquals([pooled.length, pooled.buffer.byteLength], [5, 64]);
    assertEquals(await pooledRsp.text(), "hello");
  } finally {
    await client.close();
    await up.shutdown();
  }
});

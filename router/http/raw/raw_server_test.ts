import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { echo, runCurl, start } from "./_test_util.ts";
import { responseBytes } from "./response_bytes.ts";

Deno.test("serveRaw() serves curl GET, POST and http_proxy-style absolute-form requests", async () => {
  const srv = start(echo);
  const base = `http://127.0.0.1:${srv.addr.port}`;
  const get = await runCurl([`${base}/hello?x=1`, "-H", "X-Test: 1"]);
  const g = JSON.parse(get.out);
  assertEquals([g.method, g.url, g.body], ["GET", `${base}/hello?x=1`, null]);
  assert(g.headers.some(([k, v]: string[]) => k === "x-test" && v === "1"));
  const post = JSON.parse((await runCurl([`${base}/p`, "--data-binary", "payload"])).out);
  assertEquals([post.method, post.body], ["POST", "payload"]);
  const proxied = JSON.parse((await runCurl(["-x", base, "http://hello/path?q"])).out);
  assertEquals(proxied.url, "http://hello/path?q");
  await srv.shutdown();
});

Deno.test("serveRaw() reuses one connection for several curl requests", async () => {
  let connects = 0;
  const srv = start(() => new Response("ok\n"), { onConnect: () => connects++ });
  const u = `http://127.0.0.1:${srv.addr.port}/`;
  const r = await runCurl([u, u, u, "-w", "%{num_connects}\n"]);
  assertEquals(r.out.split("ok\n").length, 4);
  assertEquals(connects, 1);
  await srv.shutdown();
});

Deno.test("serveRaw() sends 100 Continue when the handler reads an Expect body", async () => {
  const srv = start(async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}\n`));
  const data = new Uint8Array(300_000).fill(97);
  const r = await runCurl([
    "-v",
    "-H",
    "Expect: 100-continue",
    "--data-binary",
    "@-",
    `http://127.0.0.1:${srv.addr.port}/up`,
  ], data);
  assertStringIncludes(r.err, "HTTP/1.1 100 Continue");
  assertEquals(r.out, "got 300000\n");
  await srv.shutdown();
});

Deno.test("serveRaw() streams a 10 MiB chunked upload with bounded memory", async () => {
  let maxChunk = 0, total = 0, pieces = 0;
  const srv = start(async (req) => {
    for await (const c of req.body!) {
      total += c.length;
      pieces++;
      maxChunk = Math.max(maxChunk, c.length);
    }
    return new Response(`${total}\n`);
  });
  const data = new Uint8Array(10 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
  const r = await runCurl([
    "-H",
    "Transfer-Encoding: chunked",
    "--data-binary",
    "@-",
    `http://127.0.0.1:${srv.addr.port}/up`,
  ], data);
  assertEquals(r.out, `${data.length}\n`);
  // Streamed piece by piece: no piece is larger than one socket read / one chunk.
  assert(maxChunk <= 64 * 1024, `largest piece ${maxChunk}`);
  assert(pieces >= 160, `pieces ${pieces}`);
  await srv.shutdown();
});

Deno.test("serveRaw() holds a slow reader's upload back (reads only when pulled)", async () => {
  let received = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const srv = start(async (req) => {
    const reader = req.body!.getReader();
    const first = await reader.read();
    received += first.value?.length ?? 0;
    await gate;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      received += r.value.length;
    }
    return new Response(`${received}\n`);
  });
  const size = 32 * 1024 * 1024;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.addr.port });
  await conn.write(
    new TextEncoder().encode(
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
    ),
  );
  const chunk = new Uint8Array(1024 * 1024);
  let written = 0;
  const writing = (async () => {
    while (written < size) {
      let o = 0;
      while (o < chunk.length) o += await conn.write(chunk.subarray(o));
      written += chunk.length;
    }
  })();
  await new Promise((r) => setTimeout(r, 400));
  // Socket buffers hold a few MiB at most; the server did not slurp the body.
  assert(written < size, `client wrote everything (${written}) while the handler was paused`);
  assert(received <= 64 * 1024, `received ${received}`);
  release();
  await writing;
  const buf = new Uint8Array(4096);
  let text = "";
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  assertStringIncludes(text, `${size}\n`);
  await srv.shutdown();
});

Deno.test("serveRaw() writes responseBytes bodies directly with content-length", async () => {
  const srv = start(() => {
    const rsp = new Response(null, { headers: { "x-fast": "1" } });
    responseBytes.set(rsp, new TextEncoder().encode("fast path\n"));
    return rsp;
  });
  const r = await runCurl(["-i", `http://127.0.0.1:${srv.addr.port}/`]);
  assertStringIncludes(r.out, "content-length: 10");
  assert(r.out.endsWith("\r\n\r\nfast path\n"));
  await srv.shutdown();
});

Deno.test("serveRaw() drains a small unread body and closes after a large one", async () => {
  let connects = 0;
  const srv = start(() => new Response("ignored body\n"), {
    onConnect: () => connects++,
    maxDrainBytes: 64 * 1024,
  });
  const u = `http://127.0.0.1:${srv.addr.port}/`;
  const small = await runCurl(["--data-binary", "tiny", u, "--data-binary", "tiny", u]);
  assertEquals(small.out, "ignored body\nignored body\n");
  assertEquals(connects, 1);
  const big = new Uint8Array(2 * 1024 * 1024);
  const r = await runCurl(["--data-binary", "@-", "-i", u], big);
  assertStringIncludes(r.out, "connection: close");
  await srv.shutdown();
});

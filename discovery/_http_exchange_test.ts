import { assert, assertEquals } from "../tests/support/assert.ts";
import { request } from "./_http_exchange.ts";

Deno.test("request() reads a chunked answer and sends Host, headers and Connection: close", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    const n = (await conn.read(buf)) ?? 0;
    const head = new TextDecoder().decode(buf.subarray(0, n));
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 200 OK\r\nx-consul-index: 7\r\ntransfer-encoding: chunked\r\n\r\n" +
        "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
    ));
    conn.close();
    return head;
  })();
  const { port } = listener.addr as Deno.NetAddr;
  const rsp = await request({ hostname: "127.0.0.1", port }, {
    method: "GET",
    path: "/v1/kv/k?raw=true",
    headers: { host: "agent:8500" },
  }, new AbortController().signal);
  const head = await served;
  listener.close();
  assertEquals(rsp.status, 200);
  assertEquals(rsp.headers.get("x-consul-index"), "7");
  assertEquals(rsp.body, "abcde");
  assert(head.startsWith("GET /v1/kv/k?raw=true HTTP/1.1\r\n"), head);
  assert(head.includes("host: agent:8500\r\n") && head.includes("connection: close\r\n"), head);
});

Deno.test("request() has no time limit of its own: its signal ends a pending answer, with its reason", async () => {
  // A Consul blocking query: the agent answers minutes later; only the caller's signal ends it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const { port } = listener.addr as Deno.NetAddr;
  const stop = new AbortController();
  const pending = request(
    { hostname: "127.0.0.1", port },
    { method: "GET", path: "/v1/catalog/service/web?index=1", headers: { host: "a" } },
    stop.signal,
  );
  const conn = await accepted;
  await new Promise((r) => setTimeout(r, 200));
  const reason = new Error("closing");
  stop.abort(reason);
  let got: unknown;
  try {
    await pending;
  } catch (e: unknown) {
    got = e;
  }
  assertEquals(got, reason);
  // The connection was closed by the abort: the server reads its end.
  const buf = new Uint8Array(4096);
  while ((await conn.read(buf)) !== null) {
    // the request, then end of stream
  }
  conn.close();
  listener.close();
});

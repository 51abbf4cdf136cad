import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { echo, rawExchange, start, statuses } from "./_test_util.ts";

function bodies(text: string): unknown[] {
  return [...text.matchAll(/\r\n\r\n(\{[^\n]*?\})(?=HTTP|$)/g)].map((m) => JSON.parse(m[1]!));
}

Deno.test("serveRaw() hands a GET body to the handler and serves the next pipelined request", async () => {
  const srv = start(echo);
  const r = await rawExchange(srv.addr.port, [
    "GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nHELLOGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [200, 200]);
  const [a, b] = bodies(r.text) as { url: string; body: string | null }[];
  assertEquals([a?.url, a?.body, b?.url, b?.body], ["http://h/a", "HELLO", "http://h/b", null]);
  await srv.shutdown();
});

Deno.test("serveRaw() reads an HTTP/1.0 Content-Length body and treats no length as no body", async () => {
  const srv = start(echo);
  const r = await rawExchange(srv.addr.port, [
    "POST /x HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabcPOST /y HTTP/1.0\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [200, 200]);
  const got = bodies(r.text) as { body: string | null }[];
  assertEquals(got.map((g) => g.body), ["abc", null]);
  assert(r.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() closes without 100 Continue when the handler ignores an Expect body", async () => {
  const srv = start(() => new Response("no thanks", { status: 413 }));
  const r = await rawExchange(srv.addr.port, [
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [413]);
  assert(!r.text.includes("100 Continue"));
  assertStringIncludes(r.text, "connection: close");
  assert(r.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() gives CONNECT requests their method and authority URL", async () => {
  let seen = "";
  const srv = start((req) => {
    seen = `${req.method} ${req.url} ${req.body}`;
    return new Response("no tunnel here", { status: 405 });
  });
  const r = await rawExchange(srv.addr.port, [
    "CONNECT hello:443 HTTP/1.1\r\nHost: hello:443\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [405]);
  assertEquals(seen, "CONNECT http://hello:443/ null");
  assert(r.closed, "a CONNECT that was not tunnelled closes the connection");
  await srv.shutdown();
});

Deno.test("serveRaw() keeps full-duplex bodies flowing: the response streams the request", async () => {
  const srv = start((req) => new Response(req.body));
  const r = await rawExchange(
    srv.addr.port,
    [
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nping\r\n",
      "4\r\npong\r\n0\r\n\r\n",
    ],
    2000,
    50,
  );
  assertEquals(statuses(r.text), [200]);
  const body = r.text.slice(r.text.indexOf("\r\n\r\n") + 4);
  assertEquals(body, "4\r\nping\r\n4\r\npong\r\n0\r\n\r\n");
  await srv.shutdown();
});

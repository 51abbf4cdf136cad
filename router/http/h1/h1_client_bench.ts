/**
 * Microbenchmarks: the response-head parser (the per-request CPU this client adds), request
 * head building, and a loopback round trip against `fetch` for scale.
 *
 *   npx deno bench -A router/http/h1/h1_client_bench.ts
 */
import { createH1Client } from "./h1_client.ts";
import { prepareRequest } from "./_request.ts";
import { findHeadEnd, parseResponseHead } from "./response_head.ts";
import { bytes } from "./_test_util.ts";

const NGINX = bytes(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 10:00:00 GMT\r\n" +
    "Content-Type: text/plain\r\nContent-Length: 12\r\nLast-Modified: Tue, 24 Nov 2026 09:00:00 GMT\r\n" +
    'Connection: keep-alive\r\nETag: "6740d3f0-c"\r\nAccept-Ranges: bytes\r\n\r\nhello world\n',
);
let big = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
for (let i = 0; i < 30; i++) big += `X-Header-${i}: some-value-${i}-abcdefghijklmnopqrstuvwxyz\r\n`;
const BIG = bytes(big + "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n");
const LATIN1 = bytes(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Name: caf\xe9 cr\xe8me br\xfbl\xe9e\r\nContent-Length: 0\r\n\r\n",
);
const CHUNKED = bytes(
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n" +
    "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nVary: Accept-Encoding\r\n\r\n",
);

function bench(name: string, b: Uint8Array): void {
  const end = findHeadEnd(b, 0, b.length);
  Deno.bench(`parseResponseHead ${name} (${end} B)`, { group: "parse" }, () => {
    parseResponseHead(b, 0, findHeadEnd(b, 0, b.length));
  });
}
bench("nginx 9 fields", NGINX);
bench("33 fields", BIG);
bench("Latin-1 value", LATIN1);
bench("chunked + hop-by-hop", CHUNKED);

const REQ_HEADERS: [string, string][] = [
  ["host", "hello.svc"],
  ["user-agent", "wrk"],
  ["accept", "*/*"],
  ["l5d-ctx-trace", "abcdef0123456789"],
  ["x-forwarded-for", "10.0.0.1"],
];
const REQ_HEADERS_OBJ = new Headers(REQ_HEADERS);
Deno.bench("prepareRequest 5 fields, array", { group: "request head" }, () => {
  prepareRequest("127.0.0.1", 8080, "GET", "/api/v1/items?id=42", REQ_HEADERS, null);
});
Deno.bench("prepareRequest 5 fields, Headers", { group: "request head" }, () => {
  prepareRequest("127.0.0.1", 8080, "GET", "/api/v1/items?id=42", REQ_HEADERS_OBJ, null);
});

// Loopback round trip, server in the same process: for scale only.
const srv = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => new Response("hello world\n"),
);
const port = srv.addr.port;
const client = createH1Client();
const fetchClient = Deno.createHttpClient({ http1: true, http2: false });
Deno.bench("h1 client GET, 12 B body", { group: "round trip", baseline: true }, async () => {
  const res = await client.request("127.0.0.1", port, {
    method: "GET",
    target: "/",
    headers: REQ_HEADERS,
    body: null,
  });
  await res.arrayBuffer();
});
Deno.bench("fetch GET, 12 B body", { group: "round trip" }, async () => {
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    headers: REQ_HEADERS,
    client: fetchClient,
  });
  await res.arrayBuffer();
});
globalThis.addEventListener("unload", () => {
  client.close();
  fetchClient.close();
  srv.shutdown();
});

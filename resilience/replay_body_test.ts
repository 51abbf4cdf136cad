import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { replayable } from "./replay_body.ts";
import { httpVersion, requestParts } from "../router/http/raw/request_parts.ts";

const enc = new TextEncoder();

/** A request whose body is `chunks`, recording whether the original stream was cancelled. */
function streaming(
  chunks: string[],
): { req: Request; state: { cancelled: boolean; pulled: number } } {
  const state = { cancelled: false, pulled: 0 };
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      state.pulled++;
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]!));
      else c.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { req: new Request("http://a/", { method: "POST", body }), state };
}

Deno.test("replayable() reuses a bodyless request for every attempt", () => {
  const req = new Request("http://a/");
  const r = replayable(req);
  assertEquals(r.attempt(), req);
  assertEquals(r.attempt(), req);
  assertEquals(r.canReplay, true);
});

Deno.test("replayable() replays a body under the cap byte for byte", async () => {
  const { req } = streaming(["hel", "lo ", "world"]);
  const r = replayable(req, 64);
  const first = r.attempt();
  assertEquals(first.method, "POST");
  assertEquals(await first.text(), "hello world");
  assert(r.canReplay);
  assertEquals(await r.attempt().text(), "hello world");
  assertEquals(await r.attempt().text(), "hello world");
});

Deno.test("replayable() keeps method, url and headers on every attempt", async () => {
  const req = new Request("http://a/x?y", {
    method: "PUT",
    body: "data",
    headers: { "x-test": "1" },
  });
  const r = replayable(req);
  await r.attempt().arrayBuffer();
  const again = r.attempt();
  assertEquals([again.method, again.url, again.headers.get("x-test")], [
    "PUT",
    "http://a/x?y",
    "1",
  ]);
});

Deno.test("replayable() continues a partly read body on the next attempt", async () => {
  const { req } = streaming(["a", "b", "c", "d"]);
  const r = replayable(req, 64);
  const reader = r.attempt().body!.getReader();
  await reader.read(); // the first attempt sent "a" only, then failed
  assertEquals(await r.attempt().text(), "abcd");
});

Deno.test("replayable() streams past the cap, then refuses to replay", async () => {
  const { req } = streaming(["1234", "5678", "90"]);
  const r = replayable(req, 6);
  assertEquals(await r.attempt().text(), "1234567890");
  assertEquals(r.canReplay, false);
});

Deno.test("replayable() stops an abandoned attempt from reading on", async () => {
  const { req } = streaming(["a", "b", "c"]);
  const r = replayable(req, 64);
  const old = r.attempt().body!.getReader();
  await old.read();
  const next = r.attempt();
  await assertRejects(() => old.read(), "superseded");
  assertEquals(await next.text(), "abc");
});

Deno.test("replayable() does not cancel the original body when an attempt is cancelled", async () => {
  const { req, state } = streaming(["a", "b"]);
  const r = replayable(req, 64);
  const body = r.attempt().body!;
  const reader = body.getReader();
  await reader.read();
  await reader.cancel();
  assertEquals(state.cancelled, false);
  assertEquals(await r.attempt().text(), "ab");
});

Deno.test("replayable() cannot replay a body someone already read", async () => {
  const req = new Request("http://a/", { method: "POST", body: "x" });
  await req.text();
  const r = replayable(req);
  assertEquals(r.canReplay, false);
  assertEquals(r.attempt(), req);
});

Deno.test("replayable() marks a body that failed to read as not replayable", async () => {
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new Error("client reset"));
    },
  });
  const r = replayable(new Request("http://a/", { method: "POST", body }));
  await assertRejects(() => r.attempt().text());
  assertEquals(r.canReplay, false);
});

Deno.test("replayable() passes a chunked or over-cap body straight through, not replayable", async () => {
  const chunked = new Request("http://a/", {
    method: "POST",
    body: "abc",
    headers: { "transfer-encoding": "chunked" },
  });
  const r1 = replayable(chunked, 1024);
  assertEquals(r1.attempt(), chunked);
  assertEquals(r1.canReplay, false);
  const big = new Request("http://a/", {
    method: "POST",
    body: "x".repeat(2048),
    headers: { "content-length": "2048" },
  });
  const r2 = replayable(big, 1024);
  const a = r2.attempt();
  assertEquals(a, big);
  assertEquals(await a.text(), "x".repeat(2048));
  assertEquals(r2.canReplay, false);
});

Deno.test("replayable() attempts keep the HTTP version the listener recorded (Via, HTTP/1.0)", async () => {
  const { req } = streaming(["a"]);
  requestParts.set(req, { url: new URL(req.url), headers: [], major: 2 });
  const r = replayable(req);
  const first = r.attempt();
  assertEquals(httpVersion(first), "2.0");
  await first.arrayBuffer();
  assertEquals(httpVersion(r.attempt()), "2.0");
});

import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { findRequestEnd, HttpReject, parseRequestHead } from "./request_head.ts";

const limits = { maxLineBytes: 8192, maxHeaders: 100 };
const enc = new TextEncoder();

function parse(text: string) {
  const b = enc.encode(text);
  const end = findRequestEnd(b, 0, b.length);
  assert(end === b.length, `head end ${end} for ${JSON.stringify(text)}`);
  return parseRequestHead(b, 0, end, limits);
}

function status(text: string): number {
  try {
    parse(text);
    return 0;
  } catch (e: unknown) {
    if (e instanceof HttpReject) return e.status;
    throw e;
  }
}

Deno.test("parseRequestHead() reads origin, absolute, asterisk and authority forms", () => {
  const o = parse("GET /a?b=1 HTTP/1.1\r\nHost: x:8\r\nX-A:  v  \r\n\r\n");
  assertEquals([o.method, o.target, o.form, o.minor, o.host], [
    "GET",
    "/a?b=1",
    "origin",
    1,
    "x:8",
  ]);
  // Common names come as their lower-case constants (commonFieldName), others as sent.
  assertEquals(o.headers, [["host", "x:8"], ["X-A", "v"]]);
  assertEquals(parse("GET http://hello/p HTTP/1.1\r\nHost: hello\r\n\r\n").form, "absolute");
  assertEquals(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").form, "asterisk");
  assertEquals(parse("CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n").form, "authority");
  // `curl -X CONNECT`: no tunnel but a request like any other, as in Linkerd.
  assertEquals(parse("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n").form, "origin");
  assertEquals(parse("GET / HTTP/1.0\r\n\r\n").host, null);
});

Deno.test("parseRequestHead() derives keep-alive from version and Connection", () => {
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keepAlive, true);
  assertEquals(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keepAlive, false);
  assertEquals(parse("GET / HTTP/1.0\r\n\r\n").keepAlive, false);
  assertEquals(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive, true);
  assertEquals(
    parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keepAlive,
    false,
  );
});

Deno.test("parseRequestHead() reads framing and expectations", () => {
  const c = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  assertEquals([c.chunked, c.contentLength], [true, -1]);
  const l = parse(
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\nExpect: 100-Continue\r\n\r\n",
  );
  assertEquals([l.chunked, l.contentLength, l.expectContinue], [false, 42, true]);
  const u = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  assert(u.upgrade);
});

Deno.test("parseRequestHead() rejects smuggling vectors with the right status", () => {
  const cases: [string, number][] = [
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
    [
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400],
    ["POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", 400], // obs-fold
    ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400], // bare LF
    ["GET / HTTP/1.1\nHost: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400], // bare CR
    ["GET / HTTP/1.1\r\nX: a\x00b\r\nHost: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400],
    ["GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505],
    ["GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505],
    ["GET / http/1.1\r\nHost: a\r\n\r\n", 400], // malformed, not an unsupported version
    ["GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400],
    ["G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417],
  ];
  for (const [text, want] of cases) assertEquals([text, status(text)], [text, want]);
});

Deno.test("parseRequestHead() enforces the field count limit with 431", () => {
  let text = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (let i = 0; i < 100; i++) text += `X-${i}: v\r\n`;
  assertEquals(status(text + "\r\n"), 431);
});

Deno.test("parseRequestHead() keeps obs-text bytes as Latin-1 code units", () => {
  const b = new Uint8Array([
    ...enc.encode("GET / HTTP/1.1\r\nHost: a\r\nX: "),
    0xe9,
    0x80,
    13,
    10,
    13,
    10,
  ]);
  const h = parseRequestHead(b, 0, b.length, limits);
  assertEquals(h.headers[1], ["X", "\u00e9\u0080"]);
});

Deno.test("findRequestEnd() waits for the blank line and resumes", () => {
  const b = enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest");
  assertEquals(findRequestEnd(b, 0, 20), -1);
  assertEquals(findRequestEnd(b, 17, b.length), 27);
  assertEquals(findRequestEnd(enc.encode("GET /\n\n"), 0, 7), 7);
});

Deno.test("parseRequestHead() gives common methods as constants, others as sent", () => {
  for (const m of ["GET", "POST", "OPTIONS", "CONNECT", "get", "PROPFIND", "GETX"]) {
    const target = m === "CONNECT" ? "/" : "/x";
    assertEquals(parse(`${m} ${target} HTTP/1.1\r\nHost: a\r\n\r\n`).method, m);
  }
});

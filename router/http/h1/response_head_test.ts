import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { UpstreamError } from "../../core/errors.ts";
import {
  findHeadEnd,
  parseResponseHead,
  type ResponseHead,
  responseHeadTooLong,
} from "./response_head.ts";
import { assertInstanceOf, bytes } from "./_test_util.ts";
import { commonFieldName } from "./_bytes.ts";

function parse(head: string): ResponseHead {
  const b = bytes(head);
  const end = findHeadEnd(b, 0, b.length);
  assertEquals(end, b.length, `head end of ${JSON.stringify(head)}`);
  return parseResponseHead(b, 0, end);
}

function rejects(head: string): UpstreamError {
  const b = bytes(head);
  try {
    const end = findHeadEnd(b, 0, b.length);
    parseResponseHead(b, 0, end < 0 ? b.length : end);
  } catch (e: unknown) {
    return assertInstanceOf(e, UpstreamError, JSON.stringify(head));
  }
  throw new Error(`accepted ${JSON.stringify(head)}`);
}

Deno.test("parseResponseHead() reads status, reason, fields and content-length", () => {
  const h = parse("HTTP/1.1 201 Created Now\r\nContent-Length: 12\r\nX-A:  b c \r\nx-e:\r\n\r\n");
  assertEquals(h.status, 201);
  assertEquals(h.reason, "Created Now");
  assertEquals(h.minor, 1);
  assertEquals(h.contentLength, 12);
  assertEquals(h.chunked, false);
  assertEquals(h.keepAlive, true);
  assertEquals(h.headers, [["content-length", "12"], ["X-A", "b c"], ["x-e", ""]]);
});

Deno.test("parseResponseHead() accepts an empty reason with or without the space", () => {
  assertEquals(parse("HTTP/1.1 200 \r\n\r\n").reason, "");
  assertEquals(parse("HTTP/1.1 404\r\n\r\n").status, 404);
  assertEquals(parse("HTTP/1.1 200 OK\r\n\r\n").contentLength, -1);
});

Deno.test("parseResponseHead() applies HTTP/1.0 and 1.1 keep-alive rules", () => {
  assertEquals(parse("HTTP/1.0 200 OK\r\n\r\n").keepAlive, false);
  assertEquals(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n").keepAlive, true);
  assertEquals(parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").keepAlive, false);
  assertEquals(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, CLOSE\r\n\r\n").keepAlive, false);
  assertEquals(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n").keepAlive, true);
  assertEquals(parse("HTTP/1.1 200 OK\r\nConnection:\r\n\r\n").keepAlive, true);
  const h9 = parse("HTTP/1.9 200 OK\r\n\r\n");
  assertEquals([h9.minor, h9.keepAlive], [1, true]);
});

Deno.test("parseResponseHead() removes hop-by-hop fields and the ones Connection names", () => {
  const h = parse(
    "HTTP/1.1 200 OK\r\nConnection: X-Gone, keep-alive\r\nX-Gone: 1\r\nx-gone: 2\r\n" +
      "Keep-Alive: timeout=7, max=10\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\n" +
      "Proxy-Connection: close\r\nProxy-Authenticate: Basic\r\nProxy-Authorization: x\r\n" +
      "Content-Length: 0\r\nX-Kept: yes\r\n\r\n",
  );
  assertEquals(h.headers, [["content-length", "0"], ["X-Kept", "yes"]]);
  assertEquals(h.keepAliveMs, 7000);
});

Deno.test("parseResponseHead() keeps repeated fields apart and preserves Latin-1 bytes", () => {
  const h = parse(
    "HTTP/1.1 200 Caf\xe9\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2; Path=/\r\nX-L: \x80caf\xe9\xff\r\n\r\n",
  );
  assertEquals(h.reason, "Caf\xe9");
  assertEquals(h.headers, [["set-cookie", "a=1"], ["set-cookie", "b=2; Path=/"], [
    "X-L",
    "\x80caf\xe9\xff",
  ]]);
});

Deno.test("parseResponseHead() recognises chunked case-insensitively, with empty list elements", () => {
  assertEquals(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n").chunked, true);
  assertEquals(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked ,\r\n\r\n").chunked, true);
  assertEquals(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").headers, []);
});

Deno.test("parseResponseHead() rejects framing that allows smuggling", () => {
  const cases = [
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n",
    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
  ];
  for (const c of cases) rejects(c);
});

Deno.test("parseResponseHead() rejects malformed lines, obs-fold and bad bytes", () => {
  const cases = [
    "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n", // obs-fold
    "HTTP/1.1 200 OK\r\nX-A: b\r\n\tc\r\n\r\n",
    "HTTP/1.1 200 OK\r\n X-A: b\r\n\r\n", // whitespace before the first field
    "HTTP/1.1 200 OK\nX-A: b\n\n", // bare LF
    "HTTP/1.1 200 OK\r\nX-A: b\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: b\rc\r\n\r\n", // bare CR
    "HTTP/1.1 200 OK\r\nX-A: b\x00c\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: b\x7fc\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A: b\x1bc\r\n\r\n",
    "HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX(A): b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX\xe9: b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-A b\r\n\r\n",
    "HTTP/1.1 200 O\x01K\r\n\r\n",
    "HTTP/1.1 200 OK\r\r\n\r\n",
  ];
  for (const c of cases) rejects(c);
});

Deno.test("parseResponseHead() rejects bad status lines", () => {
  const cases = [
    "HTTP/2 200 OK\r\n\r\n",
    "HTTP/2.0 200 OK\r\n\r\n",
    "HTTP/1.1 20 OK\r\n\r\n",
    "HTTP/1.1 2000 OK\r\n\r\n",
    "HTTP/1.1 20x OK\r\n\r\n",
    "HTTP/1.1 600 Nope\r\n\r\n",
    "HTTP/1.1 099 Low\r\n\r\n",
    "http/1.1 200 OK\r\n\r\n",
    "ICY 200 OK\r\n\r\n\r\n\r\n",
    " HTTP/1.1 200 OK\r\n\r\n",
    "HTTP/1.1  200 OK\r\n\r\n",
    "HTTP/1.x 200 OK\r\n\r\n",
    "\r\nHTTP/1.1 200 OK\r\n\r\n",
    "HTTP/1.1 200OK\r\n\r\n",
  ];
  for (const c of cases) rejects(c);
});

Deno.test("findHeadEnd() finds the blank line at every split point", () => {
  const b = bytes("HTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY");
  const want = b.length - 4;
  for (let cut = 0; cut <= b.length; cut++) {
    const first = findHeadEnd(b, 0, cut);
    if (cut < want) assertEquals(first, -1, `cut ${cut}`);
    const resumed = first >= 0 ? first : findHeadEnd(b, Math.max(0, cut - 3), b.length);
    assertEquals(resumed, want, `cut ${cut}`);
  }
  assertEquals(findHeadEnd(bytes("HTTP/1.1 200 OK\n\nx"), 0, 18), 17); // bare LF end, rejected later
});

Deno.test("findHeadEnd() agrees with a plain scan on long lines, split anywhere, in a reused buffer", () => {
  // The search walks a line's first 64 bytes and then calls indexOf: lines on both sides of that.
  const reference = (b: Uint8Array, from: number, to: number): number => {
    for (let i = from; i < to; i++) {
      if (b[i] !== 10) continue;
      if (i + 1 >= to) return -1;
      if (b[i + 1] === 10) return i + 2;
      if (b[i + 1] === 13) {
        if (i + 2 >= to) return -1;
        if (b[i + 2] === 10) return i + 3;
      }
    }
    return -1;
  };
  const heads = [63, 64, 65, 200, 4000].map((n) =>
    `HTTP/1.1 200 OK\r\nSet-Cookie: ${"x".repeat(n)}\r\nA: b\r\n\r\nBODY\n`
  );
  heads.push("HTTP/1.1 200 OK\n" + "y".repeat(100) + "\n\nz", "x".repeat(130));
  const buf = new Uint8Array(8192).fill(10); // stale bytes past the end hold line feeds
  for (const head of heads) {
    const b = bytes(head);
    buf.set(b, 7);
    for (let cut = 0; cut <= b.length; cut++) {
      for (const from of [7, 7 + Math.max(0, cut - 3)]) {
        assertEquals(findHeadEnd(buf, from, 7 + cut), reference(buf, from, 7 + cut), `cut ${cut}`);
      }
    }
  }
});

Deno.test("parseResponseHead() handles many fields (scratch growth)", () => {
  let head = "HTTP/1.1 200 OK\r\n";
  for (let i = 0; i < 500; i++) head += `X-${i}: v${i}\r\n`;
  const h = parse(head + "\r\n");
  assertEquals(h.headers.length, 500);
  assertEquals(h.headers[499], ["X-499", "v499"]);
  assert(h.keepAlive);
});

// L1 protocol-http.md, maxHeadersKB / maxInitialLineKB: Netty's decoder counts each line's CR
// before dropping it, so a status line or header section of exactly the limit is refused.
Deno.test("responseHeadTooLong: status line and header section against the router's limits", () => {
  const enc = new TextEncoder();
  const head = (s: string) => {
    const b = enc.encode(s);
    return parseResponseHead(b, 0, b.length);
  };
  const h = head("HTTP/1.1 200 OK\r\nA: 12345\r\nConnection: close\r\n\r\n");
  assertEquals([h.lineBytes, h.fieldBytes], [15, 8 + 17]);
  const at = (line: number, fields: number) =>
    responseHeadTooLong(h, { maxLineBytes: line, maxFieldBytes: fields }, "10.0.0.1:80")?.message;
  assertEquals(at(16, 26), undefined);
  assertEquals(at(15, 26), "An HTTP line is larger than 15 bytes. at remote address: /10.0.0.1:80");
  assertEquals(at(16, 25), "HTTP header is larger than 25 bytes. at remote address: /10.0.0.1:80");
});

Deno.test("commonFieldName: common names, any case, become their lower-case constants", () => {
  const enc = new TextEncoder();
  for (
    const [wire, want] of [
      ["Content-Type", "content-type"],
      ["HOST", "host"],
      ["l5d-Dst-Service", "l5d-dst-service"],
      ["X-Forwarded-For", "x-forwarded-for"],
      ["X-Custom", undefined],
      ["Content-Typf", undefined],
      ["", undefined],
    ] as const
  ) {
    const b = enc.encode(`..${wire}:`);
    assertEquals(commonFieldName(b, 2, wire.length), want, wire);
  }
  // In a parsed head: common names lower-cased, others as sent.
  const h = parseResponseHead(
    enc.encode("HTTP/1.1 200 OK\r\nServer: n\r\nX-Thing: 1\r\nContent-Length: 0\r\n\r\n"),
    0,
    61,
  );
  assertEquals(h.headers, [["server", "n"], ["X-Thing", "1"], ["content-length", "0"]]);
});

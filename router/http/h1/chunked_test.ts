import { assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { UpstreamError } from "../../core/errors.ts";
import { ChunkedDecoder } from "./chunked.ts";
import type { ByteSource } from "./_conn.ts";
import { assertInstanceOf, bytes, concat } from "./_test_util.ts";

/** A ByteSource fed from fixed pieces, one piece per read. */
class MemSource implements ByteSource {
  buf = new Uint8Array(8);
  s = 0;
  e = 0;
  #pieces: Uint8Array[];
  constructor(pieces: Uint8Array[]) {
    this.#pieces = pieces.filter((p) => p.length > 0);
  }
  fill(): Promise<boolean> {
    const p = this.#pieces.shift();
    if (p === undefined) return Promise.resolve(false);
    this.reserve(this.e - this.s + p.length);
    this.buf.set(p, this.e);
    this.e += p.length;
    return Promise.resolve(true);
  }
  reserve(n: number): void {
    if (this.buf.length - this.s >= n) return;
    const grown = new Uint8Array(Math.max(n, this.buf.length * 2));
    grown.set(this.buf.subarray(this.s, this.e));
    this.e -= this.s;
    this.s = 0;
    this.buf = grown;
  }
  readInto(dst: Uint8Array): Promise<number | null> {
    const p = this.#pieces[0];
    if (p === undefined) return Promise.resolve(null);
    const n = Math.min(dst.length, p.length);
    dst.set(p.subarray(0, n));
    if (n === p.length) this.#pieces.shift();
    else this.#pieces[0] = p.subarray(n);
    return Promise.resolve(n);
  }
  get rest(): string {
    return String.fromCharCode(
      ...this.buf.subarray(this.s, this.e),
      ...this.#pieces.flatMap((p) => [...p]),
    );
  }
}

async function decode(pieces: Uint8Array[], maxTrailer = 1024): Promise<[string, MemSource]> {
  const src = new MemSource(pieces);
  const d = new ChunkedDecoder(src, maxTrailer);
  const out: Uint8Array[] = [];
  for (let c = await d.next(); c !== null; c = await d.next()) {
    if (c.length === 0) throw new Error("empty piece");
    out.push(c);
  }
  assertEquals(d.done, true);
  return [String.fromCharCode(...concat(out)), src];
}

async function rejects(wire: string): Promise<void> {
  try {
    await decode([bytes(wire)]);
  } catch (e: unknown) {
    assertInstanceOf(e, UpstreamError, JSON.stringify(wire));
    return;
  }
  throw new Error(`accepted ${JSON.stringify(wire)}`);
}

const WIRE =
  '5\r\nhello\r\n1;name="v" ; x\r\n,\r\nA\r\n world 123\r\n0\r\nX-T: 1\r\nY: \r\n\r\nNEXT';

Deno.test("ChunkedDecoder decodes chunks, skips extensions, drops trailers, stops at the end", async () => {
  const [body, src] = await decode([bytes(WIRE)]);
  assertEquals(body, "hello, world 123");
  assertEquals(src.rest, "NEXT");
});

Deno.test("ChunkedDecoder keeps the trailer fields, without framing fields, once the body ends", async () => {
  const src = new MemSource([
    bytes("1\r\na\r\n0\r\nX-Sum:  9 \r\nContent-Length: 5\r\nTrailer: x\r\nY:\r\n\r\n"),
  ]);
  const d = new ChunkedDecoder(src, 1024);
  assertEquals(d.trailers, null);
  assertEquals(String.fromCharCode(...(await d.next())!), "a");
  assertEquals(await d.next(), null);
  assertEquals(d.trailers, [["x-sum", "9"], ["y", ""]]);
  const none = new ChunkedDecoder(new MemSource([bytes("0\r\n\r\n")]), 1024);
  assertEquals(await none.next(), null);
  assertEquals(none.trailers, null);
});

Deno.test("ChunkedDecoder gives the same result at every split point", async () => {
  const w = bytes(WIRE);
  for (let a = 0; a <= w.length; a++) {
    const [body, src] = await decode([w.subarray(0, a), w.subarray(a)]);
    assertEquals(body, "hello, world 123", `split ${a}`);
    assertEquals(src.rest, "NEXT");
  }
  const ones = [...w].map((x) => new Uint8Array([x]));
  assertEquals((await decode(ones))[0], "hello, world 123");
});

Deno.test("ChunkedDecoder accepts upper-case hex, leading zeros and the largest size", async () => {
  assertEquals((await decode([bytes("0000A\r\n0123456789\r\n0\r\n\r\n")]))[0], "0123456789");
  // 2^48 - 1 is a legal size; the body then ends early.
  try {
    await decode([bytes("ffffffffffff\r\nabc")]);
    throw new Error("accepted");
  } catch (e: unknown) {
    assertStringIncludes(assertInstanceOf(e, UpstreamError).message, "closed");
  }
});

Deno.test("ChunkedDecoder rejects bad sizes, bad framing and bad trailers", async () => {
  const cases = [
    "x\r\nabc\r\n0\r\n\r\n",
    "\r\n0\r\n\r\n",
    "-1\r\n0\r\n\r\n",
    "0x3\r\nabc\r\n0\r\n\r\n",
    "+3\r\nabc\r\n0\r\n\r\n",
    "3 \r\nabc\r\n0\r\n\r\n",
    " 3\r\nabc\r\n0\r\n\r\n",
    "1000000000000\r\n", // 2^48: overflow guard
    "ffffffffffffffffffffffff\r\n",
    "3\nabc\r\n0\r\n\r\n",
    "3\r\nabcX\r\n0\r\n\r\n",
    "3\r\nabc\n0\r\n\r\n",
    "3;\x01\r\nabc\r\n0\r\n\r\n",
    "3\r\nabc\r\n0\r\nX-T: 1\r\n folded\r\n\r\n",
    "3\r\nabc\r\n0\r\nBad Name: 1\r\n\r\n",
    "3\r\nabc\r\n0\r\nX: a\x00\r\n\r\n",
    "3\r\nabc\r\n0\r\n\n",
    "3\r\nab",
    "3\r\nabc\r\n",
    "3\r\nabc\r\n0\r\nX: 1\r\n",
    "3;" + "e".repeat(5000) + "\r\nabc\r\n0\r\n\r\n",
  ];
  for (const c of cases) await rejects(c);
});

Deno.test("ChunkedDecoder limits the trailer section", async () => {
  const trailer = "X-Big: " + "v".repeat(100) + "\r\n";
  assertEquals((await decode([bytes("1\r\na\r\n0\r\n" + trailer + "\r\n")], 200))[0], "a");
  try {
    await decode([bytes("1\r\na\r\n0\r\n" + trailer + trailer + "\r\n")], 200);
    throw new Error("accepted");
  } catch (e: unknown) {
    assertInstanceOf(e, UpstreamError);
  }
});

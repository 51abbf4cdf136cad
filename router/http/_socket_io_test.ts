import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { directReads, directWrites, socketReader, socketWriter } from "./_socket_io.ts";

async function pair(): Promise<[Deno.Conn, Deno.Conn, Deno.Listener]> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [c, s] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port }),
    l.accept(),
  ]);
  return [c, s, l];
}

Deno.test("socketReader() reads what the peer wrote, then 0 at end of stream", async () => {
  const [c, s, l] = await pair();
  try {
    // Deno 2.9 (pinned): the op is reachable, so the wrapper is bypassed.
    assert(directReads(s), "expected the direct read op on a Deno 2.9 TCP connection");
    const read = socketReader(s);
    await c.write(new TextEncoder().encode("hello"));
    const buf = new Uint8Array(16);
    const n = await read(buf);
    assertEquals(new TextDecoder().decode(buf.subarray(0, n)), "hello");
    await c.closeWrite();
    assertEquals(await read(buf), 0);
  } finally {
    c.close();
    s.close();
    l.close();
  }
});

Deno.test("socketReader() rejects a pending read when the connection is closed", async () => {
  const [c, s, l] = await pair();
  try {
    const pending = socketReader(s)(new Uint8Array(16));
    s.close();
    await assertRejects(() => pending);
  } finally {
    c.close();
    l.close();
  }
});

Deno.test("socketReader() falls back to conn.read for a connection without a resource id", async () => {
  const chunks = [new TextEncoder().encode("ab")];
  const fake = {
    read(buf: Uint8Array): Promise<number | null> {
      const next = chunks.shift();
      if (!next) return Promise.resolve(null);
      buf.set(next);
      return Promise.resolve(next.length);
    },
  } as unknown as Deno.Conn;
  assertEquals(directReads(fake), false);
  const read = socketReader(fake);
  const buf = new Uint8Array(8);
  assertEquals(await read(buf), 2);
  assertEquals(await read(buf), 0);
});

Deno.test("socketWriter() writes every byte of a buffer larger than the socket takes at once", async () => {
  const [c, s, l] = await pair();
  try {
    assert(directWrites(c), "expected the direct write-all op on a Deno 2.9 TCP connection");
    const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 255);
    const done = socketWriter(c)(big);
    const got = new Uint8Array(big.length);
    const read = socketReader(s);
    let n = 0;
    while (n < big.length) {
      const k = await read(got.subarray(n));
      if (k === 0) break;
      n += k;
    }
    await done;
    assertEquals(n, big.length);
    assertEquals(got, big);
  } finally {
    c.close();
    s.close();
    l.close();
  }
});

Deno.test("socketWriter() rejects on a closed connection; the fallback loops over conn.write", async () => {
  const [c, s, l] = await pair();
  const w = socketWriter(c);
  c.close();
  await assertRejects(() => w(new Uint8Array(4)));
  s.close();
  l.close();
  const written: number[] = [];
  const fake = {
    write(b: Uint8Array): Promise<number> {
      const n = Math.min(3, b.length); // a short write each time
      written.push(...b.subarray(0, n));
      return Promise.resolve(n);
    },
  } as unknown as Deno.Conn;
  assertEquals(directWrites(fake), false);
  await socketWriter(fake)(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  assertEquals(written, [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("socketWriter() sends the writes of one turn together, in the order they were made", async () => {
  const [c1, s1, l1] = await pair();
  const [c2, s2, l2] = await pair();
  try {
    const w1 = socketWriter(c1), w2 = socketWriter(c2);
    const enc = new TextEncoder();
    // Made in one turn: queued, then sent by one flush at the turn's end.
    const sent = [w1(enc.encode("a1")), w2(enc.encode("b1")), w1(enc.encode("a2"))];
    await Promise.all(sent);
    const readAll = async (s: Deno.Conn, want: number) => {
      const buf = new Uint8Array(16), read = socketReader(s);
      let n = 0;
      while (n < want) n += await read(buf.subarray(n));
      return new TextDecoder().decode(buf.subarray(0, n));
    };
    assertEquals(await readAll(s1, 4), "a1a2");
    assertEquals(await readAll(s2, 2), "b1");
    // A connection closed before its turn's writes go out: that write rejects, the others go.
    const lost = w1(enc.encode("x"));
    const kept = w2(enc.encode("b2"));
    c1.close();
    await assertRejects(() => lost);
    await kept;
    assertEquals(await readAll(s2, 2), "b2");
  } finally {
    for (const x of [c1, s1, l1, c2, s2, l2]) {
      try {
        x.close();
      } catch { /* closed by the test */ }
    }
  }
});

import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { directReads, socketReader } from "./_socket_read.ts";

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

/**
 * A bulk-data upstream, run as its own process so the test process's memory does not mix in:
 * `GET /?mb=N` streams N MiB (with content-length), `POST` counts the bytes it receives.
 * Prints `listening <port>` once bound.
 *
 * @module
 */
const CHUNK = new Uint8Array(1024 * 1024).fill(97);

if (import.meta.main) {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening ${port}`),
  }, async (req) => {
    if (req.method === "POST" || req.method === "PUT") {
      let n = 0;
      if (req.body) { for await (const c of req.body) n += c.length; }
      return Response.json({ received: n });
    }
    const mb = Number(new URL(req.url).searchParams.get("mb") ?? "1");
    let sent = 0;
    return new Response(
      new ReadableStream({
        pull(c) {
          if (sent >= mb) return c.close();
          c.enqueue(CHUNK);
          sent++;
        },
      }),
      { headers: { "content-length": String(mb * CHUNK.length) } },
    );
  });
  Deno.addSignalListener("SIGTERM", () => server.shutdown());
  await server.finished;
}

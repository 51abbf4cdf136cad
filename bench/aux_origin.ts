/**
 * A helper upstream the benchmark runs as its own process (`deno run --allow-net
 * bench/aux_origin.ts PORT [DELAY_MS]`): `GET` answers `Hello world\n` (after `DELAY_MS`, for the
 * slow endpoint of the latency-under-failure run); any request with a body answers the number of
 * body bytes it read (the sink of the 1 GB upload).
 *
 * @module
 */

/**
 * The request handler.
 *
 * @param delayMs delay before answering a GET
 * @returns a Deno.serve handler
 */
export function auxHandler(delayMs: number): (req: Request) => Promise<Response> {
  return async function aux(req) {
    if (req.body) {
      let n = 0;
      for await (const chunk of req.body) n += chunk.byteLength;
      return new Response(`${n}\n`, { headers: { "content-type": "text/plain" } });
    }
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return new Response("Hello world\n", { headers: { "content-type": "text/plain" } });
  };
}

if (import.meta.main) {
  const port = Number(Deno.args[0]);
  const delayMs = Number(Deno.args[1] ?? "0");
  if (!(port > 0)) throw new Error("usage: aux_origin.ts PORT [DELAY_MS]");
  Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, auxHandler(delayMs));
}

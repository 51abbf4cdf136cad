/**
 * A router snapshot for the in-process micro-benchmarks: the `io.l5d.fs` namer over a directory
 * of the caller's files, dtab `/svc => /#/io.l5d.fs`, the default stack, and the transport
 * replaced by an in-memory 12-byte answer, so only Switchyard's own per-request work is timed:
 * requests and responses are built as the raw engine and the HTTP/1.1 client build them, and the
 * response body is left unread (the engine writes it).
 * Folder-private.
 *
 * @example
 * ```ts ignore
 * const b = benchSnapshot({ bench: "127.0.0.1 18080\n" });
 * await b.once("bench");
 * await b.close();
 * ```
 *
 * @module
 */
import { parseConfig } from "../../router/config/mod.ts";
import { buildSnapshot } from "../../router/snapshot.ts";
import { createRegistry } from "../../telemetry/metrics/mod.ts";
import { systemClock } from "../../router/core/clock.ts";
import { createLogger } from "../../telemetry/log.ts";
import { type H1Client, makeResponse } from "../../router/http/h1/mod.ts";
import { buildRequest } from "../../router/http/raw/mod.ts";

/** A snapshot to send requests through. */
export interface BenchSnapshot {
  /** One request with `Host: host` through the router (its status checked, its body unread). */
  once(host: string): Promise<void>;
  /** Close the snapshot and remove the namer's directory (removed at exit otherwise). */
  close(): Promise<void>;
}

/**
 * Build the snapshot.
 *
 * @param files the namer's files: name → content (`host port` lines)
 * @returns the snapshot
 */
export function benchSnapshot(files: Readonly<Record<string, string>>): BenchSnapshot {
  const dir = Deno.makeTempDirSync({ prefix: "switchyard-micro-" });
  for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${name}`, text);
  const removeDir = () => Deno.removeSync(dir, { recursive: true });
  globalThis.addEventListener("unload", () => {
    try {
      removeDir(); // `deno bench` ends without `close()`
    } catch {
      // already removed
    }
  });
  const parsed = parseConfig(
    `namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: bench
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 14140
`,
    "bench.yaml",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const body = new TextEncoder().encode("hello world\n");
  // The response as the HTTP/1.1 client builds it (`makeResponse`: Deno's internal constructor,
  // the parsed header list handed over), with the fields nginx sends: the router's work on a
  // response, without a `new Response` the client never makes.
  const transport = {
    request: () =>
      Promise.resolve(makeResponse(200, "OK", [
        ["server", "nginx/1.22.1"],
        ["date", "Sat, 28 Nov 2026 14:00:00 GMT"],
        ["content-type", "text/plain"],
        ["content-length", "12"],
        ["connection", "keep-alive"],
      ], body)),
    close: () => Promise.resolve(),
    stats: () => ({}),
    connectionsTo: () => 0,
  } as unknown as H1Client;
  const snap = buildSnapshot(parsed.config, {
    registry: createRegistry({ clock: systemClock }),
    transport,
    clock: systemClock,
    log: createLogger({ level: "error" }),
  });
  const router = snap.routers.get("bench")!;
  const signal = new AbortController().signal;
  return {
    async once(host) {
      // The request as the raw engine (the default) builds it from a parsed head: Deno's
      // internal constructor, the head's header list handed over, its parts recorded.
      const req = buildRequest(
        {
          method: "GET",
          target: "/",
          form: "origin",
          minor: 1,
          headers: [["Host", host], ["User-Agent", "wrk"], ["Accept", "*/*"]],
          host,
          contentLength: -1,
          chunked: false,
          keepAlive: true,
          expectContinue: false,
          upgrade: false,
        },
        null,
        signal,
        "localhost:14140",
      );
      const ctx = router.newCtx(req, "127.0.0.1", signal);
      const rsp = await router.serve(req, ctx);
      // Its body is the engine's to write (not timed here); the status says it was routed.
      if (rsp.status !== 200) throw new Error(`${host}: ${rsp.status} ${await rsp.text()}`);
    },
    async close() {
      await snap.close();
      removeDir();
    },
  };
}

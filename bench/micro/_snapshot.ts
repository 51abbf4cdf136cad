/**
 * A router snapshot for the in-process micro-benchmarks: the `io.l5d.fs` namer over a directory
 * of the caller's files, dtab `/svc => /#/io.l5d.fs`, the default stack, and the transport
 * replaced by an in-memory 12-byte answer, so only Switchyard's own per-request work is timed.
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
import type { H1Client } from "../../router/http/h1/mod.ts";
import { requestParts } from "../../router/http/raw/mod.ts";

/** A snapshot to send requests through. */
export interface BenchSnapshot {
  /** One request with `Host: host` through the router, its body read. */
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
  const body = new TextEncoder().encode("Hello world\n");
  const transport = {
    request: () =>
      Promise.resolve(
        new Response(body, {
          headers: [["content-type", "text/plain"], ["content-length", "12"]],
        }),
      ),
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
      const headers: [string, string][] = [["host", host], ["user-agent", "wrk"], [
        "accept",
        "*/*",
      ]];
      const req = new Request(`http://${host}/`, { headers });
      // What the raw engine (the default) hands the router with each request.
      requestParts.set(req, { url: new URL(req.url), headers });
      const ctx = router.newCtx(req, "127.0.0.1", signal);
      const rsp = await router.serve(req, ctx);
      await rsp.arrayBuffer();
    },
    async close() {
      await snap.close();
      removeDir();
    },
  };
}

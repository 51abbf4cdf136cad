/**
 * A `--workers` worker (a Deno Web Worker): runs the routers of the config with SO_REUSEPORT and
 * its own snapshot (balancers, retry budgets, binding caches, namers, metrics), no admin server.
 * It answers the main's `reload`, `metrics` and `stop` requests (protocol.ts).
 *
 * @module
 */
import { keepServingOnStrayErrors } from "../core/stray_errors.ts";
import { type Linker, startLinker } from "../linker.ts";
import { createLogger, type Logger } from "../../telemetry/log.ts";
import { snapshotRegistry } from "../../telemetry/metrics/merge.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { applyPorts } from "./ports.ts";
// The config arrives validated (protocol.ts): no parser here (issue 6).

interface WorkerScope {
  postMessage(m: FromWorker): void;
  addEventListener(type: "message", fn: (ev: MessageEvent<ToWorker>) => void): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;

/** Adds `worker: id` to every line. */
function tagged(log: Logger, id: number): Logger {
  const f = (fields?: Record<string, unknown>) => ({ worker: id, ...fields });
  return {
    debug: (m, x) => log.debug(m, f(x)),
    info: (m, x) => log.info(m, f(x)),
    warn: (m, x) => log.warn(m, f(x)),
    error: (m, x) => log.error(m, f(x)),
    enabled: (l) => log.enabled(l),
  };
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

let linker: Linker | undefined;

scope.addEventListener("message", async (ev) => {
  const m = ev.data;
  if (m.t === "start") {
    const log = tagged(createLogger({ level: m.logLevel, format: m.logFormat }), m.id);
    try {
      linker = await startLinker(applyPorts(m.config, m.overrides), {
        log,
        admin: false,
        reusePort: true,
      });
      keepServingOnStrayErrors(log); // for the worker's life: one connection's bug, not all
      scope.postMessage({ t: "started" });
    } catch (e: unknown) {
      scope.postMessage({ t: "failed", error: message(e) });
    }
    return;
  }
  const l = linker;
  if (!l) {
    scope.postMessage({ t: "reply", seq: m.seq, ok: false, error: "not started" });
    return;
  }
  try {
    if (m.t === "reload") {
      await l.reload(applyPorts(m.config, m.overrides));
      scope.postMessage({ t: "reply", seq: m.seq, ok: true });
    } else if (m.t === "metrics") {
      scope.postMessage({
        t: "reply",
        seq: m.seq,
        ok: true,
        metrics: snapshotRegistry(l.registry),
        views: { clients: l.clientState(), recent: l.recentRequests() },
      });
    } else if (m.t === "namerState") {
      scope.postMessage({ t: "reply", seq: m.seq, ok: true, state: l.namerState(m.prefix) });
    } else if (m.t === "boundNames") {
      scope.postMessage({ t: "reply", seq: m.seq, ok: true, names: await l.boundNames() });
    } else {
      await l.shutdown();
      scope.postMessage({ t: "reply", seq: m.seq, ok: true });
    }
  } catch (e: unknown) {
    scope.postMessage({ t: "reply", seq: m.seq, ok: false, error: message(e) });
  }
});

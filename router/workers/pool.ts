/**
 * The main side of `--workers`: starts N Web Workers (worker_main.ts), each running the routers
 * on the same ports with SO_REUSEPORT, and talks to them (protocol.ts).
 *
 * Web Workers rather than child processes: one process (one RSS, one pid for signals and
 * `/proc`), structured-clone messages instead of a pipe protocol, and each worker is still its own
 * isolate on its own thread, so the N event loops use N cores.
 *
 * @module
 */
import type { LogFormat, Logger, LogLevel } from "../../telemetry/log.ts";
import type { RegistrySnapshot } from "../../telemetry/metrics/merge.ts";
import type { FromWorker, PortOverride, ToWorker, WorkerViews } from "./protocol.ts";
import type { Config } from "../config/schema.ts";

/** What every worker is started with. */
export interface PoolOptions {
  /** Number of workers (≥ 1). */
  readonly count: number;
  /** The validated config (before port overrides). */
  readonly config: Config;
  readonly overrides: readonly PortOverride[];
  readonly log: Logger;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Longest a metrics request waits for a worker before using its last answer (default 2 s). */
  readonly metricsTimeoutMs?: number;
}

/** Running workers. */
export interface WorkerPool {
  readonly count: number;
  /** Every worker's metrics (the last known one for a worker that did not answer in time). */
  metrics(): Promise<RegistrySnapshot[]>;
  /** Every worker's client states and recent requests, as of the last {@link metrics}. */
  views(): WorkerViews[];
  /**
   * Every worker's `/namer_state/<prefix>.json` that answered in time (none for a worker
   * without that namer).
   */
  namerStates(prefix: string): Promise<unknown[]>;
  /** Every worker's `/bound-names.json` that answered in time. */
  boundNames(): Promise<(readonly string[])[]>;
  /**
   * Reload every worker.
   * @throws Error naming the workers that rejected it (the others run the new config).
   */
  reload(config: Config, overrides: readonly PortOverride[]): Promise<void>;
  /** Drain and stop every worker. */
  shutdown(): Promise<void>;
}

/**
 * The module a worker runs: `worker_main.ts` beside this module (from source, and in the compiled
 * binary, which `--include`s it); in a single-file bundle (`deno task bundle`), whose modules all
 * share the bundle's URL, the bundle itself: its `main.ts` starts the worker when it runs in one.
 *
 * @param self This module's URL (`import.meta.url`).
 * @returns The worker's entry module.
 * @example
 * ```ts
 * import { workerEntry } from "./pool.ts";
 * workerEntry("file:///d/switchyard.js").href; // "file:///d/switchyard.js"
 * ```
 */
export function workerEntry(self: string): URL {
  return self.endsWith("/router/workers/pool.ts")
    ? new URL("./worker_main.ts", self)
    : new URL(self);
}

type Reply = Extract<FromWorker, { t: "reply" }>;

class Handle {
  readonly worker: Worker;
  readonly pending = new Map<number, (r: Reply) => void>();
  lastMetrics: RegistrySnapshot = [];
  lastViews: WorkerViews = { clients: {}, recent: [] };
  #seq = 0;
  constructor(readonly id: number, log: Logger, onStart: (m: FromWorker) => void) {
    this.worker = new Worker(workerEntry(import.meta.url), { type: "module" });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      if (m.t === "reply") {
        const r = this.pending.get(m.seq);
        this.pending.delete(m.seq);
        r?.(m);
      } else onStart(m);
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      log.error("worker error", { worker: id, error: ev.message });
      onStart({ t: "failed", error: ev.message });
    };
  }
  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }
  request(make: (seq: number) => ToWorker): Promise<Reply> {
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      this.post(make(seq));
    });
  }
}

/**
 * Starts the workers and waits until every one listens.
 *
 * @throws Error when a worker cannot start (the others are stopped first).
 */
export async function startWorkerPool(o: PoolOptions): Promise<WorkerPool> {
  const timeoutMs = o.metricsTimeoutMs ?? 2000;
  const handles: Handle[] = [];
  const starts: Promise<void>[] = [];
  for (let id = 1; id <= o.count; id++) {
    let settle!: (m: FromWorker) => void;
    starts.push(
      new Promise<void>((resolve, reject) => {
        settle = (m) => {
          if (m.t === "started") resolve();
          else if (m.t === "failed") reject(new Error(`worker ${id}: ${m.error}`));
        };
      }),
    );
    const h = new Handle(id, o.log, (m) => settle(m));
    handles.push(h);
    h.post({
      t: "start",
      id,
      config: o.config,
      overrides: o.overrides,
      logLevel: o.logLevel,
      logFormat: o.logFormat,
    });
  }
  const terminateAll = () => {
    for (const h of handles) h.worker.terminate();
  };
  const results = await Promise.allSettled(starts);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) {
    terminateAll();
    throw (failed as PromiseRejectedResult).reason;
  }
  let stopping: Promise<void> | undefined;
  /** A worker's reply, or undefined when it takes longer than `timeoutMs`. */
  const within = async (reply: Promise<Reply>): Promise<Reply | undefined> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((
      r,
    ) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    const r = await Promise.race([reply, timeout]);
    clearTimeout(timer);
    return r;
  };
  return {
    count: handles.length,
    metrics: () =>
      Promise.all(handles.map(async (h) => {
        const r = await within(h.request((seq) => ({ t: "metrics", seq })));
        if (r?.ok && r.metrics) h.lastMetrics = r.metrics;
        if (r?.ok && r.views) h.lastViews = r.views;
        return h.lastMetrics;
      })),
    views: () => handles.map((h) => h.lastViews),
    async namerStates(prefix) {
      const replies = await Promise.all(
        handles.map((h) => within(h.request((seq) => ({ t: "namerState", seq, prefix })))),
      );
      return replies.flatMap((r) => (r?.ok && r.state !== undefined ? [r.state] : []));
    },
    async boundNames() {
      const replies = await Promise.all(
        handles.map((h) => within(h.request((seq) => ({ t: "boundNames", seq })))),
      );
      return replies.flatMap((r) => (r?.ok && r.names ? [r.names] : []));
    },
    async reload(config, overrides) {
      const replies = await Promise.all(
        handles.map((h) => h.request((seq) => ({ t: "reload", seq, config, overrides }))),
      );
      const bad = replies.map((r, i) => (r.ok ? "" : `worker ${i + 1}: ${r.error}`)).filter((x) =>
        x
      );
      if (bad.length > 0) throw new Error(bad.join("; "));
    },
    shutdown() {
      stopping ??= (async () => {
        await Promise.all(handles.map((h) => h.request((seq) => ({ t: "stop", seq }))));
        terminateAll();
      })();
      return stopping;
    },
  };
}

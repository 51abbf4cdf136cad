/**
 * `io.l5d.statsd` (experimental in Linkerd; L1 `telemetry/statsd/`): metrics pushed to a StatsD
 * daemon over UDP at `hostname:port` (default `127.0.0.1:8125`), every name behind `prefix`
 * (default `linkerd`):
 *
 * - every counter increment as `<name>:<delta>|c|@<sampleRate>` and every histogram
 *   observation (request latency) as `<name>:<ms>|ms|@<sampleRate>`, each record kept with
 *   probability `sampleRate` (default 0.01; `|@…` is left out at 1.0);
 * - every gauge every `gaugeIntervalMs` (default 10000) as `<name>:<value>|g`.
 *
 * Names are the `/admin/metrics.json` keys with `/` → `.` (see `statsd_lines.ts`). Lines are
 * batched into datagrams of at most 1432 bytes, sent when full and at least every 100 ms, with
 * at most 64 datagrams per 100 ms; past that lines are dropped and counted in the gauge
 * `switchyard/statsd/dropped_lines`. A send error is logged once and otherwise ignored (UDP:
 * nobody listening is not an error).
 *
 * Cost: the linker loads this module and wraps its registry (`statsd_registry.ts`) only when the
 * telemeter is configured, so without it the request path is unchanged. The telemeter is built
 * when the process starts; a reload that adds, removes or changes it takes effect at the next
 * restart. UDP goes through `node:dgram`, which needs no `--unstable-net` flag in Deno 2.
 *
 * @module
 */
import type { MetricsRegistry } from "./metrics/mod.ts";
import type { Logger } from "./log.ts";
import { Batcher, gaugeLines, statsdName } from "./statsd_lines.ts";
import { statsdRegistry } from "./statsd_registry.ts";

/** The `io.l5d.statsd` config keys, defaults filled in. */
export interface StatsdConfig {
  /** Name prefix (`linkerd`). */
  readonly prefix: string;
  /** StatsD host (`127.0.0.1`): an IP address or a name. */
  readonly hostname: string;
  /** StatsD UDP port (8125). */
  readonly port: number;
  /** How often gauges are sent (10000 ms). */
  readonly gaugeIntervalMs: number;
  /** Probability of sending a counter or timer record (0.01). */
  readonly sampleRate: number;
}

/** Options of {@link startStatsd}. */
export interface StatsdOptions {
  /** Uniform draws in [0, 1) for sampling. Default `Math.random`. */
  readonly random?: () => number;
  /** Longest a line waits in a partial datagram (ms). Default 100. */
  readonly flushIntervalMs?: number;
  /** Where a send error is reported (once). */
  readonly log?: Logger;
}

/** A running `io.l5d.statsd` telemeter. */
export interface StatsdTelemeter {
  /** The registry to record through: the given one, with counters and histograms reporting. */
  readonly registry: MetricsRegistry;
  /** Lines dropped so far (datagram budget spent, or a line longer than a datagram). */
  readonly dropped: number;
  /** Queues every gauge's current value now (also done every `gaugeIntervalMs`). */
  sendGauges(): void;
  /** Sends the partial datagram now. */
  flush(): void;
  /** Stops the timers, sends what is queued and closes the socket. */
  close(): Promise<void>;
}

/** The bits of a `node:dgram` socket used here (the repo has no @types/node). */
interface UdpSocket {
  send(msg: Uint8Array, port: number, host: string, cb: (err: unknown) => void): void;
  on(event: "error", fn: (err: unknown) => void): void;
  close(cb: () => void): void;
}

/**
 * Opens the UDP socket and starts the flush and gauge timers.
 *
 * @param registry The process's registry (its values stay where they are).
 * @param config The telemeter's config.
 * @param options Random source, flush interval, logger.
 * @returns The telemeter; record through its `registry`.
 * @example
 * ```ts
 * import { createRegistry } from "./metrics/mod.ts";
 * import { startStatsd } from "./statsd.ts";
 * const statsd = await startStatsd(createRegistry({ processStats: false }), {
 *   prefix: "linkerd",
 *   hostname: "127.0.0.1",
 *   port: 8125,
 *   gaugeIntervalMs: 10_000,
 *   sampleRate: 0.01,
 * });
 * statsd.registry.counter(["rt", "outgoing", "service", "svc/hello"], "requests").incr();
 * await statsd.close();
 * ```
 */
export async function startStatsd(
  registry: MetricsRegistry,
  config: StatsdConfig,
  options: StatsdOptions = {},
): Promise<StatsdTelemeter> {
  // A string specifier keeps node:dgram's (absent) types out of `deno check`.
  const specifier: string = "node:dgram";
  const dgram = (await import(specifier)).default as {
    createSocket(type: "udp4" | "udp6"): UdpSocket;
  };
  const socket = dgram.createSocket(config.hostname.includes(":") ? "udp6" : "udp4");
  const encoder = new TextEncoder();
  let reported = false;
  const onError = (err: unknown) => {
    if (err === null || err === undefined || reported) return;
    reported = true;
    options.log?.warn("statsd send failed", {
      target: `${config.hostname}:${config.port}`,
      error: err instanceof Error ? err.message : String(err),
    });
  };
  socket.on("error", onError);
  const batcher = new Batcher({
    send: (payload) => socket.send(encoder.encode(payload), config.port, config.hostname, onError),
  });
  registry.gauge(["switchyard", "statsd"], "dropped_lines", () => batcher.dropped);
  const wrapped = statsdRegistry(registry, {
    prefix: config.prefix,
    sampleRate: config.sampleRate,
    random: options.random ?? Math.random,
    push: (line) => batcher.push(line),
  });
  const gaugeNames = new Map<string, string>();

  function sendGauges(): void {
    for (const e of registry.entries()) {
      const m = e.metric;
      if (m.kind !== "gauge") continue;
      let value: number;
      try {
        value = m.value;
      } catch {
        continue;
      }
      const key = e.key;
      let name = gaugeNames.get(key);
      if (name === undefined) gaugeNames.set(key, name = statsdName(config.prefix, key));
      for (const line of gaugeLines(name, value)) batcher.push(line);
    }
  }

  const flushTimer = setInterval(() => batcher.tick(), options.flushIntervalMs ?? 100);
  const gaugeTimer = setInterval(() => {
    batcher.tick();
    sendGauges();
  }, config.gaugeIntervalMs);
  let closing: Promise<void> | undefined;
  return {
    registry: wrapped,
    get dropped() {
      return batcher.dropped;
    },
    sendGauges,
    flush: () => batcher.flush(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(flushTimer);
        clearInterval(gaugeTimer);
        batcher.tick();
        socket.close(() => resolve());
      });
      return closing;
    },
  };
}

/**
 * The wire side of `io.l5d.statsd`: StatsD metric names, one line per record (counters `|c`,
 * timers `|ms`, gauges `|g`, sampled records tagged `|@<rate>`), and the batcher that packs
 * lines into datagrams of at most 1432 bytes (the usual safe UDP payload on a 1500-byte MTU
 * path) under a per-interval datagram budget, so the telemeter's cost stays bounded however
 * busy the router is (lines past the budget are dropped and counted).
 *
 * Names follow L1 `StatsDStatsReceiver.mkName`: the flat metric key (the `/admin/metrics.json`
 * key, e.g. `rt/outgoing/service/svc/hello/requests`) with every character outside
 * `[/A-Za-z0-9]` replaced by `_`, `//` collapsed, then `/` → `.`, behind `<prefix>.`
 * (`linkerd.rt.outgoing.service.svc.hello.requests`).
 *
 * @module
 */

/** Largest datagram payload the batcher sends (bytes; names and numbers are ASCII). */
export const MAX_DATAGRAM_BYTES = 1432;

/**
 * The StatsD name of a flat metric key.
 *
 * @param prefix Linkerd's `prefix` (default `linkerd`); empty for none. Sanitized the same way.
 * @param key The flat key (`rt/outgoing/client/#/io.l5d.fs/world/requests`).
 * @returns e.g. `linkerd.rt.outgoing.client._.io_l5d_fs.world.requests`.
 * @example
 * ```ts
 * import { statsdName } from "./statsd_lines.ts";
 * statsdName("linkerd", "rt/outgoing/service/svc/hello/requests");
 * // "linkerd.rt.outgoing.service.svc.hello.requests"
 * ```
 */
export function statsdName(prefix: string, key: string): string {
  const name = key.replace(/[^/A-Za-z0-9]/g, "_").replaceAll("//", "/").replaceAll("/", ".");
  const p = prefix.replace(/[^.A-Za-z0-9_-]/g, "_").replace(/\.+$/, "");
  return p === "" ? name : `${p}.${name}`;
}

/**
 * A counter line: `<name>:<delta>|c`, plus `|@<rate>` when sampled (rate < 1).
 *
 * @param name The StatsD name.
 * @param delta The increment.
 * @param rate The sample rate the record was kept at.
 * @returns The line (no newline).
 * @example
 * ```ts
 * import { counterLine } from "./statsd_lines.ts";
 * counterLine("linkerd.rt.r.service.svc.a.requests", 1, 0.01); // "linkerd.rt.r.service.svc.a.requests:1|c|@0.01"
 * ```
 */
export function counterLine(name: string, delta: number, rate: number): string {
  return `${name}:${delta}|c${rateSuffix(rate)}`;
}

/**
 * A timer line: `<name>:<ms>|ms`, the whole milliseconds truncated as Linkerd's `value.toLong`
 * (L1 statsd `MetricTest` "Stat records a statsd execution time": 123.4 → `123`), plus
 * `|@<rate>` when sampled.
 *
 * @param name The StatsD name.
 * @param ms The observation.
 * @param rate The sample rate the record was kept at.
 * @returns The line.
 * @example
 * ```ts
 * import { timerLine } from "./statsd_lines.ts";
 * timerLine("linkerd.rt.r.service.svc.a.request_latency_ms", 12.34567, 1); // "…:12|ms"
 * ```
 */
export function timerLine(name: string, ms: number, rate: number): string {
  const v = Number.isFinite(ms) && ms > 0 ? Math.trunc(ms) : 0;
  return `${name}:${v}|ms${rateSuffix(rate)}`;
}

/**
 * Gauge lines: `<name>:<value>|g`. A negative value is sent as `0|g` then `-<v>|g`, because
 * StatsD reads a signed gauge value as a change, not a value.
 *
 * @param name The StatsD name.
 * @param value The gauge's value.
 * @returns One or two lines; none for NaN or ±Infinity.
 * @example
 * ```ts
 * import { gaugeLines } from "./statsd_lines.ts";
 * gaugeLines("linkerd.process.rss_bytes", 1024); // ["linkerd.process.rss_bytes:1024|g"]
 * ```
 */
export function gaugeLines(name: string, value: number): string[] {
  if (!Number.isFinite(value)) return [];
  if (value < 0) return [`${name}:0|g`, `${name}:${value}|g`];
  return [`${name}:${value}|g`];
}

function rateSuffix(rate: number): string {
  return rate < 1 ? `|@${rate}` : "";
}

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Sends one datagram payload (lines joined by `\n`). */
  readonly send: (payload: string) => void;
  /** Largest payload in bytes. Default {@link MAX_DATAGRAM_BYTES}. */
  readonly maxBytes?: number;
  /** Datagrams allowed between two `tick()`s; lines past that are dropped. Default 64. */
  readonly maxDatagramsPerTick?: number;
}

/**
 * Packs lines into datagrams: a datagram leaves when the next line would not fit, or at the
 * next `flush()`/`tick()` (the telemeter ticks every 100 ms).
 */
export class Batcher {
  readonly #send: (payload: string) => void;
  readonly #maxBytes: number;
  readonly #maxDatagrams: number;
  #buf = "";
  #sentThisTick = 0;
  /** Lines dropped because the datagram budget of a tick was spent. */
  dropped = 0;

  /** @param options The sender and the limits. */
  constructor(options: BatcherOptions) {
    this.#send = options.send;
    this.#maxBytes = options.maxBytes ?? MAX_DATAGRAM_BYTES;
    this.#maxDatagrams = options.maxDatagramsPerTick ?? 64;
  }

  /** Queues one line (ASCII, no newline); a line longer than a datagram is dropped. */
  push(line: string): void {
    if (line.length > this.#maxBytes) {
      this.dropped++;
      return;
    }
    if (this.#buf !== "" && this.#buf.length + 1 + line.length > this.#maxBytes) this.flush();
    if (this.#sentThisTick >= this.#maxDatagrams) {
      this.dropped++;
      return;
    }
    this.#buf = this.#buf === "" ? line : `${this.#buf}\n${line}`;
  }

  /** Sends what is queued, budget permitting. */
  flush(): void {
    if (this.#buf === "") return;
    const payload = this.#buf;
    this.#buf = "";
    if (this.#sentThisTick >= this.#maxDatagrams) {
      this.dropped += payload.split("\n").length;
      return;
    }
    this.#sentThisTick++;
    this.#send(payload);
  }

  /** Sends what is queued and starts a new budget interval. */
  tick(): void {
    this.flush();
    this.#sentThisTick = 0;
  }
}

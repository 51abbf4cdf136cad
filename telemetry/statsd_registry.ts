/**
 * The recording side of `io.l5d.statsd`: a {@link MetricsRegistry} that wraps the process's
 * registry and, on every counter `incr()` and histogram `add()`, also reports the record to a
 * {@link StatsdSink} — sampled: each record is kept with probability `sampleRate`, decided by
 * one draw of the injected random source, and a kept record is one line in the batcher
 * (Linkerd's `StatsDStatsReceiver` over timgroup's client: `count(name, delta, rate)`,
 * `recordExecutionTime(name, ms, rate)`).
 *
 * Only the linker uses this wrapper, and only when the telemeter is configured: without it the
 * stacks record through the plain registry's handles and pay nothing. Gauges are not wrapped
 * (the telemeter reads them every `gaugeIntervalMs`), and rendering (`entries()`) sees the
 * wrapped registry's own handles, so `/admin/metrics*` and worker merging are unchanged.
 *
 * @module
 */
import type {
  Counter,
  CumulativeBuckets,
  Gauge,
  Histogram,
  HistogramSnapshot,
  MetricEntry,
  MetricsRegistry,
  Scope,
} from "./metrics/mod.ts";
import type { Clock } from "../router/core/clock.ts";
import { normalizeScope } from "./metrics/mod.ts";
import { counterLine, statsdName, timerLine } from "./statsd_lines.ts";

/** Where sampled records go. */
export interface StatsdSink {
  /** `prefix` of the StatsD names. */
  readonly prefix: string;
  /** Probability of keeping a record, 0–1. */
  readonly sampleRate: number;
  /** A uniform draw in [0, 1) (`Math.random` in production, seeded in tests). */
  readonly random: () => number;
  /** Takes one line. */
  push(line: string): void;
}

/**
 * Wraps a registry so counters and histograms also report to StatsD.
 *
 * @param inner The registry that keeps the values (and that renderers read).
 * @param sink The sampling parameters and the line consumer.
 * @returns A registry with the same metrics whose counter and histogram handles also report.
 * @example
 * ```ts
 * import { createRegistry } from "./metrics/mod.ts";
 * import { statsdRegistry } from "./statsd_registry.ts";
 * const lines: string[] = [];
 * const registry = statsdRegistry(createRegistry({ processStats: false }), {
 *   prefix: "linkerd",
 *   sampleRate: 1,
 *   random: Math.random,
 *   push: (l) => lines.push(l),
 * });
 * registry.counter(["rt", "r", "service", "svc/a"], "requests").incr();
 * // lines: ["linkerd.rt.r.service.svc.a.requests:1|c"]
 * ```
 */
export function statsdRegistry(inner: MetricsRegistry, sink: StatsdSink): MetricsRegistry {
  return new StatsdRegistry(inner, sink);
}

class StatsdRegistry implements MetricsRegistry {
  readonly #inner: MetricsRegistry;
  readonly #sink: StatsdSink;
  /** Flat key → wrapper, so asking twice returns the same handle, as the inner registry does. */
  readonly #wrapped = new Map<string, Counter | Histogram>();

  constructor(inner: MetricsRegistry, sink: StatsdSink) {
    this.#inner = inner;
    this.#sink = sink;
  }

  get clock(): Clock {
    return this.#inner.clock;
  }

  get size(): number {
    return this.#inner.size;
  }

  counter(scope: Scope, name: string): Counter {
    const handle = this.#inner.counter(scope, name);
    return this.#wrap(scope, name, "counter", (n) => new SampledCounter(handle, n, this.#sink));
  }

  gauge(scope: Scope, name: string, fn?: () => number): Gauge {
    return this.#inner.gauge(scope, name, fn);
  }

  histogram(scope: Scope, name: string): Histogram {
    const handle = this.#inner.histogram(scope, name);
    return this.#wrap(scope, name, "histogram", (n) => new SampledHistogram(handle, n, this.#sink));
  }

  /** The one wrapper per flat key (asking twice returns the same handle, as the inner does). */
  #wrap<T extends Counter | Histogram>(
    scope: Scope,
    name: string,
    kind: T["kind"],
    make: (statsdName: string) => T,
  ): T {
    const key = flatKey(scope, name);
    const found = this.#wrapped.get(key);
    if (found?.kind === kind) return found as T;
    const w = make(statsdName(this.#sink.prefix, key));
    this.#wrapped.set(key, w);
    return w;
  }

  remove(scope: Scope): number {
    const prefix = normalizeScope(scope).join("/");
    for (const key of this.#wrapped.keys()) {
      if (key === prefix || key.startsWith(`${prefix}/`)) this.#wrapped.delete(key);
    }
    return this.#inner.remove(scope);
  }

  entries(): IterableIterator<MetricEntry> {
    return this.#inner.entries();
  }
}

/** One draw: is this record sent (probability `sampleRate`)? */
function kept(s: StatsdSink): boolean {
  return s.sampleRate >= 1 || s.random() < s.sampleRate;
}

function flatKey(scope: Scope, name: string): string {
  const s = normalizeScope(scope).join("/");
  return s === "" ? name : `${s}/${name}`;
}

class SampledCounter implements Counter {
  readonly #inner: Counter;
  readonly #name: string;
  readonly #sink: StatsdSink;

  constructor(inner: Counter, name: string, sink: StatsdSink) {
    this.#inner = inner;
    this.#name = name;
    this.#sink = sink;
  }

  get kind(): "counter" {
    return "counter";
  }

  get value(): number {
    return this.#inner.value;
  }

  incr(n = 1): void {
    this.#inner.incr(n);
    const s = this.#sink;
    if (kept(s)) s.push(counterLine(this.#name, n, s.sampleRate));
  }
}

class SampledHistogram implements Histogram {
  readonly #inner: Histogram;
  readonly #name: string;
  readonly #sink: StatsdSink;

  constructor(inner: Histogram, name: string, sink: StatsdSink) {
    this.#inner = inner;
    this.#name = name;
    this.#sink = sink;
  }

  get kind(): "histogram" {
    return "histogram";
  }

  get totalCount(): number {
    return this.#inner.totalCount;
  }

  get totalSum(): number {
    return this.#inner.totalSum;
  }

  add(ms: number, at?: number): void {
    this.#inner.add(ms, at);
    const s = this.#sink;
    if (kept(s)) s.push(timerLine(this.#name, ms, s.sampleRate));
  }

  snapshot(): HistogramSnapshot {
    return this.#inner.snapshot();
  }

  buckets(): CumulativeBuckets {
    return this.#inner.buckets();
  }
}

/**
 * The metrics registry: counters, gauges and latency histograms keyed by Linkerd-shaped scopes.
 *
 * A registry is a plain object owned by whoever owns the router snapshot (or the process) and passed
 * in; there is no module-level registry (style.md §d). Handles are resolved once, when a stack is
 * built (L2 `HttpMetrics::register`), and recording through a handle is a field update: no lookup,
 * no allocation. Asking twice for the same scope and name returns the same handle, so a rebuilt
 * stack (or a reloaded router sharing the registry) keeps counting where the old one left off.
 * `remove(scope)` drops a subtree when its owner goes away (an idle client expiring); handles held
 * past that keep working but are no longer rendered.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { systemClock } from "../../router/core/clock.ts";
import { createHistogram, type Histogram, type HistogramOptions } from "./histogram.ts";
import { normalizeScope, type Scope } from "./scope.ts";

/** A monotonically increasing count. */
export interface Counter {
  /** Discriminant. */
  readonly kind: "counter";
  /** Current value. */
  readonly value: number;
  /** Adds `n` (default 1). */
  incr(n?: number): void;
}

/** A value that goes up and down, either set by its owner or computed when read. */
export interface Gauge {
  /** Discriminant. */
  readonly kind: "gauge";
  /** Current value (calls the compute function when there is one). */
  readonly value: number;
  /** Sets the value. */
  set(v: number): void;
  /** Adds `n` (default 1), e.g. a request becoming pending. */
  incr(n?: number): void;
  /** Subtracts `n` (default 1). */
  decr(n?: number): void;
}

/** Any metric handle. */
export type Metric = Counter | Gauge | Histogram;

/** One registered metric, as the renderers see it. */
export interface MetricEntry {
  /** Flat metrics.json key: `path` joined with `/`. */
  readonly key: string;
  /** Canonical scope elements followed by the name's parts (`["rt", …, "status", "200"]`). */
  readonly path: readonly string[];
  /** The handle. */
  readonly metric: Metric;
}

/** A registry of metrics; see the module doc. */
export interface MetricsRegistry {
  /** The clock histograms and process stats read. */
  readonly clock: Clock;
  /** Number of registered metrics. */
  readonly size: number;
  /**
   * Gets or creates a counter.
   * @throws {TypeError} If the key is already registered as another kind.
   */
  counter(scope: Scope, name: string): Counter;
  /**
   * Gets or creates a gauge. With `fn`, the gauge is computed on read (a later `fn` replaces it).
   * @throws {TypeError} If the key is already registered as another kind.
   */
  gauge(scope: Scope, name: string, fn?: () => number): Gauge;
  /**
   * Gets or creates a sliding-window latency histogram (values in ms).
   * @throws {TypeError} If the key is already registered as another kind.
   */
  histogram(scope: Scope, name: string): Histogram;
  /** Drops every metric at or below `scope`; returns how many were dropped. */
  remove(scope: Scope): number;
  /** All metrics in registration order. */
  entries(): IterableIterator<MetricEntry>;
}

/** Options for {@link createRegistry}. */
export interface RegistryOptions {
  /** Time source for histogram windows and uptime. Default the system clock. */
  readonly clock?: Clock;
  /** Settings for every histogram this registry creates. */
  readonly histogram?: HistogramOptions;
  /**
   * Register the process gauges linkerd-viz and the dashboard read: `jvm/uptime` (ms; the name
   * linkerd-viz counts instances by), `process/uptime` (ms), `process/rss_bytes`,
   * `process/heap_used_bytes`. Uptime is `clock.mono()`, i.e. ms since the process started with
   * the system clock. Default true.
   */
  readonly processStats?: boolean;
}

/**
 * Creates an empty registry (plus process stats unless disabled).
 *
 * @param options Clock, histogram settings, process stats.
 * @returns The registry.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * const registry = createRegistry();
 * const requests = registry.counter(["rt", "outgoing", "service", "svc/world"], "requests");
 * requests.incr();
 * ```
 */
export function createRegistry(options: RegistryOptions = {}): MetricsRegistry {
  const registry = new Registry(options.clock ?? systemClock, options.histogram ?? {});
  if (options.processStats ?? true) registerProcessStats(registry);
  return registry;
}

function registerProcessStats(registry: MetricsRegistry): void {
  const uptime = () => registry.clock.mono();
  registry.gauge(["jvm"], "uptime", uptime);
  registry.gauge(["process"], "uptime", uptime);
  registry.gauge(["process"], "rss_bytes", () => Deno.memoryUsage().rss);
  registry.gauge(["process"], "heap_used_bytes", () => Deno.memoryUsage().heapUsed);
}

class CounterHandle implements Counter {
  readonly kind = "counter";
  value = 0;
  incr(n = 1): void {
    this.value += n;
  }
}

class GaugeHandle implements Gauge {
  readonly kind = "gauge";
  v = 0;
  fn: (() => number) | undefined = undefined;
  get value(): number {
    return this.fn === undefined ? this.v : this.fn();
  }
  set(v: number): void {
    this.v = v;
  }
  incr(n = 1): void {
    this.v += n;
  }
  decr(n = 1): void {
    this.v -= n;
  }
}

class Registry implements MetricsRegistry {
  readonly clock: Clock;
  readonly #histogramOptions: HistogramOptions;
  readonly #byKey = new Map<string, MetricEntry>();

  constructor(clock: Clock, histogramOptions: HistogramOptions) {
    this.clock = clock;
    this.#histogramOptions = histogramOptions;
  }

  get size(): number {
    return this.#byKey.size;
  }

  counter(scope: Scope, name: string): Counter {
    return this.#getOrCreate(scope, name, "counter", () => new CounterHandle());
  }

  gauge(scope: Scope, name: string, fn?: () => number): Gauge {
    const g = this.#getOrCreate(scope, name, "gauge", () => new GaugeHandle()) as GaugeHandle;
    if (fn !== undefined) g.fn = fn;
    return g;
  }

  histogram(scope: Scope, name: string): Histogram {
    return this.#getOrCreate(
      scope,
      name,
      "histogram",
      () => createHistogram(this.clock, this.#histogramOptions),
    );
  }

  remove(scope: Scope): number {
    const prefix = normalizeScope(scope);
    let n = 0;
    for (const [key, e] of this.#byKey) {
      if (prefix.length <= e.path.length && prefix.every((el, i) => e.path[i] === el)) {
        this.#byKey.delete(key);
        n++;
      }
    }
    return n;
  }

  entries(): IterableIterator<MetricEntry> {
    return this.#byKey.values();
  }

  #getOrCreate<M extends Metric>(
    scope: Scope,
    name: string,
    kind: M["kind"],
    make: () => M,
  ): M {
    const path = normalizeScope(scope);
    for (const part of name.split("/")) {
      if (part.length === 0) throw new RangeError(`bad metric name ${JSON.stringify(name)}`);
      path.push(part);
    }
    const key = path.join("/");
    const found = this.#byKey.get(key);
    if (found !== undefined) {
      if (found.metric.kind !== kind) {
        throw new TypeError(`metric ${key} is a ${found.metric.kind}, not a ${kind}`);
      }
      return found.metric as M;
    }
    const metric = make();
    this.#byKey.set(key, { key, path, metric });
    return metric;
  }
}

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
  /**
   * All metrics, grouped by scope: scopes in the order of their first metric, and a scope's
   * metrics in registration order.
   */
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

/**
 * The metrics of one scope. Its canonical path and key are stored once here, not once per metric.
 */
class ScopeNode {
  readonly key: string;
  readonly path: readonly string[];
  /**
   * A scope holds a few to a dozen metrics: a list scanned by name (registration time only),
   * replaced by a one-longer copy on registration (`push` would leave up to 16 spare slots).
   */
  slots: readonly Entry[] = [];
  constructor(path: string[]) {
    this.path = path;
    this.key = path.join("/");
  }
  find(name: string): Entry | undefined {
    for (const s of this.slots) if (s.name === name) return s;
    return undefined;
  }
}

/**
 * One registered metric. `key` and `path` are derived when a renderer asks (render time, not
 * request time): storing them per metric cost ~0.3 KiB each, ×~100 metrics per service (issue 6).
 * Counters and gauges are their own entries (one object per metric); a histogram has one.
 */
abstract class Entry implements MetricEntry {
  readonly node: ScopeNode;
  readonly name: string;
  abstract readonly metric: Metric;
  constructor(node: ScopeNode, name: string) {
    this.node = node;
    this.name = name;
  }
  get key(): string {
    return this.node.key === "" ? this.name : `${this.node.key}/${this.name}`;
  }
  get path(): readonly string[] {
    return [...this.node.path, ...this.name.split("/")];
  }
}

// `kind` is a prototype getter, not a field: one word less per metric (issue 6).
class CounterHandle extends Entry implements Counter {
  get kind(): "counter" {
    return "counter";
  }
  value = 0;
  get metric(): Counter {
    return this;
  }
  incr(n = 1): void {
    this.value += n;
  }
}

class GaugeHandle extends Entry implements Gauge {
  get kind(): "gauge" {
    return "gauge";
  }
  v = 0;
  fn: (() => number) | undefined = undefined;
  get metric(): Gauge {
    return this;
  }
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

class HistogramEntry extends Entry {
  readonly metric: Histogram;
  constructor(node: ScopeNode, name: string, metric: Histogram) {
    super(node, name);
    this.metric = metric;
  }
}

class Registry implements MetricsRegistry {
  readonly clock: Clock;
  readonly #histogramOptions: HistogramOptions;
  /**
   * Scope key → its metrics; this is also the rendering order (no second index of every metric:
   * a Set entry per metric cost ~24 B, ×~50 metrics per service, issue 6).
   */
  readonly #scopes = new Map<string, ScopeNode>();
  /** Metric names, one string each: `status/200` is written once, not once per scope. */
  readonly #names = new Map<string, string>();
  #size = 0;

  constructor(clock: Clock, histogramOptions: HistogramOptions) {
    this.clock = clock;
    this.#histogramOptions = histogramOptions;
  }

  get size(): number {
    return this.#size;
  }

  counter(scope: Scope, name: string): Counter {
    return this.#getOrCreate(scope, name, "counter", (n, k) => new CounterHandle(n, k))
      .metric as Counter;
  }

  gauge(scope: Scope, name: string, fn?: () => number): Gauge {
    const g = this.#getOrCreate(
      scope,
      name,
      "gauge",
      (n, k) => new GaugeHandle(n, k),
    ) as GaugeHandle;
    if (fn !== undefined) g.fn = fn;
    return g;
  }

  histogram(scope: Scope, name: string): Histogram {
    return this.#getOrCreate(
      scope,
      name,
      "histogram",
      (n, k) => new HistogramEntry(n, k, createHistogram(this.clock, this.#histogramOptions)),
    ).metric as Histogram;
  }

  remove(scope: Scope): number {
    const prefix = normalizeScope(scope);
    let n = 0;
    for (const [key, node] of this.#scopes) {
      // A metric's name parts extend its scope's path: a prefix longer than the scope's path can
      // still cover some of its metrics (`remove([..., "status"])`).
      const p = node.path;
      if (!prefix.every((el, i) => i >= p.length || p[i] === el)) continue;
      const kept = node.slots.filter((slot) => {
        if (prefix.length > p.length && !covers(prefix, slot.path)) return true;
        n++;
        return false;
      });
      node.slots = kept;
      if (kept.length === 0) this.#scopes.delete(key);
    }
    this.#size -= n;
    return n;
  }

  *entries(): IterableIterator<MetricEntry> {
    for (const node of this.#scopes.values()) yield* node.slots;
  }

  #getOrCreate(
    scope: Scope,
    name: string,
    kind: Metric["kind"],
    make: (node: ScopeNode, name: string) => Entry,
  ): Entry {
    for (const part of name.split("/")) {
      if (part.length === 0) throw new RangeError(`bad metric name ${JSON.stringify(name)}`);
    }
    const path = normalizeScope(scope);
    const scopeKey = path.join("/");
    let node = this.#scopes.get(scopeKey);
    if (node === undefined) this.#scopes.set(scopeKey, node = new ScopeNode(path));
    const found = node.find(name);
    if (found !== undefined) {
      if (found.metric.kind !== kind) {
        throw new TypeError(`metric ${found.key} is a ${found.metric.kind}, not a ${kind}`);
      }
      return found;
    }
    let interned = this.#names.get(name);
    if (interned === undefined) this.#names.set(name, interned = name);
    const entry = make(node, interned);
    node.slots = node.slots.concat([entry]);
    this.#size++;
    return entry;
  }
}

function covers(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((el, i) => path[i] === el);
}

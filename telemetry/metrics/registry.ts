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
 * Memory (issue 6: ~50 metrics per bound service, 1000 services): a scope keeps its metrics as
 * one exact-length list of (interned name, handle) pairs, and the standard request stats of a scope
 * (request_stats.ts) keep their counts as plain fields of one object that the scope's node
 * refers to, with no handle per count unless someone asks for one.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { systemClock } from "../../router/core/clock.ts";
import {
  detachHistogram,
  type Histogram,
  type HistogramConfig,
  histogramConfig,
  type HistogramOptions,
  histogramWith,
} from "./histogram.ts";
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
   * Drops the metrics registered at exactly `scope` (not those of deeper scopes, nor names of a
   * shorter scope that reach into it), in constant time; returns how many were dropped. For a
   * scope whose metrics are all registered there (a service's, a client × service's), this is
   * {@link remove} without its walk over every scope.
   */
  removeScope?(scope: Scope): number;
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
 * A scope's numeric metrics kept by their owner (request_stats.ts's compact stats) as plain
 * fields rather than one handle object each. A slot is identified by a small integer the owner
 * chose; the registry stores that integer where it would store a handle and asks the owner for
 * the value when rendering, or wraps it in a handle when someone asks for one. Package-internal.
 */
export interface SlotOwner {
  /** The kind of slot `i`. */
  slotKind(i: number): Metric["kind"];
  /** The metric the owner keeps as an object at slot `i` (its histogram), if any. */
  slotMetric?(i: number): Metric | undefined;
  /** The value of slot `i`. */
  slotValue(i: number): number;
  /** Adds `n` to slot `i`. */
  slotAdd(i: number, n: number): void;
  /** Sets slot `i`. */
  slotSet(i: number, v: number): void;
}

/** A registered metric: its handle, or the number of a slot its scope's {@link SlotOwner} keeps. */
type Slot = Metric | number;

/**
 * A metric the registry no longer renders: a histogram gives its per-sample slot back to the
 * registry's arena (its holders may go on adding to it: see `detachHistogram`).
 */
function dropped(node: ScopeNode, slot: Slot): void {
  const m = typeof slot === "number" ? node.owner?.slotMetric?.(slot) : slot;
  if (m !== undefined && m.kind === "histogram") detachHistogram(m as Histogram);
}

/** A scope's metrics list: `[name, slot, name, slot, …]`, never changed once made. */
type SlotList = readonly (string | Slot)[];

/** The list of a scope with no metrics, shared by every new scope. */
const EMPTY_LIST: SlotList = Object.freeze([]);

/**
 * Most lists the registry shares between scopes (see `Registry.register`): past this many, a
 * registration that would make a new shared list makes a scope's own instead, so that scopes
 * seeing status codes in ever new orders cannot grow the shared set without bound.
 */
const SHARED_LISTS_MAX = 4096;

/**
 * The metrics of one scope. Its canonical path and key are stored once here, not once per metric;
 * its metrics are one list of (interned name, slot) pairs. A scope holds a few to a dozen
 * metrics: the list is scanned by name (registration time only) and replaced by a one-pair-longer
 * copy on registration (`push` would leave up to 16 spare slots). Package-internal.
 */
/** Most `/` in a scope key whose element boundaries {@link ScopeNode} keeps as bits of a Smi. */
const MAX_SLASHES = 30;

export class ScopeNode {
  readonly key: string;
  /**
   * Which `/` of {@link key} separate the path's elements (bit `i` for the `i`-th `/`; the others
   * are inside an element, as in a client id `#/io.l5d.fs/x`); or, for a key with more than
   * {@link MAX_SLASHES} of them, the path itself. An array per scope was ~0.1 KiB (issue 6: 13 000
   * scopes with 1000 services × 10 endpoints); a small integer is a word of this object.
   */
  readonly #elements: number | readonly string[];
  /**
   * `[name, slot, name, slot, …]`: metric `i` is at `2i`, `2i + 1`. Replaced, never changed: it
   * may be shared with other scopes (see `Registry.register`).
   */
  list: SlotList = EMPTY_LIST;
  /** The compact stats whose fields back this scope's numeric slots, if any. */
  owner: SlotOwner | undefined = undefined;
  constructor(path: readonly string[]) {
    this.key = path.join("/");
    let mask = 0, slash = 0;
    for (let i = 0; i < path.length && slash <= MAX_SLASHES; i++) {
      const el = path[i]!;
      for (let at = el.indexOf("/"); at >= 0; at = el.indexOf("/", at + 1)) slash++;
      if (i < path.length - 1) mask |= slash < MAX_SLASHES ? 1 << slash : 0;
      if (i < path.length - 1) slash++;
    }
    this.#elements = slash <= MAX_SLASHES ? mask : path;
  }
  /** The canonical path: the elements of {@link key}, made anew from it (render time). */
  get path(): readonly string[] {
    const e = this.#elements;
    if (typeof e !== "number") return e;
    const key = this.key;
    if (key === "") return [];
    const out: string[] = [];
    let from = 0, slash = 0;
    for (let at = key.indexOf("/"); at >= 0; at = key.indexOf("/", at + 1), slash++) {
      if ((e & (1 << slash)) === 0) continue;
      out.push(key.slice(from, at));
      from = at + 1;
    }
    out.push(key.slice(from));
    return out;
  }
  /** Number of metrics. */
  get length(): number {
    return this.list.length >> 1;
  }
  /** The name of metric `i`. */
  nameAt(i: number): string {
    return this.list[2 * i] as string;
  }
  /** The slot of metric `i`. */
  slotAt(i: number): Slot {
    return this.list[2 * i + 1] as Slot;
  }
  /** The index of the metric named `name`, or -1. */
  indexOf(name: string): number {
    const list = this.list;
    for (let k = 0; k < list.length; k += 2) if (list[k] === name) return k >> 1;
    return -1;
  }
}

// `kind` is a prototype getter, not a field: one word less per metric (issue 6). A handle knows
// neither its scope nor its name (the scope's node does): two words less.
class CounterHandle implements Counter {
  get kind(): "counter" {
    return "counter";
  }
  value = 0;
  incr(n = 1): void {
    this.value += n;
  }
}

class GaugeHandle implements Gauge {
  get kind(): "gauge" {
    return "gauge";
  }
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

/** A handle on an owner's counter slot. */
class SlotCounter implements Counter {
  readonly #owner: SlotOwner;
  readonly #i: number;
  constructor(owner: SlotOwner, i: number) {
    this.#owner = owner;
    this.#i = i;
  }
  get kind(): "counter" {
    return "counter";
  }
  get value(): number {
    return this.#owner.slotValue(this.#i);
  }
  incr(n = 1): void {
    this.#owner.slotAdd(this.#i, n);
  }
}

/** A handle on an owner's gauge slot. */
class SlotGauge implements Gauge {
  readonly #owner: SlotOwner;
  readonly #i: number;
  constructor(owner: SlotOwner, i: number) {
    this.#owner = owner;
    this.#i = i;
  }
  get kind(): "gauge" {
    return "gauge";
  }
  get value(): number {
    return this.#owner.slotValue(this.#i);
  }
  set(v: number): void {
    this.#owner.slotSet(this.#i, v);
  }
  incr(n = 1): void {
    this.#owner.slotAdd(this.#i, n);
  }
  decr(n = 1): void {
    this.#owner.slotAdd(this.#i, -n);
  }
}

/**
 * A new handle on an owner's slot `i`, or the metric the owner keeps there (its histogram).
 * Package-internal.
 */
export function slotHandle(owner: SlotOwner, i: number): Metric {
  const kind = owner.slotKind(i);
  if (kind === "counter") return new SlotCounter(owner, i);
  if (kind === "gauge") return new SlotGauge(owner, i);
  const m = owner.slotMetric?.(i);
  if (m === undefined) throw new TypeError(`slot ${i} keeps no ${kind}`);
  return m;
}

/** What `entries()` yields: made when a renderer asks (render time, not request time). */
class RenderedEntry implements MetricEntry {
  readonly #node: ScopeNode;
  readonly #name: string;
  readonly metric: Metric;
  constructor(node: ScopeNode, name: string, metric: Metric) {
    this.#node = node;
    this.#name = name;
    this.metric = metric;
  }
  get key(): string {
    const k = this.#node.key;
    return k === "" ? this.#name : `${k}/${this.#name}`;
  }
  get path(): readonly string[] {
    return [...this.#node.path, ...this.#name.split("/")];
  }
}

/** The native registry's scope-level access, for request_stats.ts's compact stats. */
export interface CompactRegistry extends MetricsRegistry {
  /** The node of a scope, created (empty, unrendered) when missing. */
  node(scope: Scope): ScopeNode;
  /** Appends a metric to a node (the caller checked the name is free). */
  register(node: ScopeNode, name: string, slot: Slot): void;
  /** The registry's histogram settings (for an owner that is its own histogram). */
  readonly histogramSettings: HistogramConfig;
  /** The handle of a node's metric `i` (an owner's slot gets one, kept from then on). */
  handle(node: ScopeNode, i: number): Metric;
}

/**
 * The registry as a {@link CompactRegistry} when it is this module's (not a wrapper such as the
 * StatsD one, whose handles must see every record). Package-internal.
 */
export function compactRegistry(registry: MetricsRegistry): CompactRegistry | undefined {
  return registry instanceof Registry ? registry : undefined;
}

function kindOf(node: ScopeNode, slot: Slot): Metric["kind"] {
  return typeof slot === "number" ? node.owner!.slotKind(slot) : slot.kind;
}

class Registry implements CompactRegistry {
  readonly clock: Clock;
  readonly #histogram: HistogramConfig;
  /**
   * Scope key → its metrics; this is also the rendering order (no second index of every metric:
   * a Set entry per metric cost ~24 B, ×~50 metrics per service, issue 6).
   */
  readonly #scopes = new Map<string, ScopeNode>();
  /** Metric names, one string each: `status/200` is written once, not once per scope. */
  readonly #names = new Map<string, string>();
  /**
   * Shared lists: where registering a (name, slot number) pair on a shared list leads, keyed
   * `name slot`. Every endpoint scope registers the same slots in the same order (requests, …,
   * `status/200`), so they all end on one list instead of ~0.2 KiB of list each (issue 6:
   * 10 000 of them with 1000 services × 10 endpoints).
   */
  readonly #next = new WeakMap<SlotList, Map<string, SlotList>>([[EMPTY_LIST, new Map()]]);
  #sharedLists = 1;
  #size = 0;

  constructor(clock: Clock, histogramOptions: HistogramOptions) {
    this.clock = clock;
    this.#histogram = histogramConfig(clock, histogramOptions);
  }

  get size(): number {
    return this.#size;
  }

  counter(scope: Scope, name: string): Counter {
    return this.#getOrCreate(scope, name, "counter", () => new CounterHandle()) as Counter;
  }

  gauge(scope: Scope, name: string, fn?: () => number): Gauge {
    const g = this.#getOrCreate(scope, name, "gauge", () => new GaugeHandle()) as Gauge;
    if (fn !== undefined) {
      if (g instanceof GaugeHandle) g.fn = fn;
      else {throw new TypeError(
          `metric ${name} is kept by its scope's stats; it cannot be computed`,
        );}
    }
    return g;
  }

  histogram(scope: Scope, name: string): Histogram {
    return this.#getOrCreate(
      scope,
      name,
      "histogram",
      () => histogramWith(this.#histogram),
    ) as Histogram;
  }

  remove(scope: Scope): number {
    const prefix = normalizeScope(scope);
    let n = 0;
    const prefixKey = prefix.join("/");
    for (const [key, node] of this.#scopes) {
      // Only a node whose key and the prefix's start alike can be covered (its path is made
      // anew from its key: not for every node).
      if (!key.startsWith(prefixKey) && !prefixKey.startsWith(key)) continue;
      // A metric's name parts extend its scope's path: a prefix longer than the scope's path can
      // still cover some of its metrics (`remove([..., "status"])`).
      const p = node.path;
      if (!prefix.every((el, i) => i >= p.length || p[i] === el)) continue;
      const kept: (string | Slot)[] = [];
      for (let i = 0; i < node.length; i++) {
        const name = node.nameAt(i);
        if (prefix.length > p.length && !covers(prefix, [...p, ...name.split("/")])) {
          kept.push(name, node.slotAt(i));
        } else {
          n++;
          dropped(node, node.slotAt(i));
        }
      }
      node.list = kept.slice(); // exact length
      if (kept.length === 0) this.#scopes.delete(key);
    }
    this.#size -= n;
    return n;
  }

  removeScope(scope: Scope): number {
    const key = normalizeScope(scope).join("/");
    const node = this.#scopes.get(key);
    if (node === undefined) return 0;
    this.#scopes.delete(key);
    const n = node.length;
    for (let i = 0; i < n; i++) dropped(node, node.slotAt(i));
    this.#size -= n;
    return n;
  }

  *entries(): IterableIterator<MetricEntry> {
    for (const node of this.#scopes.values()) {
      const list = node.list;
      for (let k = 0; k < list.length; k += 2) {
        const s = list[k + 1] as Slot;
        const metric = typeof s === "number" ? slotHandle(node.owner!, s) : s;
        yield new RenderedEntry(node, list[k] as string, metric);
      }
    }
  }

  node(scope: Scope): ScopeNode {
    const path = normalizeScope(scope);
    const scopeKey = path.join("/");
    let node = this.#scopes.get(scopeKey);
    if (node === undefined) this.#scopes.set(scopeKey, node = new ScopeNode(path));
    return node;
  }

  register(node: ScopeNode, name: string, slot: Slot): void {
    let interned = this.#names.get(name);
    if (interned === undefined) this.#names.set(name, interned = name);
    // Exact-length copies: `push` would leave spare capacity in every scope's lists.
    const from = node.list;
    const next = typeof slot === "number" ? this.#next.get(from) : undefined;
    if (next === undefined) node.list = from.concat([interned, slot]);
    else {
      // A shared list, and a slot number (a handle is the scope's own): the shared list it leads
      // to, made once.
      const key = `${interned} ${slot}`;
      let to = next.get(key);
      if (to === undefined) {
        to = Object.freeze(from.concat([interned, slot]));
        if (this.#sharedLists < SHARED_LISTS_MAX) {
          this.#sharedLists++;
          next.set(key, to);
          this.#next.set(to, new Map());
        }
      }
      node.list = to;
    }
    // A node `remove()` dropped still takes an owner's new codes, unrendered and uncounted.
    if (this.#scopes.get(node.key) === node) this.#size++;
  }

  get histogramSettings(): HistogramConfig {
    return this.#histogram;
  }

  handle(node: ScopeNode, i: number): Metric {
    const s = node.slotAt(i);
    if (typeof s !== "number") return s;
    const h = slotHandle(node.owner!, s);
    // Asking twice returns the same handle: kept in the scope's own copy of its list (a metric
    // the owner keeps as an object is the same object anyway).
    if (h.kind === "counter" || h.kind === "gauge") node.list = node.list.with(2 * i + 1, h);
    return h;
  }

  #getOrCreate(
    scope: Scope,
    name: string,
    kind: Metric["kind"],
    make: () => Metric,
  ): Metric {
    for (const part of name.split("/")) {
      if (part.length === 0) throw new RangeError(`bad metric name ${JSON.stringify(name)}`);
    }
    const node = this.node(scope);
    const i = node.indexOf(name);
    if (i >= 0) {
      const found = kindOf(node, node.slotAt(i));
      if (found !== kind) {
        const key = node.key === "" ? name : `${node.key}/${name}`;
        throw new TypeError(`metric ${key} is a ${found}, not a ${kind}`);
      }
      return this.handle(node, i);
    }
    const m = make();
    this.register(node, name, m);
    return m;
  }
}

function covers(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((el, i) => path[i] === el);
}

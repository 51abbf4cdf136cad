/**
 * The standard per-scope request stats (Linkerd's StatsFilter + StatusCodeStatsFilter set), as
 * handles resolved once per scope:
 *
 * `requests`, `success`, `failures`, `failures/<reason>`, `status/<NNN>`, `status/<N>XX`,
 * `status/error` (no response), `request_latency_ms` (histogram), `pending` and `connections`
 * (gauges).
 *
 * Call {@link scopeStats} when a stack level is built (server, path, client, endpoint) and keep the
 * result in the filter's closure. Per request, either `begin()` then `endSuccess()`/`endFailure()`
 * (pending gauge and latency handled, two clock reads), or `record*()` with a latency measured
 * elsewhere. Status and failure-reason counters are created on first use and cached, so
 * recording a request allocates nothing once each code has been seen. Position in a stack is the
 * stats filter's business (style.md §a.2: above timeouts, so timeouts count as failures).
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { type Histogram, SlidingHistogram } from "./histogram.ts";
import {
  type CompactRegistry,
  compactRegistry,
  type Counter,
  type Gauge,
  type MetricsRegistry,
  type ScopeNode,
  slotHandle,
  type SlotOwner,
} from "./registry.ts";
import type { Scope } from "./scope.ts";

/** Request stats for one scope. */
export interface RequestStats {
  /** `requests`: every completed request, success or failure. */
  readonly requests: Counter;
  /** `success`: requests the response classifier called a success. */
  readonly success: Counter;
  /** `failures`: requests classified as failures, responses or errors. */
  readonly failures: Counter;
  /** `request_latency_ms`. */
  readonly latency: Histogram;
  /** `pending`: requests in flight (the stats filter does `incr()`/`decr()`). */
  readonly pending: Gauge;
  /** `connections`: open connections (server and client scopes); registered on first access. */
  readonly connections: Gauge;
  /** `status/<code>`; codes outside 100–599 map to `status/error`. */
  status(code: number): Counter;
  /** `status/<N>XX`; codes outside 100–599 map to `status/error`. */
  statusClass(code: number): Counter;
  /**
   * `failures/<reason>`, e.g. the exception's name; a `/` in a reason is a cause chain
   * (`a/b`: `a` caused by `b`, Finagle's `failures/a/b`), see `telemetry/failure_names.ts`.
   */
  failure(reason: string): Counter;
  /** `pending` + 1, for a caller that times the request itself (the stats filter). */
  enter(): void;
  /** `pending` − 1 (see {@linkcode RequestStats.enter}). */
  leave(): void;
  /** Marks a request started: `pending` + 1; returns the start time (`clock.mono()`) for `end*()`. */
  begin(): number;
  /**
   * Ends a request `begin()` started, classified as success: `pending` − 1, then as
   * `recordSuccess()`. Returns the latency in ms.
   */
  endSuccess(start: number, status: number): number;
  /**
   * Ends a request `begin()` started, classified as failure: `pending` − 1, then as
   * `recordFailure()`. Returns the latency in ms.
   */
  endFailure(start: number, status: number, reason?: string): number;
  /**
   * Records a request classified as success: requests, success, status, latency. `at` is the
   * monotonic time the request ended, when the caller has it (saves a clock read).
   */
  recordSuccess(latencyMs: number, status: number, at?: number): void;
  /**
   * Records a request classified as failure: requests, failures, `failures/<reason>` when a
   * reason is given, status (`0` = no response → `status/error`), latency.
   */
  recordFailure(latencyMs: number, status: number, reason?: string, at?: number): void;
}

/**
 * Resolves the standard request-stat handles for a scope.
 *
 * @param registry The registry to register in.
 * @param scope e.g. `serviceScope("outgoing", "/svc/world")`.
 * @returns The handles.
 * @throws {TypeError} If one of the standard names is already registered as another kind.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { scopeStats } from "./request_stats.ts";
 * import { clientScope } from "./scope.ts";
 * const stats = scopeStats(createRegistry(), clientScope("outgoing", "/#/io.l5d.fs/world"));
 * const start = stats.begin();
 * // … call the next service …
 * stats.endSuccess(start, 200);
 * // or, with a latency measured elsewhere:
 * stats.recordFailure(12.5, 503, "ConnectFailed");
 * ```
 */
export function scopeStats(registry: MetricsRegistry, scope: Scope): RequestStats {
  const compact = compactRegistry(registry);
  if (compact !== undefined) {
    const node = compact.node(scope);
    if (node.owner instanceof CompactStats) return node.owner;
    if (node.owner === undefined && STANDARD.every((n) => node.indexOf(n) < 0)) {
      return new CompactStats(compact, node);
    }
  }
  return new ScopeStats(registry, scope);
}

/** Gauges computed when rendered: the value of gauge `i` (see {@link computedGauges}). */
export interface GaugeSource {
  gaugeValue(i: number): number;
}

/**
 * Registers `names[i]` on `scope` as a gauge whose value is `source.gaugeValue(i)`, read when
 * rendered or asked for. Where the scope's stats keep their counts as fields (the native
 * registry, after {@link scopeStats}), the gauges are more of their slots: no handle or closure
 * per gauge (issue 6: an endpoint's gauges were ~0.3 KiB of handles and closures, ×10 000 with
 * 1000 services × 10 endpoints). Elsewhere, one `registry.gauge(scope, name, fn)` each. Calling
 * it again on a scope with the same names (a client a reload made anew) moves them to the new
 * source.
 *
 * @param registry The registry.
 * @param scope The scope, e.g. an endpoint's.
 * @param source What the gauges read.
 * @param names The gauges' names, by `source` index.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { computedGauges, scopeStats } from "./request_stats.ts";
 * const registry = createRegistry();
 * const scope = ["rt", "outgoing", "client", "#/io.l5d.fs/web", "endpoint", "10.0.0.1:80"];
 * scopeStats(registry, scope);
 * let inFlight = 0;
 * computedGauges(registry, scope, { gaugeValue: () => inFlight }, ["outstanding"]);
 * ```
 */
export function computedGauges(
  registry: MetricsRegistry,
  scope: Scope,
  source: GaugeSource,
  names: readonly string[],
): void {
  const owner = compactRegistry(registry)?.node(scope).owner;
  if (owner instanceof CompactStats && owner.computed(source, names)) return;
  for (let i = 0; i < names.length; i++) {
    registry.gauge(scope, names[i]!, () => source.gaugeValue(i));
  }
}

/** The metrics every scope's stats register at once, in this order. */
const STANDARD = ["requests", "success", "failures", "request_latency_ms", "pending"] as const;

const EMPTY: readonly (number | Counter)[] = Object.freeze([]);
const NO_CODES: readonly number[] = Object.freeze([]);

/**
 * Slot numbers of {@link CompactStats}; a status code's slot is `CODE0` + its pair's index, a
 * computed gauge's `COMPUTED0` + its index in its source.
 */
const REQUESTS = 0, SUCCESS = 1, FAILURES = 2, PENDING = 3, ERROR = 4, CODE0 = 5;
const COMPUTED0 = 1 << 16;
/**
 * `request_latency_ms`, kept as the histogram object itself: a slot number, not the histogram,
 * in the scope's list, so that scopes with the same metrics share one list (registry.ts).
 */
const LATENCY = COMPUTED0 - 1;
/** `status/error`'s key among the status keys (codes are 100–599, classes −1 to −5). */
const ERROR_KEY = 0;

/** What a scope needs rarely: failure reasons, and status counters registered by others. */
interface Rare {
  /** `failures/<reason>` handles. */
  reasons?: Map<string, Counter>;
  /** `status/…` counters someone registered on the scope before these stats saw the code. */
  foreign?: Map<number, Counter>;
  connections?: Gauge;
  /**
   * Where the computed gauges' source has each of them, when not at the same index (a later
   * source with other names; -1: not at all, read as 0).
   */
  computedAt?: readonly number[] | undefined;
}

/**
 * Request stats of a scope of the native registry, with their counts as plain fields of this one
 * object: the scope's node refers to it ({@link SlotOwner}) and renders the counts from here, so
 * a scope costs no handle object per count (issue 6: five such scopes per bound service). Handles
 * (`requests`, `status(200)`, …) are made when asked for, and kept by the registry, so asking
 * twice, here or through `registry.counter()`, gives the same one. Recording is field updates.
 * The stats are their own `request_latency_ms` histogram (a {@link SlidingHistogram} with the
 * registry's settings): a histogram object per scope was ~0.12 KiB more and one more object to
 * reach per request (issue 6: 13 000 scopes with 1000 services × 10 endpoints).
 */
class CompactStats extends SlidingHistogram implements RequestStats, SlotOwner {
  // What a request touches comes first: fields are laid out in this order (issue 6).
  #pending = 0;
  #requests = 0;
  #success = 0;
  #failures = 0;
  /**
   * The status counts, as `(key, count)` pairs in first-seen order: `status/<code>` under the key
   * `code`, `status/<N>XX` under `-N` (slot `CODE0 + p` for pair `p`). The first two pairs are
   * fields of this object (key 0 while unused): a scope that sees one code counts it and its
   * class here, in the object the request's other counts are in. With 1000 services, a list
   * of them was two cache misses per scope and request (the list, then its elements: issue 6,
   * `perf annotate` of `#recordStatus`).
   */
  #k0 = 0;
  #n0 = 0;
  #k1 = 0;
  #n1 = 0;
  /** `status/error`; -1 until its first record registers it. */
  #error = -1;
  readonly #registry: CompactRegistry;
  readonly #node: ScopeNode;
  /**
   * The pairs after the first two, `[key, count, key, count, …]` (pair `p` at `2 * (p - 2)`). A
   * scope sees a handful of codes, so a scan of this short list is as fast as indexing a table,
   * and far smaller. The list is replaced by one a pair longer when a code is first seen (rare):
   * exact length.
   */
  #codes: readonly number[] = NO_CODES;
  /** `pending`'s handle, kept once made: the stats filter asks for it on every request. */
  #pendingHandle: Gauge | undefined = undefined;
  #rare: Rare | undefined = undefined;
  /**
   * The source of the computed gauges (see {@link computedGauges}), and their names: slot
   * `COMPUTED0 + i` is the one named `#computedNames[i]`. Fields, not in `#rare`: every endpoint
   * and client scope has them (issue 6: a `#rare` object each, ~56 B × 11 000 with 1000 × 10).
   */
  #computed: GaugeSource | undefined = undefined;
  #computedNames: readonly string[] | undefined = undefined;

  constructor(registry: CompactRegistry, node: ScopeNode) {
    super(registry.histogramSettings, true);
    this.#registry = registry;
    this.#node = node;
    node.owner = this;
    registry.register(node, "requests", REQUESTS);
    registry.register(node, "success", SUCCESS);
    registry.register(node, "failures", FAILURES);
    registry.register(node, "request_latency_ms", LATENCY);
    registry.register(node, "pending", PENDING);
  }

  /** `request_latency_ms`: these stats are their own latency histogram (see the class doc). */
  get latency(): Histogram {
    return this;
  }

  get requests(): Counter {
    return this.#handle("requests", REQUESTS) as Counter;
  }

  get success(): Counter {
    return this.#handle("success", SUCCESS) as Counter;
  }

  get failures(): Counter {
    return this.#handle("failures", FAILURES) as Counter;
  }

  get pending(): Gauge {
    return this.#pendingHandle ??= this.#handle("pending", PENDING) as Gauge;
  }

  get connections(): Gauge {
    const rare = this.#rare ??= {};
    return rare.connections ??= this.#registry.gauge(this.#node.path, "connections");
  }

  /**
   * The registry's handle of this scope's metric `name`, kept in slot `slot` (made on first ask,
   * then kept by the registry).
   */
  #handle(name: string, slot: number): Counter | Gauge {
    const i = this.#node.indexOf(name);
    if (i >= 0) return this.#registry.handle(this.#node, i) as Counter | Gauge;
    // Removed from the registry (`remove()`): a handle that keeps counting, unrendered.
    return slotHandle(this, slot) as Counter | Gauge;
  }

  slotKind(i: number): "counter" | "gauge" | "histogram" {
    if (i === LATENCY) return "histogram";
    return i === PENDING || i >= COMPUTED0 ? "gauge" : "counter";
  }

  slotMetric(i: number): Histogram | undefined {
    return i === LATENCY ? this.latency : undefined;
  }

  #computedValue(k: number): number {
    const source = this.#computed;
    if (source === undefined) return 0;
    const moved = this.#rare?.computedAt;
    const at = moved === undefined ? k : moved[k] ?? -1;
    return at < 0 ? 0 : source.gaugeValue(at);
  }

  /**
   * Takes `names` as computed gauges read from `source` (see {@link computedGauges}); false when
   * one of them is already a metric of the scope other than a computed gauge.
   */
  computed(source: GaugeSource, names: readonly string[]): boolean {
    const had = this.#computedNames ?? [];
    if (names.some((n) => !had.includes(n) && this.#node.indexOf(n) >= 0)) return false;
    this.#computed = source;
    if (had.length === 0) {
      for (let i = 0; i < names.length; i++) {
        this.#registry.register(this.#node, names[i]!, COMPUTED0 + i);
      }
      this.#computedNames = names; // the caller's list, not a copy
      if (this.#rare !== undefined) this.#rare.computedAt = undefined;
    } else if (had.length === names.length && had.every((n, i) => n === names[i])) {
      if (this.#rare !== undefined) this.#rare.computedAt = undefined; // the same, a new source
    } else {
      // A later source with other names (a client a reload made anew, with another balancer):
      // the names both have keep their slots, new ones get more, and each slot reads its name's
      // index in the new source.
      const all = [...had];
      for (const n of names) {
        if (all.includes(n)) continue;
        this.#registry.register(this.#node, n, COMPUTED0 + all.length);
        all.push(n);
      }
      this.#computedNames = all;
      (this.#rare ??= {}).computedAt = all.map((n) => names.indexOf(n));
    }
    return true;
  }

  slotValue(i: number): number {
    switch (i) {
      case REQUESTS:
        return this.#requests;
      case SUCCESS:
        return this.#success;
      case FAILURES:
        return this.#failures;
      case PENDING:
        return this.#pending;
      case ERROR:
        return Math.max(0, this.#error);
      default:
        if (i >= COMPUTED0) return this.#computedValue(i - COMPUTED0);
        if (i === LATENCY) return 0; // not a count (its handle is the histogram)
        return this.#countAt(i - CODE0);
    }
  }

  slotAdd(i: number, n: number): void {
    this.slotSet(i, this.slotValue(i) + n);
  }

  slotSet(i: number, v: number): void {
    switch (i) {
      case REQUESTS:
        this.#requests = v;
        break;
      case SUCCESS:
        this.#success = v;
        break;
      case FAILURES:
        this.#failures = v;
        break;
      case PENDING:
        this.#pending = v;
        break;
      case ERROR:
        this.#error = v;
        break;
      default:
        // A computed gauge reads its source: setting it does nothing, as for a gauge made with
        // a function. The latency slot is not a count.
        if (i >= LATENCY) return;
        this.#setAt(i - CODE0, v);
    }
  }

  status(code: number): Counter {
    if (!(code >= 100 && code < 600)) return this.#errorHandle();
    const i = code | 0;
    return this.#codeHandle(i, `status/${i}`);
  }

  statusClass(code: number): Counter {
    if (!(code >= 100 && code < 600)) return this.#errorHandle();
    const c = (code / 100) | 0;
    return this.#codeHandle(-c, `status/${c}XX`);
  }

  #errorHandle(): Counter {
    const foreign = this.#rare?.foreign?.get(ERROR_KEY);
    if (foreign !== undefined) return foreign;
    if (this.#error < 0) {
      if (this.#adopt(ERROR_KEY, "status/error")) return this.#errorHandle();
      this.#registry.register(this.#node, "status/error", ERROR);
      this.#error = 0;
    }
    return this.#handle("status/error", ERROR) as Counter;
  }

  #codeHandle(key: number, name: string): Counter {
    const foreign = this.#rare?.foreign?.get(key);
    if (foreign !== undefined) return foreign;
    let p = this.#find(key);
    if (p < 0) {
      if (this.#adopt(key, name)) return this.#codeHandle(key, name);
      p = this.#add(key, name);
    }
    return this.#handle(name, CODE0 + p) as Counter;
  }

  /** The pair of `key`, or -1. */
  #find(key: number): number {
    if (this.#k0 === key) return 0;
    if (this.#k1 === key) return 1;
    const codes = this.#codes;
    for (let k = 0; k < codes.length; k += 2) {
      if (codes[k] === key) return 2 + k / 2;
    }
    return -1;
  }

  /** The count of pair `p`. */
  #countAt(p: number): number {
    if (p === 0) return this.#n0;
    if (p === 1) return this.#n1;
    return this.#codes[2 * (p - 2) + 1] ?? 0;
  }

  /** Sets the count of pair `p`. */
  #setAt(p: number, v: number): void {
    if (p === 0) this.#n0 = v;
    else if (p === 1) this.#n1 = v;
    else (this.#codes as number[])[2 * (p - 2) + 1] = v;
  }

  /** A new code: a new pair (a field while one is free), registered as a slot. Returns it. */
  #add(key: number, name: string): number {
    let p: number;
    if (this.#k0 === 0) {
      this.#k0 = key;
      p = 0;
    } else if (this.#k1 === 0) {
      this.#k1 = key;
      p = 1;
    } else {
      p = 2 + this.#codes.length / 2;
      this.#codes = this.#codes.concat(key, 0); // exact length; a spread over-allocates too
    }
    this.#registry.register(this.#node, name, CODE0 + p);
    return p;
  }

  /**
   * When someone registered `name` on this scope before these stats saw the code, its counter is
   * used from then on (so both keep counting the same metric). Returns whether it did.
   */
  #adopt(key: number, name: string): boolean {
    if (this.#node.indexOf(name) < 0) return false;
    const rare = this.#rare ??= {};
    (rare.foreign ??= new Map()).set(key, this.#registry.counter(this.#node.path, name));
    return true;
  }

  failure(reason: string): Counter {
    const rare = this.#rare ??= {};
    const reasons = rare.reasons ??= new Map();
    let c = reasons.get(reason);
    if (c === undefined) {
      const part = reason || "unknown";
      c = this.#registry.counter(this.#node.path, `failures/${part}`);
      reasons.set(reason, c);
    }
    return c;
  }

  enter(): void {
    this.#pending++;
  }

  leave(): void {
    this.#pending--;
  }

  begin(): number {
    this.#pending++;
    return this.clock.mono();
  }

  endSuccess(start: number, status: number): number {
    const now = this.clock.mono();
    const ms = now - start;
    this.#pending--;
    this.#requests++;
    this.#success++;
    this.#recordStatus(status);
    this.add(ms, now);
    return ms;
  }

  endFailure(start: number, status: number, reason?: string): number {
    const now = this.clock.mono();
    const ms = now - start;
    this.#pending--;
    this.#requests++;
    this.#failures++;
    if (reason !== undefined) this.failure(reason).incr();
    this.#recordStatus(status);
    this.add(ms, now);
    return ms;
  }

  recordSuccess(latencyMs: number, status: number, at?: number): void {
    this.#requests++;
    this.#success++;
    this.#recordStatus(status);
    this.add(latencyMs, at);
  }

  recordFailure(latencyMs: number, status: number, reason?: string, at?: number): void {
    this.#requests++;
    this.#failures++;
    if (reason !== undefined) this.failure(reason).incr();
    this.#recordStatus(status);
    this.add(latencyMs, at);
  }

  #recordStatus(code: number): void {
    if (code >= 100 && code < 600) {
      this.#count(code | 0);
      this.#count(-((code / 100) | 0));
    } else if (this.#error >= 0) {
      this.#error++;
    } else {
      this.#errorHandle().incr();
    }
  }

  #count(key: number): void {
    if (this.#k0 === key) {
      this.#n0++;
      return;
    }
    if (this.#k1 === key) {
      this.#n1++;
      return;
    }
    const codes = this.#codes as number[];
    for (let k = 0; k < codes.length; k += 2) {
      if (codes[k] === key) {
        (codes[k + 1] as number)++;
        return;
      }
    }
    this.#countNew(key);
  }

  /** The first record of a code (or one counted by a foreign counter): rare. */
  #countNew(key: number): void {
    const foreign = this.#rare?.foreign?.get(key);
    if (foreign !== undefined) return foreign.incr();
    const name = key > 0 ? `status/${key}` : `status/${-key}XX`;
    if (this.#adopt(key, name)) return this.#rare!.foreign!.get(key)!.incr();
    const p = this.#add(key, name); // may replace `#codes`: index it after
    this.#setAt(p, this.#countAt(p) + 1);
  }
}

class ScopeStats implements RequestStats {
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
  readonly pending: Gauge;
  readonly #registry: MetricsRegistry;
  readonly #clock: Clock;
  readonly #scope: Scope;
  /**
   * `status/<code>` handles as `[code, counter, code, counter, …]`, in first-seen order, and the
   * `status/<N>XX` handles in the same list under the key `-N`. A scope sees a handful of codes,
   * so a scan of this short list is as fast as indexing a table, and far smaller: a 600-slot
   * table cost ~4.7 KiB per scope, with ~12 scopes per service (service, client, one per
   * endpoint), which was most of what 1000 services cost (issue 6). The list is replaced by one
   * a pair longer when a code is first seen (rare), so it never carries spare capacity: `push`
   * grows a 2-element array to 17 slots.
   */
  #codes: readonly (number | Counter)[] = EMPTY;
  /** `failures/<reason>` handles; made on the first failure with a reason. */
  #reasons: Map<string, Counter> | undefined = undefined;
  #error: Counter | undefined = undefined;
  #connections: Gauge | undefined = undefined;

  constructor(registry: MetricsRegistry, scope: Scope) {
    this.#registry = registry;
    this.#clock = registry.clock;
    this.#scope = scope;
    this.requests = registry.counter(scope, "requests");
    this.success = registry.counter(scope, "success");
    this.failures = registry.counter(scope, "failures");
    this.latency = registry.histogram(scope, "request_latency_ms");
    this.pending = registry.gauge(scope, "pending");
  }

  get connections(): Gauge {
    return this.#connections ??= this.#registry.gauge(this.#scope, "connections");
  }

  status(code: number): Counter {
    if (!(code >= 100 && code < 600)) return this.#errorCounter();
    const i = code | 0;
    return this.#find(i) ?? this.#add(i, `status/${i}`);
  }

  statusClass(code: number): Counter {
    if (!(code >= 100 && code < 600)) return this.#errorCounter();
    const c = (code / 100) | 0;
    return this.#find(-c) ?? this.#add(-c, `status/${c}XX`);
  }

  #find(key: number): Counter | undefined {
    const codes = this.#codes;
    for (let k = 0; k < codes.length; k += 2) {
      if (codes[k] === key) return codes[k + 1] as Counter;
    }
    return undefined;
  }

  #add(key: number, name: string): Counter {
    const c = this.#registry.counter(this.#scope, name);
    this.#codes = this.#codes.concat([key, c]); // exact length; a spread over-allocates too
    return c;
  }

  failure(reason: string): Counter {
    const reasons = this.#reasons ??= new Map();
    let c = reasons.get(reason);
    if (c === undefined) {
      const part = reason || "unknown";
      c = this.#registry.counter(this.#scope, `failures/${part}`);
      reasons.set(reason, c);
    }
    return c;
  }

  enter(): void {
    this.pending.incr();
  }

  leave(): void {
    this.pending.decr();
  }

  begin(): number {
    this.pending.incr();
    return this.#clock.mono();
  }

  endSuccess(start: number, status: number): number {
    const now = this.#clock.mono();
    const ms = now - start;
    this.pending.decr();
    this.requests.incr();
    this.success.incr();
    this.#recordStatus(status);
    this.latency.add(ms, now);
    return ms;
  }

  endFailure(start: number, status: number, reason?: string): number {
    const now = this.#clock.mono();
    const ms = now - start;
    this.pending.decr();
    this.requests.incr();
    this.failures.incr();
    if (reason !== undefined) this.failure(reason).incr();
    this.#recordStatus(status);
    this.latency.add(ms, now);
    return ms;
  }

  recordSuccess(latencyMs: number, status: number, at?: number): void {
    this.requests.incr();
    this.success.incr();
    this.#recordStatus(status);
    this.latency.add(latencyMs, at);
  }

  recordFailure(latencyMs: number, status: number, reason?: string, at?: number): void {
    this.requests.incr();
    this.failures.incr();
    if (reason !== undefined) this.failure(reason).incr();
    this.#recordStatus(status);
    this.latency.add(latencyMs, at);
  }

  #recordStatus(code: number): void {
    if (code >= 100 && code < 600) {
      this.status(code).incr();
      this.statusClass(code).incr();
    } else {
      this.#errorCounter().incr();
    }
  }

  #errorCounter(): Counter {
    return this.#error ??= this.#registry.counter(this.#scope, "status/error");
  }
}

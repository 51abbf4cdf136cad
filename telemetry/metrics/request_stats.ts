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
import type { Histogram } from "./histogram.ts";
import type { Counter, Gauge, MetricsRegistry } from "./registry.ts";
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
  /** `failures/<reason>`, e.g. the error's name (`ConnectFailed`); `/` in a reason becomes `_`. */
  failure(reason: string): Counter;
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
  return new ScopeStats(registry, scope);
}

const EMPTY: readonly (number | Counter)[] = Object.freeze([]);

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
      const part = reason.replaceAll("/", "_") || "unknown";
      c = this.#registry.counter(this.#scope, `failures/${part}`);
      reasons.set(reason, c);
    }
    return c;
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

/**
 * Metrics from several isolates, merged: each worker exports its registry as plain data
 * ({@link snapshotRegistry}, structured-cloneable) and the admin side sums them
 * ({@link mergeSnapshots}, {@link createMergedRegistry}).
 *
 * Accuracy: counters and gauges are summed exactly (except the endpoint-set gauges, the same
 * endpoints in every worker: `loadbalancer/{size,busy,closed,meanweight,panic_mode}` and
 * `failure_accrual/dead` take their largest value and `available` is what the others leave,
 * see {@link mergeSnapshots}). Histogram lifetime counts, sums and `le`
 * buckets are summed exactly. The sliding windows are merged bin by bin: every worker's window is
 * one DDSketch with the same relative accuracy, and DDSketch merges of equal-accuracy sketches are
 * exact, so the merged percentiles carry the same relative-error bound (1% by default) as one
 * sketch that had seen every sample; min, max, count and sum of the window are exact. The windows
 * themselves are each worker's own ring, whose slice boundaries may differ by up to one slice
 * (10 s by default) between workers.
 *
 * @module
 */
import { LogCollapsingLowestDenseDDSketch } from "@datadog/sketches-js";
import {
  BIN_LIMIT,
  type CumulativeBuckets,
  type Histogram,
  type HistogramSnapshot,
  type HistogramState,
  histogramState,
  sketchSnapshot,
  type SketchState,
} from "./histogram.ts";
import type { Counter, Gauge, MetricEntry, MetricsRegistry } from "./registry.ts";
import type { Scope } from "./scope.ts";

/** One metric as plain data. */
export type SnapshotEntry =
  | {
    readonly key: string;
    readonly path: readonly string[];
    readonly kind: "counter" | "gauge";
    readonly value: number;
  }
  | {
    readonly key: string;
    readonly path: readonly string[];
    readonly kind: "histogram";
    readonly state: HistogramState;
  };

/** A registry as plain data, in registration order. */
export type RegistrySnapshot = readonly SnapshotEntry[];

/**
 * Exports every metric of a registry as plain data.
 *
 * @param registry The registry.
 * @returns Its snapshot (histograms that cannot export a state are left out).
 */
export function snapshotRegistry(registry: MetricsRegistry): RegistrySnapshot {
  const out: SnapshotEntry[] = [];
  for (const e of registry.entries()) {
    const m = e.metric;
    if (m.kind === "histogram") {
      const state = histogramState(m);
      if (state) out.push({ key: e.key, path: e.path, kind: "histogram", state });
    } else {
      out.push({ key: e.key, path: e.path, kind: m.kind, value: m.value });
    }
  }
  return out;
}

function sketchOf(s: SketchState): LogCollapsingLowestDenseDDSketch {
  const sk = new LogCollapsingLowestDenseDDSketch({
    relativeAccuracy: s.relativeAccuracy,
    binLimit: BIN_LIMIT,
  });
  s.bins.forEach((c, i) => {
    if (c > 0) sk.store.add(s.offset + i, c);
  });
  sk.zeroCount = s.zeroCount;
  sk.count = s.count;
  sk.sum = s.sum;
  sk.min = s.min;
  sk.max = s.max;
  return sk;
}

/** A read-only histogram over merged states. */
class MergedHistogram implements Histogram {
  readonly kind = "histogram";
  readonly totalCount: number;
  readonly totalSum: number;
  readonly #snapshot: HistogramSnapshot;
  readonly #buckets: CumulativeBuckets;
  readonly #state: HistogramState;

  constructor(states: readonly HistogramState[]) {
    const first = states[0]!;
    let m: LogCollapsingLowestDenseDDSketch | undefined;
    let totalCount = 0;
    let totalSum = 0;
    const counts = new Array<number>(first.bucketCounts.length).fill(0);
    for (const s of states) {
      totalCount += s.totalCount;
      totalSum += s.totalSum;
      s.bucketCounts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
      if (s.window.count === 0) continue;
      const sk = sketchOf(s.window);
      if (m === undefined) m = sketchOf({ ...s.window, bins: [], zeroCount: 0, count: 0, sum: 0 });
      m.merge(sk);
    }
    this.totalCount = totalCount;
    this.totalSum = totalSum;
    let acc = 0;
    this.#buckets = {
      le: first.le,
      counts: counts.map((c) => (acc += c)),
      count: totalCount,
      sum: totalSum,
    };
    this.#snapshot = sketchSnapshot(m);
    const w = m;
    const st = w?.store;
    this.#state = {
      window: w && st && st.count > 0
        ? {
          relativeAccuracy: first.window.relativeAccuracy,
          offset: st.minKey,
          bins: st.bins.slice(st.minKey - st.offset, st.maxKey - st.offset + 1),
          zeroCount: w.zeroCount,
          count: w.count,
          sum: w.sum,
          min: w.min,
          max: w.max,
        }
        : w
        ? {
          ...first.window,
          bins: [],
          offset: 0,
          zeroCount: w.zeroCount,
          count: w.count,
          sum: w.sum,
          min: w.min,
          max: w.max,
        }
        : {
          ...first.window,
          bins: [],
          offset: 0,
          zeroCount: 0,
          count: 0,
          sum: 0,
          min: Infinity,
          max: -Infinity,
        },
      totalCount,
      totalSum,
      le: first.le,
      bucketCounts: counts,
    };
  }

  add(): void {
    // read-only: the samples live in the workers
  }
  snapshot(): HistogramSnapshot {
    return this.#snapshot;
  }
  buckets(): CumulativeBuckets {
    return this.#buckets;
  }
  /** The merged state (so a merged histogram can be merged again). */
  state(): HistogramState {
    return this.#state;
  }
}

/**
 * Merges histogram states into one read-only histogram (see the module doc for accuracy).
 *
 * @param states At least one state; all with the same `le` bounds and relative accuracy.
 * @returns A histogram whose `add()` does nothing.
 * @throws {RangeError} If `states` is empty.
 */
export function mergeHistogramStates(states: readonly HistogramState[]): Histogram {
  if (states.length === 0) throw new RangeError("nothing to merge");
  return new MergedHistogram(states);
}

class FixedCounter implements Counter {
  readonly kind = "counter";
  constructor(readonly value: number) {}
  incr(): void {}
}

class FixedGauge implements Gauge {
  readonly kind = "gauge";
  constructor(readonly value: number) {}
  set(): void {}
  incr(): void {}
  decr(): void {}
}

/**
 * Gauges that describe the shared endpoint set (or a per-worker state flag), not per-worker load:
 * merged by maximum (`available` is then derived, see {@link reconcileEndpointSets}).
 */
const SHARED_GAUGE =
  /\/loadbalancer\/(size|available|busy|closed|meanweight|panic_mode)$|\/failure_accrual\/dead$/;
/** Counters every worker keeps for the same namer updates: merged by maximum. */
const SHARED_COUNTER = /\/loadbalancer\/(adds|removes)$/;

/**
 * Merges registry snapshots: counters and gauges with the same key are summed (the endpoint-set
 * gauges `loadbalancer/{size,busy,closed,meanweight,panic_mode}`, `failure_accrual/dead` and
 * counters `loadbalancer/{adds,removes}` take the largest), histograms merged. A client's
 * endpoint-set gauges are then reconciled into the pessimistic union of the workers' views: an
 * endpoint dead in any worker is dead, and `available` = `size` − `busy` − `closed`.
 *
 * @param snaps One snapshot per worker.
 * @returns Read-only entries, in first-seen order.
 */
export function mergeSnapshots(snaps: readonly RegistrySnapshot[]): MetricEntry[] {
  const groups = new Map<string, SnapshotEntry[]>();
  for (const snap of snaps) {
    for (const e of snap) {
      const g = groups.get(e.key);
      if (g === undefined) groups.set(e.key, [e]);
      else if (g[0]!.kind === e.kind) g.push(e);
    }
  }
  const out: MetricEntry[] = [];
  for (const [key, g] of groups) {
    const first = g[0]!;
    if (first.kind === "histogram") {
      const states = g.map((e) => (e as { state: HistogramState }).state);
      out.push({ key, path: first.path, metric: mergeHistogramStates(states) });
    } else {
      // Every worker balances over the same endpoints: how many there are is one number, not
      // one per worker (the largest, as a worker may be a step behind a namer update).
      const same = first.kind === "gauge"
        ? SHARED_GAUGE.test(key)
        : first.kind === "counter" && SHARED_COUNTER.test(key);
      let v = 0;
      for (const e of g) {
        const x = (e as { value: number }).value;
        v = same ? Math.max(v, x) : v + x;
      }
      const metric = first.kind === "counter" ? new FixedCounter(v) : new FixedGauge(v);
      out.push({ key, path: first.path, metric });
    }
  }
  return reconcileEndpointSets(out);
}

/**
 * Makes a client's merged endpoint-set gauges tell one story, the pessimistic union of the
 * workers' views: an endpoint is dead (`endpoint/…/failure_accrual/dead` 1) when any worker has
 * marked it dead; `busy` is the larger of the busiest worker's count and the endpoints dead
 * somewhere; `closed` and `size` the largest; `available` = `size` − `busy` − `closed` (≥ 0), so
 * the three add up to `size` as in one worker; `panic_mode` is 1 when any worker is in panic.
 *
 * @param entries Merged entries (edited in place).
 * @returns The same entries.
 */
function reconcileEndpointSets(entries: MetricEntry[]): MetricEntry[] {
  const byKey = new Map<string, number>();
  entries.forEach((e, i) => byKey.set(e.key, i));
  const value = (key: string) => {
    const i = byKey.get(key);
    return i === undefined ? undefined : (entries[i]!.metric as Gauge).value;
  };
  const dead = new Map<string, number>();
  for (const e of entries) {
    const m = /^(.*)\/endpoint\/[^/]+\/failure_accrual\/dead$/.exec(e.key);
    if (m && e.metric.kind === "gauge") dead.set(m[1]!, (dead.get(m[1]!) ?? 0) + e.metric.value);
  }
  for (const e of entries) {
    if (!e.key.endsWith("/loadbalancer/available") || e.metric.kind !== "gauge") continue;
    const client = e.key.slice(0, -"/loadbalancer/available".length);
    const size = value(`${client}/loadbalancer/size`);
    if (size === undefined) continue;
    const busyKey = `${client}/loadbalancer/busy`;
    const busy = Math.min(size, Math.max(value(busyKey) ?? 0, dead.get(client) ?? 0));
    const i = byKey.get(busyKey);
    if (i !== undefined) entries[i] = { ...entries[i]!, metric: new FixedGauge(busy) };
    const closed = value(`${client}/loadbalancer/closed`) ?? 0;
    const available = Math.max(0, size - busy - closed);
    entries[byKey.get(e.key)!] = { ...e, metric: new FixedGauge(available) };
  }
  return entries;
}

/** A registry that renders merged worker metrics plus its own process-level ones. */
export interface MergedRegistry extends MetricsRegistry {
  /** Replaces the worker metrics with the merge of these snapshots. */
  update(snaps: readonly RegistrySnapshot[]): void;
}

/** Options for {@link createMergedRegistry}. */
export interface MergedRegistryOptions {
  /**
   * Key prefixes whose metrics are taken from the local registry even when workers have them too
   * (process-wide values that summing would multiply, and the config reload counters the admin
   * process owns). Default `jvm/`, `process/`, `switchyard/config_`.
   */
  readonly localPrefixes?: readonly string[];
}

/**
 * Wraps a local registry: handles are created in it (the admin process's own metrics), and
 * `entries()` yields the merged worker metrics, except under `localPrefixes` where the local
 * ones win, then local metrics the workers do not have.
 *
 * @param local The admin process's own registry.
 * @param options Which prefixes stay local.
 * @returns The merged registry; call `update()` before rendering.
 */
export function createMergedRegistry(
  local: MetricsRegistry,
  options: MergedRegistryOptions = {},
): MergedRegistry {
  const localPrefixes = options.localPrefixes ?? ["jvm/", "process/", "switchyard/config_"];
  const isLocal = (key: string) => localPrefixes.some((p) => key.startsWith(p));
  let merged: MetricEntry[] = [];
  return {
    clock: local.clock,
    get size() {
      return [...this.entries()].length;
    },
    counter: (scope: Scope, name: string) => local.counter(scope, name),
    gauge: (scope: Scope, name: string, fn?: () => number) => local.gauge(scope, name, fn),
    histogram: (scope: Scope, name: string) => local.histogram(scope, name),
    remove: (scope: Scope) => local.remove(scope),
    update(snaps) {
      merged = mergeSnapshots(snaps);
    },
    *entries() {
      const seen = new Set<string>();
      const localByKey = new Map<string, MetricEntry>();
      for (const e of local.entries()) localByKey.set(e.key, e);
      for (const e of merged) {
        const l = isLocal(e.key) ? localByKey.get(e.key) : undefined;
        seen.add(e.key);
        yield l ?? e;
      }
      for (const e of localByKey.values()) if (!seen.has(e.key)) yield e;
    },
  };
}

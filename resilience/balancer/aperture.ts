/**
 * `aperture` (simplified Finagle aperture): balance over a *subset* of the nodes, sized by
 * load, so a small client talks to few endpoints of a big pool (fewer connections, better
 * reuse). Nodes are ordered by a hash of their id with a per-balancer random seed (so different
 * clients use different subsets, and the order is stable across updates); picks are p2c
 * (least loaded, weighted) among the first `n`. On each pick the total load of the aperture is
 * smoothed (an {@link Ema} over `smoothWindowMs`) and divided by `n`: at or above `highLoad`
 * the aperture widens by one, at or below `lowLoad` it narrows by one, never below
 * `minAperture` nor above the node count.
 *
 * Simplifications against Finagle's: the load is sampled at pick time (not on every request
 * start and end); there is no deterministic (ring-based) subsetting across client instances;
 * a busy node inside the aperture is avoided by the p2c pick while another node there is open;
 * when no node in it is open, the aperture is taken from the nodes ordered open first, then
 * busy, then closed (each in hash order), as Finagle's `RandomAperture.statusOrder` does when
 * the balancer rebuilds after `maxEffort` failed picks: with `minAperture` 1 a dead endpoint's
 * traffic moves to the next one in the order, and back once it is open again.
 * Defaults are Linkerd's: `smoothWindowMs` 5000, `lowLoad` 0.5, `highLoad` 2.0,
 * `minAperture` 1.
 *
 * @example
 * ```ts
 * import { aperture } from "./aperture.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const dist = aperture({ minAperture: 2, clock: systemClock });
 * ```
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import type { Node } from "../../router/core/service.ts";
import { Ema } from "../ema.ts";
import { better, type Distributor } from "./distributor.ts";
import { WeightedSampler } from "./_weighted.ts";

/** The Linkerd kind. */
export const kind = "aperture";

/** Options of {@link aperture}. */
export interface ApertureOptions {
  /** Load smoothing window, ms (default 5000). */
  readonly smoothWindowMs?: number | undefined;
  /** Narrow at or below this load per node (default 0.5). */
  readonly lowLoad?: number | undefined;
  /** Widen at or above this load per node (default 2.0). */
  readonly highLoad?: number | undefined;
  /** Smallest aperture (default 1). */
  readonly minAperture?: number | undefined;
  /** Time and randomness. */
  readonly clock: Clock;
}

/** An aperture distributor, exposing its current size. */
export interface ApertureDistributor extends Distributor {
  /** Nodes currently in the aperture. */
  readonly aperture: number;
}

/**
 * An aperture distributor.
 *
 * @param opts load band, minimum and clock
 * @returns the distributor
 *
 * @example
 * ```ts
 * import { aperture } from "./aperture.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const dist = aperture({ lowLoad: 0.5, highLoad: 2, minAperture: 1, clock: systemClock });
 * ```
 */
export function aperture(opts: ApertureOptions): ApertureDistributor {
  const { clock } = opts;
  const low = opts.lowLoad ?? 0.5;
  const high = opts.highLoad ?? 2.0;
  const min = Math.max(1, opts.minAperture ?? 1);
  const ema = new Ema(opts.smoothWindowMs ?? 5000);
  const seed = Math.floor(clock.random() * 0x7fffffff);
  const sampler = new WeightedSampler();
  let nodes: readonly Node[] = [];
  let n = min;
  return {
    kind,
    get aperture() {
      return Math.min(n, nodes.length);
    },
    update(next) {
      nodes = [...next].sort((a, b) => hash(seed, a.id) - hash(seed, b.id) || cmp(a.id, b.id));
      sampler.reset(nodes);
      n = Math.max(Math.min(n, nodes.length), Math.min(min, nodes.length));
      return next;
    },
    pick() {
      const size = nodes.length;
      let total = 0;
      let open = false;
      for (let i = 0; i < n; i++) {
        const node = nodes[i]!;
        total += node.load();
        open ||= node.status() === "open";
      }
      // No open node in the aperture: Finagle's rebuild puts open nodes first.
      const window = open ? nodes : statusOrder(nodes);
      const pickFrom = open ? sampler : new WeightedSampler();
      if (!open) pickFrom.reset(window);
      const avg = ema.update(clock.mono(), total) / n;
      if (avg >= high && n < size) n++;
      else if (avg <= low && n > min) n--;
      if (n === 1) return window[0]!;
      const a = pickFrom.one(clock.random(), n);
      const b = pickFrom.other(a, clock.random(), n);
      return better(window[a]!, window[b]!);
    },
  };
}

/** FNV-1a of the id, mixed with the seed. */
/** Open nodes first, then busy, then closed, each keeping its order (Finagle `statusOrder`). */
function statusOrder(nodes: readonly Node[]): Node[] {
  const open: Node[] = [], busy: Node[] = [], closed: Node[] = [];
  for (const node of nodes) {
    const s = node.status();
    (s === "open" ? open : s === "busy" ? busy : closed).push(node);
  }
  return open.concat(busy, closed);
}

function hash(seed: number, id: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

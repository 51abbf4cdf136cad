/**
 * `ewma`: p2c over **peak-EWMA latency × (outstanding + 1)** (Finagle's `P2CPeakEwma`, tower's
 * `PeakEwma` used by Linkerd2). Each node is wrapped to measure its calls: a latency above the
 * estimate replaces it at once (peak: react to slowness immediately); a lower one blends in
 * with weight `1 - exp(-Δt / decayTimeMs)`; between observations the estimate decays toward 0
 * with time constant `decayTimeMs` (default 10 000), so an avoided slow node is eventually
 * retried. A node never measured costs 0 while idle (it gets traffic at once) and a huge
 * penalty while it has a request in flight (Finagle's `Penalty`), so a new node is not flooded
 * before its first latency is known.
 *
 * Weights, as Finagle's `TrafficDistributor` does for Linkerd 1.x: nodes are grouped into
 * weight classes, a class is drawn with probability ∝ weight × size, and peak-EWMA p2c runs
 * within the class. Traffic then splits by weight exactly in any regime (a canary at weight 0.1
 * gets its share even when idle, where dividing cost by weight would starve it), and latency
 * awareness works within each class. With one weight (the usual case) there is one class.
 *
 * Per-endpoint gauges: `ewmaMs()` and `outstanding` on each wrapped node (`balancer.nodes`).
 *
 * @example
 * ```ts
 * import { ewma } from "./ewma.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const dist = ewma({ decayTimeMs: 10_000, clock: systemClock });
 * ```
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import type { Ctx } from "../../router/core/ctx.ts";
import type { Node, Service, Status } from "../../router/core/service.ts";
import { better, type Distributor } from "./distributor.ts";

/** The Linkerd kind. */
export const kind = "ewma";

/** Finagle's penalty for a node with load but no latency history. */
const PENALTY = 1e12;

/** A node measured by the ewma balancer. */
export interface EwmaNode extends Node {
  /** Requests in flight through this balancer. */
  readonly outstanding: number;
  /** The current (decayed) latency estimate, ms. */
  ewmaMs(): number;
  /** The wrapped node. */
  readonly inner: Node;
}

class Measured implements EwmaNode {
  readonly id: string;
  readonly weight: number;
  readonly call: Service;
  outstanding = 0;
  #est = 0;
  #stamp = 0;
  #observed = false;

  constructor(
    readonly inner: Node,
    private readonly decayMs: number,
    private readonly clock: Clock,
  ) {
    this.id = inner.id;
    this.weight = inner.weight;
    this.call = (req, ctx) => this.#call(req, ctx);
  }

  status(): Status {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  load(): number {
    if (!this.#observed) return this.outstanding === 0 ? 0 : PENALTY + this.outstanding;
    return this.ewmaMs() * (this.outstanding + 1);
  }

  ewmaMs(): number {
    const elapsed = Math.max(0, this.clock.mono() - this.#stamp);
    return this.#est * Math.exp(-elapsed / this.decayMs);
  }

  #call(req: Request, ctx: Ctx): Promise<Response> {
    const start = this.clock.mono();
    this.outstanding++;
    const done = () => {
      this.outstanding--;
      this.#observe(this.clock.mono() - start);
    };
    return this.inner.call(req, ctx).then(
      (res) => {
        done();
        return res;
      },
      (e: unknown) => {
        done();
        throw e;
      },
    );
  }

  #observe(rtt: number): void {
    const now = this.clock.mono();
    if (!this.#observed || rtt > this.#est) this.#est = rtt;
    else {
      const w = Math.exp(-Math.max(0, now - this.#stamp) / this.decayMs);
      this.#est = this.#est * w + rtt * (1 - w);
    }
    this.#observed = true;
    this.#stamp = now;
  }
}

/** Options of {@link ewma}. */
export interface EwmaOptions {
  /** Decay time constant, ms (default 10 000). */
  readonly decayTimeMs?: number | undefined;
  /** Time and randomness. */
  readonly clock: Clock;
}

/**
 * A peak-EWMA distributor.
 *
 * @param opts decay and clock
 * @returns the distributor; its nodes are {@link EwmaNode}s
 *
 * @example
 * ```ts
 * import { ewma } from "./ewma.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const dist = ewma({ decayTimeMs: 10_000, clock: systemClock });
 * ```
 */
export function ewma(opts: EwmaOptions): Distributor {
  const decayMs = opts.decayTimeMs ?? 10_000;
  const clock = opts.clock;
  let wrapped = new Map<Node, Measured>();
  let nodes: readonly Measured[] = [];
  let classes: Measured[][] = [];
  let cum = new Float64Array(0);
  return {
    kind,
    update(next) {
      const map = new Map<Node, Measured>();
      for (const n of next) map.set(n, wrapped.get(n) ?? new Measured(n, decayMs, clock));
      wrapped = map;
      nodes = [...map.values()];
      const byWeight = new Map<number, Measured[]>();
      for (const n of nodes) {
        const list = byWeight.get(n.weight);
        if (list) list.push(n);
        else byWeight.set(n.weight, [n]);
      }
      classes = [...byWeight.values()];
      cum = new Float64Array(classes.length);
      let sum = 0;
      classes.forEach((c, i) => (cum[i] = sum += Math.max(0, c[0]!.weight) * c.length));
      return nodes;
    },
    pick() {
      let cls = classes[0]!;
      if (classes.length > 1) {
        const total = cum[cum.length - 1]!;
        let i = 0;
        if (total > 0) {
          const x = clock.random() * total;
          while (i < cum.length - 1 && cum[i]! <= x) i++;
        } else i = Math.floor(clock.random() * classes.length);
        cls = classes[i]!;
      }
      const n = cls.length;
      if (n === 1) return cls[0]!;
      const a = Math.floor(clock.random() * n);
      let b = Math.floor(clock.random() * (n - 1));
      if (b >= a) b++;
      return better(cls[a]!, cls[b]!);
    },
  };
}

// Client-side history of one scope: cumulative counters from each poll turned into rates, and the
// latency window's quantiles, kept for the last HISTORY polls (5 minutes at one poll a second).

/** Samples kept per scope. */
export const HISTORY = 300;
/** Polls the charted success rate is computed over. */
const SR_SMOOTH = 5;
/** Window of the rates and success rates the page shows as numbers. */
export const RATE_WINDOW_MS = 10_000;

/**
 * @typedef {{rps: number | undefined, sr: number | undefined, windowed: boolean}} Rate
 * `windowed` is false when no request completed in the window and `sr` is the lifetime ratio.
 */

/** A ring of samples of one scope. */
export class Series {
  constructor() {
    this.clear();
  }

  clear() {
    /** Wall-clock seconds (chart x). @type {number[]} */
    this.x = [];
    /** Server monotonic ms. @type {number[]} */
    this.t = [];
    /** @type {number[]} */
    this.req = [];
    /** @type {number[]} */
    this.ok = [];
    /** Requests/s since the previous sample. @type {(number | null)[]} */
    this.rps = [];
    /** Failed requests/s since the previous sample. @type {(number | null)[]} */
    this.rpsFail = [];
    /** Success ratio over the last SR_SMOOTH samples, as a percentage. @type {(number | null)[]} */
    this.srPct = [];
    /** @type {(number | null)[]} */
    this.p50 = [];
    /** @type {(number | null)[]} */
    this.p95 = [];
    /** @type {(number | null)[]} */
    this.p99 = [];
    /** @type {{v: number, t: number} | undefined} see latencyEwma */
    this.ewma = undefined;
  }

  /**
   * An exponentially weighted moving average of the scope's median latency, one sample per
   * poll, decaying with a 10 s time constant (Finagle's peak-EWMA default). Undefined before the
   * scope has latency. Kept here, so it goes with the history when the scope does (an endpoint
   * a namer removed): a per-section map of them grew with every endpoint ever seen.
   *
   * @param {number | undefined} sample @returns {number | undefined}
   */
  latencyEwma(sample) {
    const now = performance.now();
    const seen = this.ewma;
    if (sample === undefined) return seen?.v;
    if (!seen) {
      this.ewma = { v: sample, t: now };
      return sample;
    }
    const a = 1 - Math.exp(-(now - seen.t) / 10_000);
    seen.v += a * (sample - seen.v);
    seen.t = now;
    return seen.v;
  }

  /**
   * Appends one poll's values.
   * @param {number} x wall-clock seconds
   * @param {number} t server monotonic ms
   * @param {number} req cumulative requests
   * @param {number} ok cumulative successes
   * @param {{count: number, p50: number, p95: number, p99: number} | undefined} lat
   */
  push(x, t, req, ok, lat) {
    let n = this.t.length;
    if (n > 0 && (t <= this.t[n - 1] || req < this.req[n - 1] || ok < this.ok[n - 1])) {
      this.clear(); // a reset counter (scope dropped and re-created) or a restarted process
      n = 0;
    }
    let rps = null, fail = null, sr = null;
    if (n > 0) {
      const dt = (t - this.t[n - 1]) / 1000;
      const dr = req - this.req[n - 1];
      const dk = ok - this.ok[n - 1];
      rps = dr / dt;
      fail = Math.max(0, dr - dk) / dt;
      // The charted success rate spans SR_SMOOTH polls: per-second ratios of a few requests jump.
      const j = Math.max(0, n - SR_SMOOTH);
      const sr5 = req - this.req[j];
      sr = sr5 > 0 ? (100 * (ok - this.ok[j])) / sr5 : null;
    }
    const has = lat !== undefined && lat.count > 0;
    this.x.push(x);
    this.t.push(t);
    this.req.push(req);
    this.ok.push(ok);
    this.rps.push(rps);
    this.rpsFail.push(fail);
    this.srPct.push(sr);
    this.p50.push(has ? lat.p50 : null);
    this.p95.push(has ? lat.p95 : null);
    this.p99.push(has ? lat.p99 : null);
    if (this.t.length > HISTORY) {
      for (const a of this.arrays()) a.shift();
    }
  }

  /** @returns {unknown[][]} */
  arrays() {
    return [
      this.x,
      this.t,
      this.req,
      this.ok,
      this.rps,
      this.rpsFail,
      this.srPct,
      this.p50,
      this.p95,
      this.p99,
    ];
  }

  /** Cumulative requests of the newest sample. */
  get total() {
    return this.req.length ? this.req[this.req.length - 1] : 0;
  }

  /**
   * Request rate and success ratio over the last `ms` (see {@link Rate}).
   * @param {number} [ms]
   * @returns {Rate}
   */
  rate(ms = RATE_WINDOW_MS) {
    const n = this.t.length;
    if (n === 0) return { rps: undefined, sr: undefined, windowed: false };
    const last = n - 1;
    const lifetime = this.req[last] > 0 ? this.ok[last] / this.req[last] : undefined;
    if (n < 2) return { rps: undefined, sr: lifetime, windowed: false };
    let i = last - 1;
    while (i > 0 && this.t[last] - this.t[i - 1] <= ms + 250) i--;
    const dt = (this.t[last] - this.t[i]) / 1000;
    const dr = this.req[last] - this.req[i];
    const dk = this.ok[last] - this.ok[i];
    const rps = dt > 0 ? dr / dt : undefined;
    if (dr > 0) return { rps, sr: dk / dr, windowed: true };
    return { rps, sr: lifetime, windowed: false };
  }
}

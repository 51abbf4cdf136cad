/**
 * Sampling decisions for new traces. A trace is sampled when its id falls under the rate, so the
 * decision is a pure function of the trace id (like Finagle's `Sampler`): two routers with the same
 * rate agree without talking. The rate comes from the `l5d-sample` request header when present
 * (clamped to [0, 1], Linkerd's `Headers.Sample`), else from the tracing telemeters' `sampleRate`
 * (Linkerd's default 0.001). `l5d-sample` also overrides a decision that arrives with the request,
 * as Linkerd's; without it the request's decision wins (see `decodeTraceContext`).
 *
 * @module
 */

/**
 * Parse an `l5d-sample` header value as Linkerd does (Scala's `toFloat`, Java's
 * `Float.parseFloat`: a `f`/`d` suffix and hex floats such as `0x1p-1` are numbers, `0x10` and
 * `0b1` are not), clamped to [0, 1].
 *
 * @param value the header value, or null when absent
 * @returns the rate, or `undefined` when absent or not a number
 * @example
 * ```ts
 * import { parseSampleHeader } from "./sampler.ts";
 * parseSampleHeader("2"); // 1
 * parseSampleHeader("-1"); // 0
 * parseSampleHeader("x"); // undefined
 * parseSampleHeader("0.5f"); // 0.5
 * parseSampleHeader("0x1p-2"); // 0.25
 * ```
 */
export function parseSampleHeader(value: string | null): number | undefined {
  if (value === null) return undefined;
  const v = javaFloat(value);
  if (v === undefined || Number.isNaN(v)) return undefined;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

const DECIMAL = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/** Java's `Float.parseFloat` grammar (whitespace trimmed as `String.trim`); undefined if not. */
function javaFloat(raw: string): number | undefined {
  // deno-lint-ignore no-control-regex
  const s = raw.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "");
  if (DECIMAL.test(s)) return Number(s.replace(/[fFdD]$/, ""));
  const m = HEX.exec(s);
  if (m === null) return undefined;
  const [, sign, int = "", frac = "", exp = "0"] = m;
  if (int === "" && frac === "") return undefined;
  const mantissa = parseInt(int + frac || "0", 16) / 16 ** frac.length;
  return (sign === "-" ? -1 : 1) * mantissa * 2 ** Number(exp);
}

/**
 * Decide whether a new trace is sampled at `rate`: the trace id's low 32 bits, read as a fraction
 * of 2^32, must be below the rate. Rate ≥ 1 always samples, ≤ 0 never does.
 *
 * @param traceId 16 or 32 lower-case hex digits
 * @param rate in [0, 1]
 * @example
 * ```ts
 * import { sampledAtRate } from "./sampler.ts";
 * sampledAtRate("00000000000000007fffffff", 0.5); // true
 * sampledAtRate("0000000080000000", 0.5); // false
 * ```
 */
export function sampledAtRate(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (!(rate > 0)) return false;
  const low = parseInt(traceId.slice(-8), 16);
  return low / 0x100000000 < rate;
}

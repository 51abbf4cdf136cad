/**
 * Deadline wire formats, as pure functions on header *values* (header names and the one place
 * that reads/writes them live in `router/http`):
 *
 * - `l5d-ctx-deadline: "<timestamp_ns> <deadline_ns>"` — Finagle's `Deadline` marshalled by
 *   Linkerd 1.x: when the deadline was set and when it expires, both in ns since the epoch.
 *   Several values (repeated headers, or a local deadline) combine to the strictest: latest
 *   timestamp, earliest deadline (Finagle `Deadline.combined`).
 * - `grpc-timeout: <n><unit>` — at most 8 digits, unit `H M S m u n` (gRPC over HTTP/2 spec).
 *
 * The server's ctx decoder turns either into `ctx.deadline = min(ctx.deadline, ...)`, and the
 * endpoint ctx encoder re-emits `ctx.deadline` downstream. Linkerd treats the deadline as
 * advisory; Switchyard enforces it with `enforceDeadline` / `totalTimeout`.
 *
 * @example
 * ```ts
 * import { formatL5dDeadline, parseGrpcTimeout, parseL5dDeadline } from "./deadline.ts";
 * const d = parseL5dDeadline("1700000000000000000 1700000000050000000");
 * // d = { timestampMs: 1700000000000, deadlineMs: 1700000000050 }
 * formatL5dDeadline(d!); // "1700000000000000000 1700000000050000000"
 * parseGrpcTimeout("250m"); // 250
 * ```
 *
 * @module
 */

/** A Finagle deadline in epoch milliseconds. */
export interface L5dDeadline {
  /** When the deadline was set. */
  readonly timestampMs: number;
  /** When it expires. */
  readonly deadlineMs: number;
}

const NS_PER_MS = 1_000_000n;
const ENTRY = /^\s*(-?\d{1,20}) (-?\d{1,20})\s*$/;

/**
 * Parse an `l5d-ctx-deadline` value. Comma-joined values (what `Headers.get` returns for a
 * repeated header) are combined to the strictest; malformed entries are ignored.
 *
 * @param value the header value, or null when absent
 * @returns the combined deadline, or undefined when there is no valid entry
 *
 * @example
 * ```ts
 * import { parseL5dDeadline } from "./deadline.ts";
 * parseL5dDeadline("1000000 5000000, 2000000 4000000"); // { timestampMs: 2, deadlineMs: 4 }
 * ```
 */
export function parseL5dDeadline(value: string | null | undefined): L5dDeadline | undefined {
  const d = parseL5dDeadlineNs(value);
  return d && { timestampMs: nsToMs(d.timestampNs), deadlineMs: nsToMs(d.deadlineNs) };
}

/** A Finagle deadline in epoch nanoseconds, as `l5d-ctx-deadline` carries it. */
export interface L5dDeadlineNs {
  /** When the deadline was set. */
  readonly timestampNs: bigint;
  /** When it expires. */
  readonly deadlineNs: bigint;
}

/**
 * Parse an `l5d-ctx-deadline` value to nanoseconds, exactly (a double in ms cannot hold a
 * nanosecond epoch time): repeated values combine as Finagle's `Deadline.combined` (latest
 * timestamp, earliest deadline), malformed entries are ignored (Linkerd's `Deadline.get`).
 *
 * @param value the header value, or null when absent
 * @returns the combined deadline, or undefined when there is no valid entry
 *
 * @example
 * ```ts
 * import { parseL5dDeadlineNs } from "./deadline.ts";
 * parseL5dDeadlineNs("1 9, 2 5"); // { timestampNs: 2n, deadlineNs: 5n }
 * ```
 */
export function parseL5dDeadlineNs(
  value: string | null | undefined,
): L5dDeadlineNs | undefined {
  if (!value) return undefined;
  let out: L5dDeadlineNs | undefined;
  for (const part of value.split(",")) {
    const m = ENTRY.exec(part);
    if (!m) continue;
    const ts = BigInt(m[1]!), dl = BigInt(m[2]!);
    out = out === undefined ? { timestampNs: ts, deadlineNs: dl } : {
      timestampNs: ts > out.timestampNs ? ts : out.timestampNs,
      deadlineNs: dl < out.deadlineNs ? dl : out.deadlineNs,
    };
  }
  return out;
}

/**
 * Epoch nanoseconds as epoch milliseconds (with a fraction).
 *
 * @example
 * ```ts
 * import { nsToMs } from "./deadline.ts";
 * nsToMs(2_500_000n); // 2.5
 * ```
 */
export function nsToMs(ns: bigint): number {
  const whole = ns / NS_PER_MS;
  const frac = ns % NS_PER_MS;
  return Number(whole) + Number(frac) / 1e6;
}

/**
 * Format an `l5d-ctx-deadline` value.
 *
 * @param d the deadline (finite)
 * @returns `"<timestamp_ns> <deadline_ns>"`
 *
 * @example
 * ```ts
 * import { formatL5dDeadline } from "./deadline.ts";
 * formatL5dDeadline({ timestampMs: 1, deadlineMs: 2.5 }); // "1000000 2500000"
 * ```
 */
export function formatL5dDeadline(d: L5dDeadline): string {
  return `${msToNs(d.timestampMs)} ${msToNs(d.deadlineMs)}`;
}

/**
 * The strictest combination of two deadlines (Finagle `Deadline.combined`).
 *
 * @returns latest timestamp, earliest deadline
 *
 * @example
 * ```ts
 * import { combineDeadlines } from "./deadline.ts";
 * combineDeadlines({ timestampMs: 1, deadlineMs: 9 }, { timestampMs: 2, deadlineMs: 5 });
 * ```
 */
export function combineDeadlines(a: L5dDeadline, b: L5dDeadline): L5dDeadline {
  return {
    timestampMs: Math.max(a.timestampMs, b.timestampMs),
    deadlineMs: Math.min(a.deadlineMs, b.deadlineMs),
  };
}

const GRPC = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};
/** Units finest first, with how many of each make one ms. */
const PER_MS: readonly (readonly [string, number])[] = [
  ["n", 1e6],
  ["u", 1e3],
  ["m", 1],
  ["S", 1e-3],
  ["M", 1 / 60_000],
  ["H", 1 / 3_600_000],
];

/**
 * Parse a `grpc-timeout` value.
 *
 * @param value e.g. `"100m"`, `"5S"`, `"1H"`
 * @returns the timeout in ms, or undefined when malformed or absent
 *
 * @example
 * ```ts
 * import { parseGrpcTimeout } from "./deadline.ts";
 * parseGrpcTimeout("5S"); // 5000
 * ```
 */
export function parseGrpcTimeout(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const m = GRPC.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/**
 * Format a `grpc-timeout` value as gRPC-Go does: the finest unit whose value fits in 8 digits,
 * rounded up.
 *
 * @param ms remaining time in ms (negative counts as 0)
 * @returns e.g. `"50000000n"` for 50 ms, `"250000u"` for 250 ms, `"100000m"` for 100 s
 *
 * @example
 * ```ts
 * import { formatGrpcTimeout } from "./deadline.ts";
 * formatGrpcTimeout(250); // "250000u"
 * ```
 */
export function formatGrpcTimeout(ms: number): string {
  const t = Math.max(0, ms);
  for (const [unit, perMs] of PER_MS) {
    const v = Math.max(0, Math.ceil(t * perMs - 1e-6));
    if (v < 100_000_000) return `${v}${unit}`;
  }
  return "99999999H";
}

function msToNs(ms: number): bigint {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return BigInt(whole) * NS_PER_MS + BigInt(frac);
}

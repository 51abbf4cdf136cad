/**
 * Trace and span ids as lower-case hex strings. A span id is 64 bits (16 hex digits). A trace id
 * is 64 bits (16 digits, what Linkerd 1.x / Finagle make and what `l5d-reqid` shows) or 128 bits
 * (32 digits, from W3C or 128-bit B3 callers); a 128-bit id whose high half is zero is normalized to
 * its 64-bit form, so a trace keeps one spelling across hops and header formats. W3C and OTLP
 * need 32 digits: `traceId32()` left-pads with zeros, the usual B3 → W3C mapping.
 *
 * Randomness comes from an injected source (the router's `Clock.random`), never `Math.random`
 * directly, so tests are exact.
 *
 * @module
 */

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

const ZERO16 = "0000000000000000";

/** Two hex digits per byte value: building an id is four lookups, no `toString`/`padStart`. */
const HEX2: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

function hex8(random: () => number): string {
  const v = (random() * 0x100000000) >>> 0;
  return HEX2[v >>> 24]! + HEX2[(v >>> 16) & 255]! + HEX2[(v >>> 8) & 255]! + HEX2[v & 255]!;
}

/**
 * A new random 64-bit id (16 hex digits), never all zeros.
 *
 * @param random uniform [0, 1) source
 * @returns 16 lower-case hex digits
 * @example
 * ```ts
 * import { newId64 } from "./ids.ts";
 * newId64(Math.random).length; // 16
 * ```
 */
export function newId64(random: () => number): string {
  const id = hex8(random) + hex8(random);
  return id === ZERO16 ? "0000000000000001" : id;
}

function isLowerHex(s: string): boolean {
  for (let i = 0, n = s.length; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * True if `s` is `len` lower-case hex digits, not all zero (the W3C/B3 validity rule).
 *
 * @example
 * ```ts
 * import { isValidHexId } from "./ids.ts";
 * isValidHexId("00f067aa0ba902b7", 16); // true
 * isValidHexId("0000000000000000", 16); // false
 * ```
 */
export function isValidHexId(s: string, len: number): boolean {
  if (s.length !== len || !isLowerHex(s)) return false;
  for (let i = 0, n = s.length; i < n; i++) if (charCodeAt.call(s, i) !== 48) return true;
  return false;
}

/**
 * Normalize a trace id: 16 or 32 hex digits, lower-cased; a 32-digit id with a zero high half
 * becomes 16 digits.
 *
 * @returns the id, or `""` when it is not a valid trace id
 * @example
 * ```ts
 * import { normalizeTraceId } from "./ids.ts";
 * normalizeTraceId("0000000000000000A3CE929D0E0E4736"); // "a3ce929d0e0e4736"
 * ```
 */
export function normalizeTraceId(raw: string): string {
  const s = raw.toLowerCase();
  if (s.length === 32) {
    if (!isValidHexId(s, 32)) return "";
    return s.startsWith(ZERO16) ? s.slice(16) : s;
  }
  return isValidHexId(s, 16) ? s : "";
}

/**
 * The 32-digit form of a trace id (W3C `traceparent`, OTLP).
 *
 * @example
 * ```ts
 * import { traceId32 } from "./ids.ts";
 * traceId32("a3ce929d0e0e4736"); // "0000000000000000a3ce929d0e0e4736"
 * ```
 */
export function traceId32(traceId: string): string {
  return traceId.length === 32 ? traceId : ZERO16 + traceId;
}

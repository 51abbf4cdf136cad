/**
 * Linkerd's `l5d-ctx-trace` header: base64 (standard alphabet, padded) of Finagle's
 * `TraceId.serialize`: `spanId:8 parentId:8 traceId:8 flags:8`, each big-endian, plus
 * `traceIdHigh:8` when the trace id is 128 bits (40 bytes; Finagle's `deserialize` accepts 32 or
 * 40). Flags (Finagle `Flags`): bit 0 Debug, bit 1 SamplingKnown, bit 2 Sampled; a debug id is
 * written with all three (Finagle reads Debug as sampled, other readers see Sampled). A root id has
 * parentId = spanId; Finagle reads a parentId equal to the spanId as "no parent".
 *
 * @module
 */
import { isValidHexId, normalizeTraceId } from "./ids.ts";

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/** Finagle `Flags.Debug`. */
const DEBUG = 1;
/** Finagle `Flags.SamplingKnown`. */
const SAMPLING_KNOWN = 2;
/** Finagle `Flags.Sampled`. */
const SAMPLED = 4;

/** One decoded Finagle trace id. */
export interface FinagleTraceId {
  /** 16 or 32 hex digits (normalized). */
  readonly traceId: string;
  /** The sender's span (16 hex digits). */
  readonly spanId: string;
  /** The sender's parent span, `""` for a root span. */
  readonly parentSpanId: string;
  /** `undefined` when the sender deferred the decision. Debug counts as sampled. */
  readonly sampled: boolean | undefined;
  /** Finagle's `Flags.Debug` (Zipkin's `x-b3-flags: 1`): sampled, and carried on as debug. */
  readonly debug?: boolean;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** B64's character codes. */
const B64_CODES: readonly number[] = Array.from(B64, (c) => c.charCodeAt(0));

/** Nibble values of '0'-'9' and 'a'-'f' by character code (ids are validated lower-case hex). */
const NIBBLE: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 10; c++) t[48 + c] = c;
  for (let c = 0; c < 6; c++) t[97 + c] = 10 + c;
  return t;
})();

/** The serialized id (synchronous use only). */
const BYTES = new Uint8Array(40);

/** Scratch for one encoding's character codes, by output length (synchronous use only). */
const SCRATCH = new Map<number, number[]>();

/** Put the 8 bytes `hex[from, from + 16)` spells at `BYTES[o]`. */
function putId(hex: string, from: number, o: number): void {
  for (let k = 0; k < 8; k++) {
    const i = from + 2 * k;
    BYTES[o + k] = (NIBBLE[charCodeAt.call(hex, i) & 127]! << 4) |
      NIBBLE[charCodeAt.call(hex, i + 1) & 127]!;
  }
}

/**
 * Base64 of `BYTES[0, n)` (n a multiple of 8: 32 or 40): the character codes go into a reused
 * array and become one string at the end (concatenating 4-character pieces allocated ~1 KB per
 * request, issue 6).
 */
function bytesToBase64(n: number): string {
  const len = Math.ceil(n / 3) * 4;
  let out = SCRATCH.get(len);
  if (out === undefined) SCRATCH.set(len, out = new Array<number>(len).fill(0));
  let o = 0;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (BYTES[i]! << 16) | (BYTES[i + 1]! << 8) | BYTES[i + 2]!;
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = B64_CODES[(v >> 6) & 63]!;
    out[o++] = B64_CODES[v & 63]!;
  }
  if (n - i === 1) {
    const v = BYTES[i]! << 16;
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = 61; // =
    out[o++] = 61;
  } else if (n - i === 2) {
    const v = (BYTES[i]! << 16) | (BYTES[i + 1]! << 8);
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = B64_CODES[(v >> 6) & 63]!;
    out[o++] = 61;
  }
  return String.fromCharCode.apply(null, out);
}

function binaryToHex(bin: string, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return s;
}

/**
 * Encode a trace id as an `l5d-ctx-trace` value.
 *
 * @param id the span to send; an empty `parentSpanId` encodes a root (parentId = spanId)
 * @returns base64 of 32 bytes (64-bit trace id) or 40 bytes (128-bit)
 * @example
 * ```ts
 * import { encodeL5dCtxTrace } from "./l5d_ctx_trace.ts";
 * encodeL5dCtxTrace({
 *   traceId: "0000000000000003", spanId: "0000000000000001",
 *   parentSpanId: "0000000000000002", sampled: true,
 * }); // "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAY="
 * ```
 */
export function encodeL5dCtxTrace(id: FinagleTraceId): string {
  const flags = id.debug
    ? DEBUG | SAMPLING_KNOWN | SAMPLED
    : id.sampled === undefined
    ? 0
    : id.sampled
    ? SAMPLING_KNOWN | SAMPLED
    : SAMPLING_KNOWN;
  const wide = id.traceId.length === 32;
  putId(id.spanId, 0, 0);
  putId(id.parentSpanId || id.spanId, 0, 8);
  putId(id.traceId, wide ? 16 : 0, 16);
  BYTES.fill(0, 24, 31);
  BYTES[31] = flags;
  if (!wide) return bytesToBase64(32);
  putId(id.traceId, 0, 32);
  return bytesToBase64(40);
}

/**
 * Decode an `l5d-ctx-trace` value. Malformed input (bad base64, wrong length, zero ids) gives
 * `undefined`, never an error.
 *
 * @example
 * ```ts
 * import { decodeL5dCtxTrace } from "./l5d_ctx_trace.ts";
 * decodeL5dCtxTrace("AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAY=")?.traceId; // "0000000000000003"
 * ```
 */
export function decodeL5dCtxTrace(b64: string): FinagleTraceId | undefined {
  let bin: string;
  try {
    bin = atob(b64.trim());
  } catch {
    return undefined;
  }
  if (bin.length !== 32 && bin.length !== 40) return undefined;
  const spanId = binaryToHex(bin, 0, 8);
  const parent = binaryToHex(bin, 8, 16);
  const low = binaryToHex(bin, 16, 24);
  const flags = bin.charCodeAt(31); // the three known flags live in the last byte
  const high = bin.length === 40 ? binaryToHex(bin, 32, 40) : "";
  const traceId = normalizeTraceId(high + low);
  if (!traceId || !isValidHexId(spanId, 16)) return undefined;
  let sampled: boolean | undefined = undefined;
  const debug = (flags & DEBUG) !== 0;
  if (debug) sampled = true;
  else if (flags & SAMPLING_KNOWN) sampled = (flags & SAMPLED) !== 0;
  return {
    traceId,
    spanId,
    parentSpanId: parent === spanId || !isValidHexId(parent, 16) ? "" : parent,
    sampled,
    ...(debug ? { debug } : {}),
  };
}

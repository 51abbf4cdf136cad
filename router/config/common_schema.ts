/**
 * Small schemas shared by several config areas: Finagle paths and prefix patterns, ports,
 * millisecond durations, `socketOptions`, sessions, retry budgets and backoffs. Defaults are
 * Linkerd's (see `defaults.ts`).
 *
 * @example
 * ```ts
 * import { budgetSchema } from "./common_schema.ts";
 * console.log(budgetSchema.parse({})); // { percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { pluginUnion } from "./plugin.ts";

const LABEL = String.raw`(?:[0-9A-Za-z_:.#$%\-]|\\x[0-9A-Fa-f]{2})+`;
const PATH_RE = new RegExp(`^(?:/|(?:/${LABEL})+)$`);
const PATTERN_SEG = String.raw`(?:[0-9A-Za-z_:.#$%\-*{}]|\\x[0-9A-Fa-f]{2})+`;
// A trailing `/` is allowed: Linkerd's PathMatcher splits on `/` and Java's split drops the
// trailing empty segment (client_tls.md's `prefix: /%/io.l5d.port/4141/#/io.l5d.fs/`).
const PATTERN_RE = new RegExp(`^(?:/|(?:/${PATTERN_SEG})+/?)$`);

/** A Finagle path such as `/svc/hello` (`/` is the empty path). */
export const pathString = z.string().regex(PATH_RE, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not a path: expected /label/label… with labels of ` +
    "[0-9A-Za-z_:.#$%-] or \\xHH escapes",
});

/**
 * A static-config prefix: a path whose segments may be `*` or contain `{capture}`s, optionally
 * ending with `/` (ignored, as by Linkerd's `PathMatcher`).
 */
export const pathPattern = z.string().regex(PATTERN_RE, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not a prefix: expected /label/… where a label may be * or ` +
    "contain {captures}",
});

/** A TCP port; 0 asks the OS for a free one (useful in tests). */
export const port = z.number().int().min(0).max(65535);

/** A non-negative whole number of milliseconds. */
export const millis = z.number().int().min(0);

/** A positive whole number of milliseconds (timeouts). */
export const timeoutMs = z.number().int().min(1);

/** A probability in [0, 1] (trace sample rates). */
export const sampleRate = z.number().min(0).max(1);

/** A host or IP address to bind or connect to. */
export const host = z.string().min(1);

/** `socketOptions` on servers and clients (L1 `linkerd/docs/config.md`). */
export const socketOptionsSchema = z.strictObject({
  noDelay: z.boolean().default(defaults.socketOptions.noDelay),
  reuseAddr: z.boolean().default(defaults.socketOptions.reuseAddr),
  reusePort: z.boolean().default(defaults.socketOptions.reusePort),
  /** Unbounded when absent. */
  readTimeoutMs: timeoutMs.optional(),
  /** Unbounded when absent. */
  writeTimeoutMs: timeoutMs.optional(),
  keepAlive: z.boolean().default(defaults.socketOptions.keepAlive),
  /** OS default when absent. */
  backlog: z.number().int().min(1).optional(),
});

/** `serverSession` / `clientSession`: connection idle and life limits (forever when absent). */
export const sessionSchema = z.strictObject({
  idleTimeMs: timeoutMs.optional(),
  lifeTimeMs: timeoutMs.optional(),
});

/** A retry budget (`service.retries.budget`, `client.requeueBudget`), Finagle's RetryBudget. */
export const budgetSchema = z.strictObject({
  percentCanRetry: z.number().min(0).max(1000).default(defaults.retryBudget.percentCanRetry),
  minRetriesPerSec: z.number().int().min(0).default(defaults.retryBudget.minRetriesPerSec),
  /** Finagle requires the deposit window to be within [1, 60] seconds. */
  ttlSecs: z.number().int().min(1).max(60).default(defaults.retryBudget.ttlSecs),
});

const constantBackoff = z.strictObject({
  kind: z.literal("constant"),
  ms: millis.default(defaults.retryBackoffMs),
});

/**
 * A required `jittered` bound; missing, it is refused with Linkerd's JitteredBackoffConfig text.
 * Finagle's `Backoff.decorrelatedJittered` requires both bounds > 0 (L1 failureAccrual
 * `ConfigTest`: "jittered backoff configs throw exceptions when passed invalid min/max").
 */
function jitterBound(key: "minMs" | "maxMs") {
  return z.number({
    error: (iss) => iss.input === undefined ? `'${key}' must be specified` : undefined,
  }).int().min(1, { error: `${key} must be > 0 (a jittered backoff's bounds are positive)` });
}

const jitteredBackoff = z.strictObject({
  kind: z.literal("jittered"),
  minMs: jitterBound("minMs"),
  maxMs: jitterBound("maxMs"),
}).superRefine((b, ctx) => {
  // A bound ≤ 0 is reported by itself alone.
  if (b.maxMs > 0 && b.minMs > b.maxMs) {
    ctx.addIssue({
      code: "custom",
      input: b,
      path: ["maxMs"],
      message: `maxMs (${b.maxMs}) must be >= minMs (${b.minMs})`,
    });
  }
});

/** A backoff: `constant {ms}` or `jittered {minMs, maxMs}` (decorrelated jitter). */
export const backoffSchema = pluginUnion("backoff", [constantBackoff, jitteredBackoff]);

/** Schema output types. */
export type SocketOptions = z.infer<typeof socketOptionsSchema>;
/** `serverSession` / `clientSession`. */
export type SessionConfig = z.infer<typeof sessionSchema>;
/** A retry or requeue budget. */
export type BudgetConfig = z.infer<typeof budgetSchema>;
/** A backoff policy. */
export type BackoffConfig = z.infer<typeof backoffSchema>;

const windowBytes = z.number().int().min(1).max(2 ** 31 - 1);

/** HTTP/2 SETTINGS keys of h2 servers and clients (L1 `protocol-h2.md`). */
export const h2SettingsKeys = {
  /** Accepted; node:http2 sends window updates on its own schedule. */
  windowUpdateRatio: z.number().gt(0).lt(1).optional(),
  headerTableBytes: z.number().int().min(0).optional(),
  initialStreamWindowBytes: windowBytes.optional(),
  /**
   * Any int, as Linkerd parses it (H2ConfigTest sets 8192 on a client); SETTINGS_MAX_FRAME_SIZE
   * is 16384–16777215 (RFC 9113 §6.5.2), so what is sent is clamped to that range (`h2FrameSize`).
   */
  maxFrameBytes: z.number().int().min(0).optional(),
  /** The spelling of Linkerd's docs (sic). */
  maxHeaderListByts: z.number().int().min(0).optional(),
  /** The key Linkerd itself reads (`H2EndpointConfig.maxHeaderListBytes`); wins over the above. */
  maxHeaderListBytes: z.number().int().min(0).optional(),
};

/**
 * `client` keys beyond the common ones: the h2 SETTINGS (h2 routers), and `forwardClientCert`
 * (http and h2: send the client's TLS certificate upstream as `x-forwarded-client-cert`).
 */
export const h2ClientKeys = { ...h2SettingsKeys, forwardClientCert: z.boolean().optional() };
